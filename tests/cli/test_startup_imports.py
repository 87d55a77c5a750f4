"""`rempart --help` must start fast (issue 26): the CLI modules import the heavy libraries
(DuckDB, Arrow, pySigma, Django, NumPy, pandas) and the layers below app/ only inside the
commands that use them. Checked on `sys.modules` in a fresh interpreter, not timed."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("duckdb", "pyarrow", "sigma", "django", "numpy", "pandas", "oletools")
LAYERS = ("rempart.app", "rempart.store", "rempart.detect", "rempart.sigma", "rempart.sources")


def _loaded_after(code: str) -> set[str]:
    probe = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def test_importing_the_cli_loads_no_heavy_library() -> None:
    loaded = _loaded_after("import rempart.cli")
    assert sorted(m for m in HEAVY if m in loaded) == []
    assert sorted(m for m in loaded if m.startswith(LAYERS)) == []


def test_a_sub_command_help_loads_no_heavy_library() -> None:
    code = (
        "import sys\nfrom rempart.cli import app\n"
        "try:\n    app(['triage', '--help'])\nexcept SystemExit:\n    pass"
    )
    loaded = _loaded_after(code)
    assert sorted(m for m in HEAVY if m in loaded) == []
