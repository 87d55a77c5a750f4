"""`rempart plan --situation FILE`: containment plans with their care impact, and exports.

Thin on purpose: the logic lives in `rempart.contain` (the lead adds `rempart plan INCIDENT`
on top of the same functions). Plans are ordered by care impact here; with the twin's
what-if engine they are ranked by machines saved against care cut (`rank_plans`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from rempart.cli.common import LangOpt, WorkspaceOpt, console, lang_of
from rempart.contain import (
    CareImpact,
    CutEgressExcept,
    Interval,
    Plan,
    RankedPlan,
    apply_confirmations,
    candidate_plans,
    load_situation,
    order_by_care,
    parse_confirmation,
    review_egress,
)
from rempart.contain.export import EXPORTERS, write_plan
from rempart.core.errors import ConfigError
from rempart.core.i18n import Lang, add, t
from rempart.model import Hospital, load_hospital
from rempart.store import Store, Workspace

for _key, _fr, _en in (
    ("plans_title", "Plans de confinement", "Containment plans"),
    ("plan", "plan", "plan"),
    ("ranked_title", "Plans classés (jumeau numérique)", "Ranked plans (digital twin)"),
    ("rank", "rang", "rank"),
    ("h1", "infectés 1 h", "infected 1 h"),
    ("h6", "infectés 6 h", "infected 6 h"),
    ("h24", "infectés 24 h", "infected 24 h"),
    ("saved", "machines sauvées", "machines saved"),
    ("actions", "actions", "actions"),
    ("services_hit", "services touchés", "services hit"),
    ("vital_cuts", "coupures vitales", "vital cuts"),
    ("verdict", "verdict", "verdict"),
    ("ok", "acceptable", "acceptable"),
    ("refused", "refusé : confirmation requise", "refused: confirmation needed"),
    ("confirmed", "confirmé", "confirmed"),
    ("impact_title", "Impact sur les soins : {plan}", "Care impact: {plan}"),
    ("service", "service", "service"),
    ("dependency", "dépendance", "dependency"),
    ("level", "niveau", "level"),
    ("cut", "coupée", "cut"),
    ("degraded", "dégradée", "degraded"),
    ("vital", "vitale", "vital"),
    ("why", "pourquoi", "why"),
    ("procedure", "procédure dégradée", "degraded procedure"),
    ("no_impact", "aucun service de soins touché", "no care service affected"),
    (
        "review_title",
        "Flux observés que la coupure arrêterait",
        "Observed flows the cut would stop",
    ),
    ("destination", "destination", "destination"),
    ("flows", "flux", "flows"),
    ("days", "jours", "days"),
    ("from_servers", "depuis serveurs", "from servers"),
    ("looks_vital", "semble vital", "looks vital"),
    ("yes", "oui", "yes"),
    ("no", "non", "no"),
    ("written", "écrit : {path} ({tool})", "written: {path} ({tool})"),
    ("unchanged", "inchangé : {path}", "unchanged: {path}"),
    ("to_review", "{n} flux à examiner avant la coupure", "{n} flow(s) to review before the cut"),
    (
        "omitted",
        "{n} règle(s) d'une autre famille d'adresses : exporter aussi ip6tables",
        "{n} rule(s) of another address family: export ip6tables too",
    ),
    (
        "other_actions",
        "{n} action(s) hors pare-feu (messagerie, comptes, indicateurs) : voir l'export json",
        "{n} action(s) outside the firewall (mail, accounts, indicators): see the json export",
    ),
):
    add(f"plan.{_key}", _fr, _en)


def _t(key: str, lang: Lang, **values: object) -> str:
    return t(f"plan.{key}", lang, **values)


def plan_label(plan: Plan, lang: Lang) -> str:
    """The plan's title (French), or its network actions' titles in English."""
    if plan.title_key or lang == "fr" or not plan.network_actions:
        return plan.title_in(lang)
    return " + ".join(a.describe(lang).title for a in plan.network_actions)


def plans_table(rows: list[tuple[Plan, CareImpact]], lang: Lang) -> Table:
    table = Table(title=_t("plans_title", lang))
    for col in ("plan", "actions", "services_hit", "vital_cuts", "verdict"):
        table.add_column(_t(col, lang))
    for plan, impact in rows:
        missing = impact.unconfirmed(plan)
        vital = impact.vital_cuts
        if missing:
            verdict = f"[red]{_t('refused', lang)}[/]"
        elif vital:
            verdict = f"[yellow]{_t('confirmed', lang)}[/]"
        else:
            verdict = f"[green]{_t('ok', lang)}[/]"
        table.add_row(
            f"{plan.id}\n{plan_label(plan, lang)}",
            "\n".join(a.describe(lang).title for a in plan.actions),
            ", ".join(impact.services_cut) or "—",
            f"{len(vital)}" + (f" ({len(missing)} !)" if missing else ""),
            verdict,
        )
    return table


def ranked_table(ranked: list[RankedPlan], lang: Lang) -> Table:
    """The plans ranked with the twin: infected at 1 h / 6 h / 24 h, saved, care cut."""
    table = Table(title=_t("ranked_title", lang))
    for col in ("rank", "plan", "h1", "h6", "h24", "saved", "services_hit", "verdict"):
        table.add_column(_t(col, lang), justify="right" if col in ("rank", "saved") else "left")

    def iv(x: Interval) -> str:
        return f"{x.mean:.0f} [{x.low:.0f}-{x.high:.0f}]"

    for r in ranked:
        if r.refused:
            verdict = f"[red]{_t('refused', lang)}[/]"
        elif r.impact.vital_cuts:
            verdict = f"[yellow]{_t('confirmed', lang)}[/]"
        else:
            verdict = f"[green]{_t('ok', lang)}[/]"
        table.add_row(
            str(r.rank),
            f"{r.plan.id}\n{plan_label(r.plan, lang)}",
            iv(r.estimate.h1),
            iv(r.estimate.h6),
            iv(r.estimate.h24),
            f"{r.saved_24h:.0f}",
            ", ".join(r.impact.services_cut) or "—",
            verdict,
        )
    return table


def impact_table(plan: Plan, impact: CareImpact, lang: Lang) -> Table:
    table = Table(title=_t("impact_title", lang, plan=plan.id))
    for col in ("service", "dependency", "level", "why", "procedure"):
        table.add_column(_t(col, lang))
    for item in impact.items:
        level = _t(item.level.value, lang) + (f" ({_t('vital', lang)})" if item.vital else "")
        if item.vital and item.level.value == "cut":
            level = f"[red]{level}[/]"
        table.add_row(
            item.service_name,
            f"{item.dependency_kind.value}: {item.dependency_ref}",
            level,
            item.why_text(lang),
            item.degraded_procedure or "—",
        )
    return table


def print_review(store: Store, hospital: Hospital, plan: Plan, lang: Lang) -> None:
    for action in plan.actions:
        if not isinstance(action, CutEgressExcept):
            continue
        review = review_egress(store, hospital, action)
        if not review.stopped:
            return
        table = Table(title=_t("review_title", lang))
        for col in ("destination", "flows", "days", "from_servers", "looks_vital"):
            table.add_column(_t(col, lang))
        for f in review.stopped[:20]:
            table.add_row(
                f"{f.dst_ip}:{f.dst_port if f.dst_port is not None else '*'}",
                str(f.flows),
                str(f.days),
                ", ".join(f.server_sources) or "—",
                _t("yes" if f.looks_vital else "no", lang),
            )
        console.print(table)
        console.print(_t("to_review", lang, n=len(review.to_review)))
        return


def _ranked_for_incident(
    ws: Workspace,
    hospital: Hospital,
    incident: str,
    pairs: list[tuple[str, str]],
    by: str,
    runs: int,
    lang: Lang,
) -> list[tuple[Plan, CareImpact]]:
    """Plans for a saved incident, ranked on the twin (machines saved against care cut)."""
    # imported here: the twin's engine is only needed when ranking an incident
    from rempart.app.respond import respond
    from rempart.incidents import Incident

    path = Path(incident)
    if not path.is_file():
        path = ws.root / "incidents" / f"{incident}.json"
    if not path.is_file():
        raise ConfigError(f"incident not found: {incident} (looked in {ws.root / 'incidents'})")
    inc = Incident.load(path)
    store = Store(ws.db_path, read_only=True) if ws.db_path.exists() else None
    try:
        response = respond(inc, hospital, store, runs=runs, confirmations=pairs, by=by)
    finally:
        if store is not None:
            store.close()
    ranked = list(response.ranked)
    console.print(ranked_table(ranked, lang))
    return [(r.plan, r.impact) for r in ranked]


def register(app: typer.Typer) -> None:
    @app.command("plan")
    def plan_cmd(
        incident: Annotated[
            str | None,
            typer.Argument(help="Incident id (workspace incidents/) or incident JSON file."),
        ] = None,
        situation: Annotated[
            Path | None,
            typer.Option("--situation", help="Situation JSON file (see docs/containment.md)."),
        ] = None,
        runs: Annotated[int, typer.Option(help="Twin Monte Carlo runs per plan.")] = 200,
        workspace: WorkspaceOpt = None,
        lang: LangOpt = "fr",
        hospital_file: Annotated[
            Path | None, typer.Option("--hospital", help="hospital.yaml (default: workspace's).")
        ] = None,
        confirm: Annotated[
            list[str] | None,
            typer.Option("--confirm-vital", help='Accept a vital cut: "name: reason".'),
        ] = None,
        by: Annotated[str, typer.Option("--by", help="Who confirms.")] = "opérateur",
        plan_id: Annotated[
            str | None, typer.Option("--plan", help="Plan to export (default: the first).")
        ] = None,
        export: Annotated[
            str | None,
            typer.Option("--export", help="nftables | iptables | ip6tables | json | csv"),
        ] = None,
        out: Annotated[
            Path | None, typer.Option("--out", help="File to write the export to.")
        ] = None,
    ) -> None:
        """Propose des plans de confinement, leur impact sur les soins, exporte les règles."""
        lg = lang_of(lang)
        ws = Workspace.at(workspace)
        hospital = load_hospital(hospital_file or ws.hospital_path)
        pairs = [parse_confirmation(c) for c in confirm or []]
        if (incident is None) == (situation is None):
            raise ConfigError("give an INCIDENT or --situation FILE (one of the two)")
        if incident is not None:
            rows = _ranked_for_incident(ws, hospital, incident, pairs, by, runs, lg)
        else:
            assert situation is not None
            sit = load_situation(situation)
            plans = apply_confirmations(candidate_plans(hospital, sit), hospital, pairs, by)
            rows = order_by_care(plans, hospital)
            console.print(plans_table(rows, lg))
        for plan, impact in rows:
            if impact.items:
                console.print(impact_table(plan, impact, lg))
        chosen = rows[0][0] if rows else None
        if plan_id is not None:
            chosen = next((p for p, _ in rows if p.id == plan_id), None)
            if chosen is None:
                raise ConfigError(f"--plan {plan_id!r}: unknown (plans: {[p.id for p, _ in rows]})")
        if chosen is not None and ws.db_path.exists():
            with Store(ws.db_path, read_only=True) as store:
                print_review(store, hospital, chosen, lg)
        if export is None:
            return
        if export not in EXPORTERS:
            raise ConfigError(f"--export {export!r}: one of {', '.join(EXPORTERS)}")
        if out is None:
            raise ConfigError("--export needs --out FILE")
        if chosen is None:
            raise ConfigError("no plan to export")
        *results, rendered = write_plan(chosen, hospital, export, out)
        for res in results:
            if res.changed and res.validation is not None:
                console.print(_t("written", lg, path=res.path, tool=res.validation.tool))
            else:
                console.print(_t("unchanged", lg, path=res.path))
        if rendered.omitted_rules:
            console.print(_t("omitted", lg, n=rendered.omitted_rules))
        if rendered.other_actions:
            console.print(_t("other_actions", lg, n=rendered.other_actions))
