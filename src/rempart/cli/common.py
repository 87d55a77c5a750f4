"""Options every command shares, and the console used to print."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from rempart.core.i18n import Lang

if TYPE_CHECKING:
    from rich.console import Console

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


class LazyConsole:
    """A rich `Console` made when first used, then one in place (same object, its class
    becomes `Console`): rich costs a third of `--help`'s start-up, which prints nothing
    through it."""

    def __init__(self, **options: Any) -> None:
        self.lazy_options = options

    def __getattr__(self, name: str) -> Any:
        if name == "lazy_options":  # not set yet: a copy being made, say
            raise AttributeError(name)
        from rich.console import Console

        options = self.__dict__.pop("lazy_options")
        object.__setattr__(self, "__class__", Console)
        Console.__init__(cast("Console", self), **options)
        return getattr(self, name)


console = cast("Console", LazyConsole(highlight=False))
err_console = cast("Console", LazyConsole(stderr=True, highlight=False))


def make_consoles() -> None:
    """Both consoles made now, with the environment's COLUMNS as it is (a console keeps the
    width it was made with)."""
    for c in (console, err_console):
        c.is_terminal  # noqa: B018 (an attribute read makes it)


def escape(text: str) -> str:
    """Rich's markup escape (`[` read as text), importing rich when first used."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


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
