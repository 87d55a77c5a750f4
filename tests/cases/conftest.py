"""A fresh case store per test, in a temporary workspace (Django re-pointed at it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rempart.cases import CaseStore


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return tmp_path / "ws"


@pytest.fixture
def store(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> CaseStore:
    monkeypatch.delenv("REMPART_CASES_DB", raising=False)
    return CaseStore.open(workspace)
