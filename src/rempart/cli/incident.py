"""`rempart incident`: group the current findings into incidents and show them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from rempart.cli.common import LangOpt, WorkspaceOpt, console, escape, lang_of, warn_if_empty
from rempart.core.i18n import Lang, label, quoted, t

if TYPE_CHECKING:
    from rempart.app.incident import Incident


def show_incident(inc: Incident, lang: Lang) -> None:

    from rich.table import Table

    pz = inc.patient_zero
    console.print(
        f"[bold]{inc.id}[/] — {escape(inc.title_in(lang))} ({inc.severity})"
        + (f" · {label(t('incident.kind', lang), lang)}{inc.kind}" if inc.kind else "")
    )
    if pz is not None:
        name = pz.hostname or pz.ip
        where = ", ".join(x for x in (pz.ip, pz.zone) if x and x != name) or "?"
        console.print(
            f"{label(t('patient_zero', lang), lang)}[bold]{escape(name)}[/] "
            f"({escape(where)}), {pz.first_seen:%Y-%m-%d %H:%M:%S}"
        )
    else:
        console.print(label(t("patient_zero", lang), lang) + t("incident.unknown", lang))
    if inc.entry_email is not None:
        e = inc.entry_email
        console.print(
            f"{label(t('entry_email', lang), lang)}{quoted(e.subject or '', lang)} — {e.sender} "
            f"({len(e.recipients)} {t('recipients', lang)})",
            markup=False,
        )
    if inc.accounts:
        shown = ", ".join(inc.accounts[:5]) + (", …" if len(inc.accounts) > 5 else "")
        console.print(t("incident.accounts", lang, n=len(inc.accounts), names=shown), markup=False)
    if inc.external_sources:
        ext = inc.external_sources
        shown = ", ".join(ext[:3]) + (", …" if len(ext) > 3 else "")
        console.print(t("incident.external", lang, n=len(ext), names=shown), markup=False)
    if inc.targets:
        console.print(t("incident.targets", lang, names=", ".join(inc.targets[:5])), markup=False)
    for w in inc.warnings:
        key = str(w.get("key", ""))
        console.print(f"[yellow]! {escape(t(key, lang, **dict(w.get('params') or {})))}[/]")
    if not inc.hosts:
        return
    table = Table(title=t("per_zone", lang))
    table.add_column(t("zone", lang))
    table.add_column(t("infected", lang), justify="right")
    table.add_column(t("suspected", lang), justify="right")
    for zone, hosts in inc.hosts_by_zone().items():
        infected = sum(1 for h in hosts if h.status == "infected")
        table.add_row(escape(zone), str(infected), str(len(hosts) - infected))
    console.print(table)


def register(app: typer.Typer) -> None:

    @app.command("incident")
    def incident_cmd(
        workspace: WorkspaceOpt = None,
        lang: LangOpt = "fr",
        as_json: Annotated[bool, typer.Option("--json", help=t("incident.opt.json", "fr"))] = False,
    ) -> None:
        """Construit les incidents à partir des alertes, les enregistre et les affiche."""
        from rempart.app.incident import build_and_save_all

        lg = lang_of(lang)
        warn_if_empty(workspace, lg)
        results = build_and_save_all(workspace)
        if not results:
            console.print(t("no_incident", lg))
            raise typer.Exit(0)
        if as_json:
            print("[" + ",\n".join(r.incident.to_json() for r in results) + "]")
            return
        for result in results:
            show_incident(result.incident, lg)
            console.print(f"→ {escape(result.saved.location)}")
            console.print()
