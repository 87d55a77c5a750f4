"""Shared fixtures: paths to the public corpora (skipped with a reason when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Rich fixes a console's width from COLUMNS when the console is made. The CLI's consoles are
# made when first used, which may happen inside a test that runs the CLI with COLUMNS=80:
# every later test would print at 80 columns whatever its own COLUMNS says. Made here,
# without COLUMNS, they follow each test's.
_saved = {k: os.environ.pop(k) for k in ("COLUMNS", "LINES") if k in os.environ}
from rempart.cli.common import make_consoles  # noqa: E402

make_consoles()
os.environ.update(_saved)

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """../shared/data, or skip: the corpora are never copied into the repository."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"public corpora not present at {SHARED_DATA}")
    return SHARED_DATA
