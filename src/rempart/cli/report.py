"""`rempart report [INCIDENT]`: the report of any saved incident, as HTML, PDF or JSON.

Thin on purpose: `rempart.app.report` picks the incident, proposes the plans and builds the
sections; this module parses the options and says where the file went.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rempart.cli.common import (
    LangOpt,
    WorkspaceOpt,
    check_format,
    console,
    escape,
    lang_of,
    warn_if_empty,
)
from rempart.core.i18n import t

if TYPE_CHECKING:
    pass


def register(app: typer.Typer) -> None:

    @app.command("report")
    def report_cmd(
        incident: Annotated[
            str | None, typer.Argument(help=t("report.opt.incident"), show_default=False)
        ] = None,
        fmt: Annotated[str, typer.Option("--format", help=t("report.opt.format"))] = "html",
        out: Annotated[
            Path | None, typer.Option("--out", help=t("report.opt.out"), show_default=False)
        ] = None,
        runs: Annotated[int, typer.Option("--runs", help=t("report.opt.runs"))] = 100,
        workspace: WorkspaceOpt = None,
        lang: LangOpt = "fr",
    ) -> None:
        """Écrit le rapport d'un incident (HTML, PDF ou JSON) : résumé, postes, zones, plan."""
        from rempart.app.report import FORMATS, incident_report, write_incident_report

        lg = lang_of(lang)
        check_format(fmt, FORMATS)
        warn_if_empty(workspace, lg)
        report = incident_report(workspace, incident, lang=lg, runs=runs)
        if out is None:
            from rempart.app.session import require_workspace

            out = require_workspace(workspace) / "reports" / f"{report.case_id}.{fmt}"
        path = write_incident_report(report, fmt, out, lg)
        console.print(t("report.written", lg, path=escape(str(path))))
