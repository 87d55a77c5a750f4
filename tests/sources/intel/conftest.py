"""The public corpora for the intel sources (skipped with a reason when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

_CANDIDATES = (
    Path(__file__).resolve().parents[3].parent / "shared" / "data",  # ../shared/data
    Path("/work/shared/data"),  # a worktree of the project on the shared machine
)


@pytest.fixture
def intel_data() -> Path:
    for path in _CANDIDATES:
        if (path / "eset_misp_events").is_dir():
            return path
    pytest.skip(f"public corpora not present at {_CANDIDATES[0]}")
