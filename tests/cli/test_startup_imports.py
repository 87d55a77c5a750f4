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


def test_every_help_path_skips_pydantic_rich_layout_and_yaml() -> None:
    """Through `main` (what the `rempart` script runs): a group's absent options, `--help`
    itself, the help layout and the message catalogues need none of these."""
    slow = ("pydantic", "rich.markdown", "rich.traceback", "typer.rich_utils", "yaml")
    for argv in (["--help"], ["triage", "--help"], ["board", "add", "--help"]):
        code = (
            f"import sys\nsys.argv = ['rempart', *{argv!r}]\nfrom rempart.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass"
        )
        loaded = _loaded_after(code)
        assert sorted(m for m in slow if m in loaded) == [], argv
