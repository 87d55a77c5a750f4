"""One regression folder per detector: `<name>/positive/` must give at least one finding of
that detector, `<name>/negative/` none. The inputs are files in the formats Rempart ingests
(written by `make_cases.py`); `<name>/hospital.yaml`, when present, is the model it judges
against; `<name>/indicators/`, when present, holds threat-intel files imported first (the
retro-hunt's indicators)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from rempart.detect import DETECTORS, DetectContext
from rempart.ingest.files import FileStatus, ingest_file
from rempart.model.loader import load_hospital
from rempart.store import Store

HERE = Path(__file__).parent
# syslog lines carry no year: read as the days before this reference
REFERENCE = datetime(2026, 6, 1, tzinfo=UTC)
CASES = sorted(p.name for p in HERE.iterdir() if (p / "positive").is_dir())


def _import_indicators(store: Store, folder: Path) -> None:
    from rempart.app.intel import indicator_rows
    from rempart.sources.intel import read_intel
    from rempart.store.intel import merge_indicators

    batches = [b for path in sorted(folder.iterdir()) for b in read_intel(path)]
    merge_indicators(store, indicator_rows(batches, REFERENCE))


def test_every_registered_detector_has_a_folder() -> None:
    assert sorted(d.NAME for d in DETECTORS) == CASES


@pytest.mark.parametrize("kind", ["positive", "negative"])
@pytest.mark.parametrize("name", CASES)
def test_detector_on_its_cases(name: str, kind: str) -> None:
    folder = HERE / name
    model = folder / "hospital.yaml"
    hospital = load_hospital(model) if model.exists() else None
    store = Store.memory()
    if (folder / "indicators").is_dir():
        _import_indicators(store, folder / "indicators")
    for path in sorted((folder / kind).iterdir()):
        res = ingest_file(store, path, reference=REFERENCE)
        assert res.status is FileStatus.INGESTED, (path, res.error)
        assert res.rejected == 0, (path, res.reasons)
    found = DETECTORS.get(name).run(DetectContext(store, hospital))
    assert all(f.detector == name for f in found)
    if kind == "positive":
        assert found, f"{name}: no finding on {kind}/"
    else:
        assert not found, f"{name}: {[(f.entity, f.title) for f in found]} on {kind}/"
