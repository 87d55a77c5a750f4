"""Shared fixtures: paths to the public corpora (skipped with a reason when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """../shared/data, or skip: the corpora are never copied into the repository."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"public corpora not present at {SHARED_DATA}")
    return SHARED_DATA
