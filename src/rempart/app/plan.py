"""Containment plans for a saved incident (ranked on the twin) or a situation file, the care
impact of each, the review of an egress cut against the observed flows, and the export.

The verdict of a plan (refused / confirmed / acceptable) is computed here once, for every
caller to show.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from rempart.app.session import Session, require_workspace
from rempart.contain import (
    CareImpact,
    CutEgressExcept,
    Interval,
    Plan,
    RankedPlan,
    Situation,
    apply_confirmations,
    candidate_plans,
    load_situation,
    order_by_care,
    parse_confirmation,
    review_egress,
)
from rempart.contain.allowlist import EgressReview
from rempart.contain.export import EXPORTERS, RenderedExport, WriteResult, write_plan
from rempart.core.errors import ConfigError
from rempart.model import Hospital, load_hospital

Verdict = Literal["refused", "confirmed", "ok"]


def verdict(plan: Plan, impact: CareImpact) -> Verdict:
    """Refused while a vital cut is unconfirmed; confirmed when its vital cuts are; else ok."""
    if impact.unconfirmed(plan):
        return "refused"
    if impact.vital_cuts:
        return "confirmed"
    return "ok"


@dataclass(frozen=True)
class PlanResult:
    """The plans in order, with their care impact (and the twin's ranking for an incident)."""

    hospital: Hospital
    rows: tuple[tuple[Plan, CareImpact], ...]
    ranked: tuple[RankedPlan, ...] | None  # None: ordered by care impact (no twin ranking)
    session_root: Path
    situation: Situation | None = None

    def choose(self, plan_id: str | None = None) -> Plan | None:
        """The plan to review and export: `plan_id`, else the first."""
        if plan_id is None:
            return self.rows[0][0] if self.rows else None
        chosen = next((p for p, _ in self.rows if p.id == plan_id), None)
        if chosen is None:
            ids = [p.id for p, _ in self.rows]
            raise ConfigError(key="error.plan_unknown", params={"plan": repr(plan_id), "ids": ids})
        return chosen


def propose(
    workspace: Path | str | None,
    *,
    incident: str | None = None,
    situation: Path | None = None,
    hospital_file: Path | None = None,
    confirm: Sequence[str] = (),
    by: str = "opérateur",
    runs: int = 200,
) -> PlanResult:
    """`rempart plan`: plans for an INCIDENT (id or JSON file) or a --situation file."""
    if hospital_file is None or (incident is not None and not Path(incident).is_file()):
        require_workspace(workspace)  # a mistyped -w must not create a workspace
    with Session.reader(workspace, create=True) as session:
        hospital = load_hospital(hospital_file or session.workspace.hospital_path)
        pairs = [parse_confirmation(c) for c in confirm]
        if (incident is None) == (situation is None):
            raise ConfigError(key="error.plan_needs_input")
        if incident is not None:
            # imported here: the twin's engine is only needed when ranking an incident
            from rempart.app.incidents_store import load_incident
            from rempart.app.respond import respond

            inc = load_incident(session.root, incident)
            response = respond(
                inc, hospital, session.store_or_none(), runs=runs, confirmations=pairs, by=by
            )
            ranked = tuple(response.ranked)
            if not ranked:
                # the twin cannot replay this incident (patient zero unknown, or not a host
                # of the model): the plans are still proposed, ordered by care impact
                plans = candidate_plans(hospital, response.situation)
                rows = tuple(order_by_care(plans, hospital))
                return PlanResult(hospital, rows, None, session.root, response.situation)
            rows = tuple((r.plan, r.impact) for r in ranked)
            return PlanResult(hospital, rows, ranked, session.root, response.situation)
        assert situation is not None
        sit = load_situation(situation)
        plans = apply_confirmations(candidate_plans(hospital, sit), hospital, pairs, by)
        rows = tuple(order_by_care(plans, hospital))
        return PlanResult(hospital, rows, None, session.root, sit)


def review(result: PlanResult, plan: Plan) -> EgressReview | None:
    """What the plan's egress cut would stop among the observed flows (None: no egress cut,
    no store, or nothing stopped)."""
    action = next((a for a in plan.actions if isinstance(a, CutEgressExcept)), None)
    if action is None:
        return None
    with Session.reader(result.session_root) as session:
        store = session.store_or_none()
        if store is None:
            return None
        found = review_egress(store, result.hospital, action)
    return found if found.stopped else None


@dataclass(frozen=True)
class ExportResult:
    written: tuple[WriteResult, ...]  # the rules, then the rollback
    rendered: RenderedExport


def export(result: PlanResult, plan: Plan | None, fmt: str, out: Path | None) -> ExportResult:
    """Write the plan's rules (`fmt`: one of EXPORTERS) to `out`, and the rollback beside."""
    if fmt not in EXPORTERS:
        raise ConfigError(f"--export {fmt!r}: one of {', '.join(EXPORTERS)}")
    if out is None:
        raise ConfigError("--export needs --out FILE")
    if plan is None:
        raise ConfigError("no plan to export")
    *written, rendered = write_plan(plan, result.hospital, fmt, out)
    if (result.session_root / "cases.sqlite3").exists():  # the crisis log notes it (issue 24)
        from rempart.app.crisis import crisis_text, record_system

        text = crisis_text("crisis.plan_export", fmt=fmt, plan=plan.id, out=out)
        record_system(result.session_root, text, [f"plan:{plan.id}"])
    return ExportResult(tuple(written), rendered)


__all__ = [
    "CareImpact",
    "EgressReview",
    "ExportResult",
    "Interval",
    "Plan",
    "PlanResult",
    "RankedPlan",
    "Verdict",
    "export",
    "propose",
    "review",
    "verdict",
]
