"""`rempart plan --situation FILE`: containment plans with their care impact, and exports.

Thin on purpose: the logic lives in `rempart.app.plan`. Plans for a situation file are
ordered by care impact; for an incident they are ranked on the twin by machines saved
against care cut.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rempart.cli.common import LangOpt, WorkspaceOpt, console, lang_of
from rempart.core.i18n import Lang, label, t

if TYPE_CHECKING:
    from rich.table import Table

    from rempart.app.plan import CareImpact, EgressReview, Interval, Plan, RankedPlan


def _t(key: str, lang: Lang, **values: object) -> str:
    return t(f"plan.{key}", lang, **values)


def plan_label(plan: Plan, lang: Lang) -> str:
    """The plan's title (French), or its network actions' titles in English."""
    if plan.title_key or lang == "fr" or not plan.network_actions:
        return plan.title_in(lang)
    return " + ".join(a.describe(lang).title for a in plan.network_actions)


_VERDICT_STYLE = {"refused": "red", "confirmed": "yellow", "ok": "green"}


def _verdict(plan: Plan, impact: CareImpact, lang: Lang) -> str:
    from rempart.app.plan import verdict

    v = verdict(plan, impact)
    return f"[{_VERDICT_STYLE[v]}]{_t(v, lang)}[/]"


def _touched(impact: CareImpact, lang: Lang) -> str:
    """Services touched, the same figure everywhere: cut, then degraded (CareImpact)."""
    cut, degraded = len(impact.services_cut), len(impact.services_degraded)
    if not cut and not degraded:
        return "—"
    return _t("touched_n", lang, cut=cut, degraded=degraded)


def plans_table(rows: list[tuple[Plan, CareImpact]], lang: Lang, wide: bool = False) -> Table:
    from rich.table import Table

    table = Table(title=_t("plans_title", lang))
    cols = ("plan", "actions", "services_hit", "vital_cuts", "verdict") if wide else (
        "plan", "services_hit", "vital_cuts", "verdict")  # fmt: skip
    for col in cols:
        table.add_column(_t(col, lang))
    for plan, impact in rows:
        missing = impact.unconfirmed(plan)
        vital = impact.vital_cuts
        cells = [
            f"{plan.id}\n{plan_label(plan, lang)}",
            "\n".join(a.describe(lang).title for a in plan.actions),
            ", ".join(impact.services_touched) if wide else _touched(impact, lang),
            f"{len(vital)}" + (f" ({len(missing)} !)" if missing else ""),
            _verdict(plan, impact, lang),
        ]
        if not wide:
            del cells[1]
        table.add_row(*cells)
    return table


def ranked_table(ranked: list[RankedPlan], lang: Lang, wide: bool = False) -> Table:
    """The plans ranked with the twin: infected at 24 h (1 h and 6 h with --wide), saved
    against doing nothing, services touched; each estimate is the mean [5 %-95 %] of the same
    runs. On a narrow terminal the plan column holds its id only: `plan_legend` follows
    the table with each id's title, which reads as a phrase rather than a word per line."""
    from rich.table import Table

    compact = not wide and console.width < COMPACT_BELOW
    table = Table(title=_t("ranked_title", lang))
    cols = ("rank", "plan", "h1", "h6", "h24", "saved", "services_hit", "verdict") if wide else (
        "rank", "plan", "h24", "saved", "services_hit", "verdict")  # fmt: skip
    for col in cols:
        table.add_column(
            _t(col, lang),
            justify="right" if col in ("rank", "saved") else "left",
            no_wrap=col in ("h1", "h6", "h24", "verdict") or (col == "plan" and compact),
        )

    def iv(x: Interval) -> str:
        return f"{x.mean:.0f} [{x.low:.0f}-{x.high:.0f}]"

    for r in ranked:
        cells = {
            "rank": str(r.rank),
            "plan": r.plan.id if compact else f"{r.plan.id}\n{plan_label(r.plan, lang)}",
            "h1": iv(r.estimate.h1),
            "h6": iv(r.estimate.h6),
            "h24": iv(r.estimate.h24),
            "saved": f"{r.saved_24h:.0f}",
            "services_hit": _touched(r.impact, lang),
            "verdict": _verdict(r.plan, r.impact, lang),
        }
        table.add_row(*(cells[c] for c in cols))
    return table


COMPACT_BELOW = 110  # columns under which the ranking shows plan ids only


def plan_legend(ranked: list[RankedPlan], lang: Lang, wide: bool = False) -> list[str]:
    """`id: title` of each ranked plan, when the table showed ids only (else nothing)."""
    if wide or console.width >= COMPACT_BELOW:
        return []
    return [f"{r.plan.id}{label('', lang)}{plan_label(r.plan, lang)}" for r in ranked]


def impact_table(plan: Plan, impact: CareImpact, lang: Lang, wide: bool = False) -> Table:
    from rich.table import Table

    table = Table(title=_t("impact_title", lang, plan=plan.id))
    cols = ("service", "dependency", "level", "why", "procedure") if wide else (
        "service", "dependency", "level")  # fmt: skip
    for col in cols:
        table.add_column(_t(col, lang))
    for item in impact.items:
        level = _t(item.level.value, lang) + (f" ({_t('vital', lang)})" if item.vital else "")
        if item.vital and item.level.value == "cut":
            level = f"[red]{level}[/]"
        cells = [
            item.service_name,
            f"{item.dependency_kind.value}: {item.dependency_ref}",
            level,
            item.why_text(lang),
            item.degraded_procedure or "—",
        ]
        table.add_row(*cells[: len(cols)])
    return table


def print_review(review: EgressReview, lang: Lang) -> None:
    from rich.table import Table

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
        wide: Annotated[bool, typer.Option("--wide", help=_t("opt_wide", "fr"))] = False,
    ) -> None:
        """Propose des plans de confinement, leur impact sur les soins, exporte les règles."""
        from rempart.app.plan import export, propose, review

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
            console.print(ranked_table(list(result.ranked), lg, wide))
            for line in plan_legend(list(result.ranked), lg, wide):
                console.print(line, markup=False)
            if result.ranked:
                base = result.ranked[0].baseline
                console.print(
                    _t(
                        "baseline",
                        lg,
                        mean=f"{base.h24.mean:.0f}",
                        low=f"{base.h24.low:.0f}",
                        high=f"{base.h24.high:.0f}",
                        runs=base.runs or runs,
                    )
                )
        else:
            if incident is not None:
                console.print(_t("no_twin", lg))
            console.print(plans_table(list(result.rows), lg, wide))
        for plan, impact in result.rows:
            if impact.items:
                console.print(impact_table(plan, impact, lg, wide))
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
