"""A workspace with a case store and one incident, for the recover tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.cases.factories import make_incident

from rempart.cases import CaseStore


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("REMPART_CASES_DB", raising=False)
    root = tmp_path / "ws"
    root.mkdir()
    cases = CaseStore.open(root)
    cases.save_incident(make_incident(hosts=5))
    return root
