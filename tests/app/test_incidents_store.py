"""Incident persistence behind one module: the case store, a JSON file by path, and the
`incidents/` files of a workspace made before the case store."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.cases.factories import make_incident

from rempart.app.incidents_store import (
    IncidentNotFound,
    list_incidents,
    load_incident,
    save_incident,
    set_state,
)


@pytest.fixture(autouse=True)
def _sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REMPART_CASES_DB", raising=False)


def test_save_twice_keeps_the_case_id(tmp_path: Path) -> None:
    inc = make_incident()
    first = save_incident(tmp_path, inc)
    assert first.id == "INC-2019-0001"
    assert save_incident(tmp_path, inc).id == first.id
    assert load_incident(tmp_path, first.id).id == inc.id  # by case id
    assert load_incident(tmp_path, inc.id).id == inc.id  # by the incident's own id
    [summary] = list_incidents(tmp_path)
    assert (summary.id, summary.state) == (first.id, "open")
    set_state(tmp_path, first.id, "contained", actor="rssi")
    assert [s.id for s in list_incidents(tmp_path, "contained")] == [first.id]


def test_json_file_and_legacy_folder(tmp_path: Path) -> None:
    inc = make_incident("INC-20190316-def456")
    path = inc.save(tmp_path / "elsewhere")
    assert load_incident(tmp_path / "ws", path).id == inc.id
    inc.save(tmp_path / "ws" / "incidents")  # written by an older version
    assert load_incident(tmp_path / "ws", inc.id).id == inc.id
    with pytest.raises(IncidentNotFound, match="incident not found: INC-nope"):
        load_incident(tmp_path / "ws", "INC-nope")
