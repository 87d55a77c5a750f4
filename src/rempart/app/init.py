"""Write a commented example workspace to start from."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from rempart.app.session import Session
from rempart.model import Hospital, load_hospital


@dataclass(frozen=True)
class InitResult:
    root: Path
    files: tuple[tuple[Path, bool], ...]  # (file, written); False: existed, kept
    hospital: Hospital


def init(workspace: Path | str | None, *, force: bool = False) -> InitResult:
    """`rempart init`: hospital.yaml and inventory.csv examples, and an empty store."""
    with Session.writer(workspace) as session:
        files = resources.files("rempart.model") / "examples"
        done: list[tuple[Path, bool]] = []
        for name in ("hospital.yaml", "inventory.csv"):
            target = session.root / name
            if target.exists() and not force:
                done.append((target, False))
                continue
            target.write_text((files / name).read_text(encoding="utf-8"), encoding="utf-8")
            done.append((target, True))
        hospital = load_hospital(session.workspace.hospital_path)
        session.store  # noqa: B018 (creates the store)
        return InitResult(session.root, tuple(done), hospital)


__all__ = ["InitResult", "init"]
