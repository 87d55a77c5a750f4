"""`rempart plan --situation FILE`: containment plans with their care impact, and exports.

Thin on purpose: the logic lives in `rempart.app.plan`. Plans for a situation file are
ordered by care impact; for an incident they are ranked on the twin by machines saved
against care cut.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from rempart.app.plan import (
    CareImpact,
    EgressReview,
    Interval,
    Plan,
    RankedPlan,
    export,
    propose,
    review,
    verdict,
)
from rempart.cli.common import LangOpt, WorkspaceOpt, console, lang_of
from rempart.core.i18n import Lang, t


def _t(key: str, lang: Lang, **values: object) -> str:
    return t(f"plan.{key}", lang, **values)


def plan_label(plan: Plan, lang: Lang) -> str:
    """The plan's title (French), or its network actions' titles in English."""
    if plan.title_key or lang == "fr" or not plan.network_actions:
        return plan.title_in(lang)
    return " + ".join(a.describe(lang).title for a in plan.network_actions)


_VERDICT_STYLE = {"refused": "red", "confirmed": "yellow", "ok": "green"}


def _verdict(plan: Plan, impact: CareImpact, lang: Lang) -> str:
    v = verdict(plan, impact)
    return f"[{_VERDICT_STYLE[v]}]{_t(v, lang)}[/]"


def plans_table(rows: list[tuple[Plan, CareImpact]], lang: Lang) -> Table:
    table = Table(title=_t("plans_title", lang))
    for col in ("plan", "actions", "services_hit", "vital_cuts", "verdict"):
        table.add_column(_t(col, lang))
    for plan, impact in rows:
        missing = impact.unconfirmed(plan)
        vital = impact.vital_cuts
        table.add_row(
            f"{plan.id}\n{plan_label(plan, lang)}",
            "\n".join(a.describe(lang).title for a in plan.actions),
            ", ".join(impact.services_cut) or "—",
            f"{len(vital)}" + (f" ({len(missing)} !)" if missing else ""),
            _verdict(plan, impact, lang),
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
        table.add_row(
            str(r.rank),
            f"{r.plan.id}\n{plan_label(r.plan, lang)}",
            iv(r.estimate.h1),
            iv(r.estimate.h6),
            iv(r.estimate.h24),
            f"{r.saved_24h:.0f}",
            ", ".join(r.impact.services_cut) or "—",
            _verdict(r.plan, r.impact, lang),
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


def print_review(review: EgressReview, lang: Lang) -> None:
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
        export_fmt: Annotated[
            str | None,
            typer.Option("--export", help="nftables | iptables | ip6tables | json | csv"),
        ] = None,
        out: Annotated[
            Path | None, typer.Option("--out", help="File to write the export to.")
        ] = None,
    ) -> None:
        """Propose des plans de confinement, leur impact sur les soins, exporte les règles."""
        lg = lang_of(lang)
        result = propose(
            workspace,
            incident=incident,
            situation=situation,
            hospital_file=hospital_file,
            confirm=confirm or [],
            by=by,
            runs=runs,
        )
        if result.ranked is not None:
            console.print(ranked_table(list(result.ranked), lg))
        else:
            console.print(plans_table(list(result.rows), lg))
        for plan, impact in result.rows:
            if impact.items:
                console.print(impact_table(plan, impact, lg))
        chosen = result.choose(plan_id)
        if chosen is not None:
            found = review(result, chosen)
            if found is not None:
                print_review(found, lg)
        if export_fmt is None:
            return
        done = export(result, chosen, export_fmt, out)
        results, rendered = done.written, done.rendered
        for res in results:
            if res.changed and res.validation is not None:
                console.print(_t("written", lg, path=res.path, tool=res.validation.tool))
            else:
                console.print(_t("unchanged", lg, path=res.path))
        if rendered.omitted_rules:
            console.print(_t("omitted", lg, n=rendered.omitted_rules))
        if rendered.other_actions:
            console.print(_t("other_actions", lg, n=rendered.other_actions))
