"""`rempart --help` must start fast (issue 26): the CLI modules import the heavy libraries
(DuckDB, Arrow, pySigma, Django, NumPy, pandas) and the layers below app/ only inside the
commands that use them. Checked on `sys.modules` in a fresh interpreter, not timed."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import typer.main

from rempart.cli import COMMANDS, LazyCommands, app, localise_help, plain_help
from rempart.core.i18n import Lang

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


def _every_help_path() -> list[list[str]]:
    def walk(cmd: object, path: list[str]) -> list[list[str]]:
        found = [path]
        for name, sub in getattr(cmd, "commands", {}).items():
            found += walk(sub, [*path, name])
        return found

    return walk(typer.main.get_command(app), [])


def test_every_help_of_the_tree_loads_no_heavy_library_nor_rich() -> None:
    """All of them in one interpreter, through `main`, in both languages: what any of them
    loads is in `sys.modules` at the end. Rich draws tables, `--help` prints plain text."""
    paths = _every_help_path()
    assert len(paths) > len(COMMANDS)  # groups' sub-commands walked too
    code = (
        "import contextlib, io, os, sys\nfrom rempart.cli import main\n"
        f"for argv in {paths!r}:\n"
        "    for lang in ('fr', 'en'):\n"
        "        sys.argv, os.environ['REMPART_LANG'] = ['rempart', *argv, '--help'], lang\n"
        "        out = io.StringIO()\n"
        "        try:\n"
        "            with contextlib.redirect_stdout(out):\n"
        "                main()\n"
        "        except SystemExit as exc:\n"
        "            assert exc.code in (0, None), (argv, exc.code)\n"
        "        assert 'Usage: rempart' in out.getvalue(), argv"
    )
    loaded = _loaded_after(code)
    slow = (*HEAVY, "pydantic", "yaml", "rich", "typer.rich_utils", "hashlib")
    assert sorted(m for m in loaded if m.split(".")[0] in slow or m in slow) == []
    assert sorted(m for m in loaded if m.startswith(LAYERS)) == []


def test_a_help_imports_only_its_own_command_module() -> None:
    """`rempart --help` lists the commands from the catalogue, importing none of their
    modules; `rempart board add --help` imports the board's module only."""
    for argv, expected in (
        (["--help"], set()),
        (["triage", "--help"], {"rempart.cli.triage"}),
        (["board", "add", "--help"], {"rempart.cli.board"}),
    ):
        code = (
            f"import sys\nsys.argv = ['rempart', *{argv!r}]\nfrom rempart.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass"
        )
        loaded = _loaded_after(code)
        assert {m for m in loaded if m in COMMANDS} == expected, argv


def _root_help(command: object) -> str:
    ctx = command.make_context("rempart", [], resilient_parsing=True)  # type: ignore[attr-defined]
    return str(command.get_help(ctx))  # type: ignore[attr-defined]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_listing_without_imports_reads_as_with_them(lang: Lang) -> None:
    """`rempart --help` lists each command by the one-line help its module would give, in
    the same order: stand-ins from the catalogue, then the commands themselves, compared."""
    command = typer.main.get_command(app)
    localise_help(command, lang)
    plain_help(command)
    lazy = command.commands  # type: ignore[attr-defined]
    assert isinstance(lazy, LazyCommands) and not lazy.built
    listed = _root_help(command)
    assert not lazy.built  # nothing imported to list them
    built = dict(lazy.items())
    assert list(built) == [m.rsplit(".", 1)[1] for m in COMMANDS]
    assert _root_help(command) == listed
    assert all(name in listed for name in built)
