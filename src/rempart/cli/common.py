"""Options every command shares, and the console used to print."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from rempart.core.i18n import Lang

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


def check_format(fmt: str, allowed: tuple[str, ...]) -> str:
    """Refuse an unknown --format with the list of known ones."""
    if fmt not in allowed:
        raise typer.BadParameter(f"--format must be one of: {', '.join(allowed)}")
    return fmt


def check_paths(paths: list[Path], lang: Lang = "fr") -> list[Path]:
    """Refuse missing input paths up front, all named at once, in `lang` (exit 2, as a
    usage error)."""
    missing = [p for p in paths if not p.exists()]
    if missing:
        from rempart.core.i18n import label, t

        text = t("error.not_found", lang, paths=", ".join(map(str, missing)))
        err_console.print(
            f"[bold red]{escape(label(t('error', lang), lang).rstrip())}[/] " + escape(text)
        )
        raise typer.Exit(2)
    return paths


def warn_if_empty(workspace: Path | None, lang: Lang) -> None:
    """Refuse a workspace that does not exist (exit 2, nothing created); warn when the one
    given holds no ingested data, so that "0 alerts" is not read as "all clear"."""
    from rempart.app.session import holds_data, require_workspace
    from rempart.core.i18n import t

    root = require_workspace(workspace)
    if not holds_data(workspace):
        err_console.print(f"[yellow]{t('workspace.empty', lang, path=root)}[/]")
