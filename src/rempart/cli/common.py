"""Options every command shares, and the console used to print."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from rempart.i18n import Lang

WorkspaceOpt = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace folder (default: $REMPART_WORKSPACE, else ./rempart-workspace).",
        show_default=False,
    ),
]
LangOpt = Annotated[str, typer.Option("--lang", help="Language: fr (default) or en.")]

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def lang_of(value: str) -> Lang:
    if value not in ("fr", "en"):
        raise typer.BadParameter("--lang must be fr or en")
    return "fr" if value == "fr" else "en"
