"""The `rempart` command: one module per sub-command, each with a `register(app)`."""

from __future__ import annotations

import importlib
from typing import Annotated

import typer

from rempart.cli.common import err_console
from rempart.core.errors import RempartError

app = typer.Typer(
    name="rempart",
    help="Rempart: cyber-défense pour l'hôpital (voir, détecter, contenir, rétablir, répéter).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# One line per sub-command module; each defines `register(app: typer.Typer) -> None`.
COMMANDS: tuple[str, ...] = (
    "rempart.cli.init",
    "rempart.cli.ingest",
    "rempart.cli.plan",
    "rempart.cli.triage",
    "rempart.cli.email",
    "rempart.cli.detect",
    "rempart.cli.alerts",
    "rempart.cli.incident",
    "rempart.cli.report",
    "rempart.cli.demo",
    "rempart.cli.devices",
    "rempart.cli.twin",
    "rempart.cli.users",
    "rempart.cli.serve",
    "rempart.cli.board",
    "rempart.cli.crisis",
    "rempart.cli.evidence",
)


def _version(value: bool) -> None:
    if value:
        from rempart import __version__

        print(f"rempart {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version,
            is_eager=True,
            help="Affiche la version et quitte.",
        ),
    ] = False,
) -> None:
    """Rempart: cyber-défense pour l'hôpital (voir, détecter, contenir, rétablir, répéter)."""


for _name in COMMANDS:
    importlib.import_module(_name).register(app)


def main() -> None:
    """Entry point: Rempart's own errors become a one-line message and exit code 2."""
    try:
        app()
    except RempartError as exc:
        err_console.print(f"[bold red]erreur:[/] {exc}")
        raise SystemExit(2) from exc
