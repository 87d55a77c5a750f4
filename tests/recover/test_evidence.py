"""The evidence pack: any byte changed, any file missing or added fails verify.py and
`rempart evidence verify`."""

from __future__ import annotations

import importlib.util
import io
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from types import ModuleType

import pypdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rempart.app import crisis, evidence


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from tests.cases.factories import make_incident

    from rempart.cases import CaseStore

    base = tmp_path_factory.mktemp("evidence")
    root = base / "ws"
    root.mkdir()
    case_id = CaseStore.open(root).save_incident(make_incident(hosts=3))
    crisis.add(root, "Cellule de crise ouverte", kind="decision", actor="directeur")
    folder = base / "pack"
    evidence.export(root, case_id, folder, actor="rssi", recipient="OPJ")
    zipped = base / "pack.zip"
    evidence.export(root, case_id, zipped, actor="rssi")
    return folder, zipped


def _load_verify(pack: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("pack_verify", pack / "verify.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pack_is_intact_and_complete(packs: tuple[Path, Path]) -> None:
    folder, zipped = packs
    assert evidence.verify(folder) == []
    assert evidence.verify(zipped) == []
    names = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    needed = {
        "manifest.json",
        "custody.jsonl",
        "report.pdf",
        "verify.py",
        "incident.json",
        "findings.json",
        "decisions.json",
        "crisis-log.jsonl",
        "board-history.json",
    }
    assert needed <= names
    manifest = json.loads((folder / "manifest.json").read_bytes())
    reader = pypdf.PdfReader(io.BytesIO((folder / "report.pdf").read_bytes()))
    assert reader.attachments["manifest.json"] == [(folder / "manifest.json").read_bytes()]
    assert manifest["incident"].startswith("INC-")
    custody = evidence.custody(folder)
    assert custody[0]["action"] == "export" and custody[0]["for"] == "OPJ"
    # verify.py runs on its own, with the standard library only (-I: no site, no PYTHONPATH)
    run = subprocess.run([sys.executable, "-I", str(folder / "verify.py")], capture_output=True)
    assert run.returncode == 0, run.stdout
    run = subprocess.run([sys.executable, "-I", str(folder / "verify.py"), str(zipped)],
                         capture_output=True)  # fmt: skip
    assert run.returncode == 0, run.stdout


def test_missing_added_changed_and_handover(packs: tuple[Path, Path], tmp_path: Path) -> None:
    folder, zipped = packs
    copy = tmp_path / "p"
    shutil.copytree(folder, copy)
    (copy / "extra.txt").write_text("x")
    assert any("added: extra.txt" in p for p in evidence.verify(copy))
    (copy / "extra.txt").unlink()
    (copy / "board.csv").unlink()
    assert any("missing: board.csv" in p for p in evidence.verify(copy))
    z = tmp_path / "p.zip"
    shutil.copy(zipped, z)
    evidence.handover(z, to="Gendarmerie", actor="rssi")
    assert evidence.verify(z) == []
    assert [e["action"] for e in evidence.custody(z)] == ["export", "handover"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_byte_changed_fails(packs: tuple[Path, Path], data: st.DataObject) -> None:
    folder, zipped = packs
    use_zip = data.draw(st.booleans())
    with tempfile.TemporaryDirectory() as tmp:
        if use_zip:
            target = Path(tmp) / "p.zip"
            shutil.copy(zipped, target)
            files = [target]
        else:
            target = Path(tmp) / "p"
            shutil.copytree(folder, target)
            files = sorted(p for p in target.rglob("*") if p.is_file())
        victim = data.draw(st.sampled_from(files))
        raw = bytearray(victim.read_bytes())
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at] = (raw[at] + data.draw(st.integers(1, 255))) % 256
        victim.write_bytes(bytes(raw))
        assert evidence.verify(target) != []
        checker = _load_verify(folder)  # the pack's own verify.py (the original copy)
        assert checker.verify(target) != []


def test_zip_container_edits_are_caught(packs: tuple[Path, Path], tmp_path: Path) -> None:
    _, zipped = packs
    z = tmp_path / "p.zip"
    with zipfile.ZipFile(zipped) as src, zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))
    assert any("container" in p for p in evidence.verify(z))
