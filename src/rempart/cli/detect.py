"""`rempart detect`: run every registered detector over the store, print one row each."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from rempart.cli.common import LangOpt, WorkspaceOpt, console, lang_of
from rempart.detect import DetectContext, DetectorRun, run_detectors
from rempart.i18n import add, t
from rempart.model import Hospital, load_hospital
from rempart.store import Store, Workspace

for _key, _fr, _en in (
    ("detect_title", "Détection", "Detection"),
    ("detector", "détecteur", "detector"),
    ("version", "version", "version"),
    ("findings", "alertes", "findings"),
    ("error", "erreur", "error"),
    ("no_model", "pas de hospital.yaml : internes = RFC 1918, zones = /24",
     "no hospital.yaml: internal = RFC 1918, zones = /24"),
):  # fmt: skip
    add(_key, _fr, _en)


def workspace_hospital(ws: Workspace) -> Hospital | None:
    """The workspace's hospital model when it has one (detectors work without it)."""
    return load_hospital(ws.hospital_path) if ws.hospital_path.exists() else None


def render_runs(runs: list[DetectorRun], lang: str) -> Table:
    lg = lang_of(lang)
    table = Table(title=t("detect_title", lg))
    table.add_column(t("detector", lg))
    table.add_column(t("version", lg))
    table.add_column(t("findings", lg), justify="right")
    table.add_column(t("error", lg))
    for r in runs:
        table.add_row(r.name, r.version, str(r.findings), r.error or "")
    return table


def register(app: typer.Typer) -> None:
    @app.command("detect")
    def detect_cmd(
        workspace: WorkspaceOpt = None,
        lang: LangOpt = "fr",
        only: Annotated[
            list[str] | None, typer.Option("--only", help="Run only these detectors.")
        ] = None,
    ) -> None:
        """Lance les détecteurs ; leurs alertes remplacent celles du passage précédent."""
        lg = lang_of(lang)
        ws = Workspace.at(workspace)
        hospital = workspace_hospital(ws)
        if hospital is None:
            console.print(t("no_model", lg))
        with Store(ws.db_path) as store:
            runs = run_detectors(DetectContext(store, hospital), only or None)
        console.print(render_runs(runs, lang))
        if any(r.error for r in runs):
            raise typer.Exit(1)
