"""The workspace: one folder per hospital holding its database, model, exports and reports."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_WORKSPACE = "rempart-workspace"
ENV_WORKSPACE = "REMPART_WORKSPACE"


def resolve_workspace(explicit: Path | str | None) -> Path:
    """`--workspace` wins, then $REMPART_WORKSPACE, then ./rempart-workspace."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(ENV_WORKSPACE)
    return Path(env) if env else Path(DEFAULT_WORKSPACE)


@dataclass(frozen=True)
class Workspace:
    root: Path

    @classmethod
    def at(cls, explicit: Path | str | None = None, *, create: bool = True) -> Workspace:
        root = resolve_workspace(explicit).resolve()
        if create:
            root.mkdir(parents=True, exist_ok=True)
        return cls(root)

    @property
    def db_path(self) -> Path:
        return self.root / "rempart.duckdb"

    @property
    def hospital_path(self) -> Path:
        return self.root / "hospital.yaml"

    def folder(self, name: str) -> Path:
        """A sub-folder (exports, reports, twin...), created on demand."""
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path
