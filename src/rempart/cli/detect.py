"""`rempart detect`: run every registered detector over the store, print one row each."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from rempart.cli.common import LangOpt, WorkspaceOpt, console, escape, lang_of, warn_if_empty
from rempart.core.i18n import t

if TYPE_CHECKING:
    from rich.table import Table

    from rempart.app.detect import DetectorRun


def render_runs(runs: list[DetectorRun], lang: str) -> Table:

    from rich.table import Table

    lg = lang_of(lang)
    table = Table(title=t("detect_title", lg))
    table.add_column(t("detector", lg))
    table.add_column(t("version", lg))
    table.add_column(t("findings", lg), justify="right")
    table.add_column(t("error", lg))
    for r in runs:
        table.add_row(r.name, r.version, str(r.findings), escape(r.error or ""))
    return table


def register(app: typer.Typer) -> None:

    @app.command("detect")
    def detect_cmd(
        workspace: WorkspaceOpt = None,
        lang: LangOpt = "fr",
        only: Annotated[
            list[str] | None, typer.Option("--only", help="Run only these detectors.")
        ] = None,
        internal: Annotated[
            list[str] | None,
            typer.Option(
                "--internal",
                help="Plage interne en plus (CIDR, répétable) : réseau numéroté en public.",
            ),
        ] = None,
        sensor_local: Annotated[
            bool,
            typer.Option(
                "--sensor-local/--no-sensor-local",
                help="Traiter comme internes les adresses que Zeek a marquées locales.",
            ),
        ] = True,
    ) -> None:
        """Lance les détecteurs ; leurs alertes remplacent celles du passage précédent."""
        from rempart.app.detect import BadCidr, detect

        lg = lang_of(lang)
        warn_if_empty(workspace, lg)
        try:
            result = detect(
                workspace, only=only or None, internal=internal or [], sensor_local=sensor_local
            )
        except BadCidr as exc:
            raise typer.BadParameter(t("detect_bad_cidr", lg, value=exc.value)) from None
        if not result.has_model:
            console.print(t("no_model", lg))
        if result.given:
            console.print(t("detect_internal", lg, ranges=", ".join(result.given)))
        local = result.sensor_local
        if local:
            shown = ", ".join(local[:5]) + (", …" if len(local) > 5 else "")
            console.print(t("detect_sensor_local", lg, n=len(local), ranges=escape(shown)))
        if result.none_internal:
            shown = ", ".join(result.ranges[:6])
            console.print(t("detect_no_internal", lg, n=result.addresses, ranges=shown))
        console.print(render_runs(list(result.runs), lang))
        from rempart.cli.board import say_feed

        say_feed(result.board, lg)
        if result.failed:
            raise typer.Exit(1)
