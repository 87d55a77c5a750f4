"""`rempart incident`: group the current findings into an incident and show it."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from rempart.app.incident import Incident, build_and_save
from rempart.cli.common import LangOpt, WorkspaceOpt, console, lang_of
from rempart.core.i18n import Lang, t


def show_incident(inc: Incident, lang: Lang) -> None:
    pz = inc.patient_zero
    console.print(f"[bold]{inc.id}[/] — {inc.title_in(lang)} ({inc.severity})")
    if pz is not None:
        console.print(
            f"{t('patient_zero', lang)} : [bold]{pz.hostname or pz.ip}[/] ({pz.ip}, "
            f"{pz.zone or '?'}), {pz.first_seen:%Y-%m-%d %H:%M:%S}"
        )
    if inc.entry_email is not None:
        e = inc.entry_email
        console.print(
            f"{t('entry_email', lang)} : « {e.subject} » — {e.sender} "
            f"({len(e.recipients)} {t('recipients', lang)})",
            markup=False,
        )
    table = Table(title=t("per_zone", lang))
    table.add_column(t("zone", lang))
    table.add_column(t("infected", lang), justify="right")
    table.add_column(t("suspected", lang), justify="right")
    for zone, hosts in inc.hosts_by_zone().items():
        infected = sum(1 for h in hosts if h.status == "infected")
        table.add_row(zone, str(infected), str(len(hosts) - infected))
    console.print(table)


def register(app: typer.Typer) -> None:
    @app.command("incident")
    def incident_cmd(
        workspace: WorkspaceOpt = None,
        lang: LangOpt = "fr",
        as_json: Annotated[
            bool, typer.Option("--json", help="Print the incident as JSON.")
        ] = False,
    ) -> None:
        """Construit l'incident à partir des alertes, l'enregistre et l'affiche."""
        lg = lang_of(lang)
        result = build_and_save(workspace)
        if result is None:
            console.print(t("no_incident", lg))
            raise typer.Exit(0)
        inc = result.incident
        if as_json:
            print(inc.to_json())
            return
        show_incident(inc, lg)
        console.print(f"→ {result.saved.location}")
