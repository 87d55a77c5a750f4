"""The plans of an incident as the console shows them, and the crisis cell's decisions.

Ranking an incident's plans on the twin takes seconds: the result is kept per process for the
incident's version and the store's. A decision ("plan retenu") is an entry of the audit trail
(`plan.confirm`: who, when, from where, the plan, the vital cuts accepted and the written
reason); reading the trail back re-applies the confirmations, so the verdicts and the exports
follow the decisions made in any process.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rempart.app.incidents_store import list_incidents, load_incident
from rempart.app.plan import PlanResult, Verdict, propose, verdict
from rempart.app.webcache import memo
from rempart.cases import CaseStore
from rempart.contain import CareImpact, Plan, RankedPlan, care_impact, confirm_vital
from rempart.contain.actions import IsolateZones, QuarantineHosts
from rempart.contain.export import EXPORTERS, render_plan
from rempart.core.clock import FixedClock
from rempart.core.errors import ConfigError, ContainmentError
from rempart.store import Workspace

WEB_RUNS = int(os.environ.get("REMPART_WEB_RUNS", "60"))
"""Twin runs per plan for the console (the CLI's default is 200): enough to rank, quick."""

DOWNLOADS: dict[str, tuple[str, str]] = {
    "nftables": ("nft", "text/plain"),
    "iptables": ("rules", "text/plain"),
    "ip6tables": ("rules6", "text/plain"),
    "json": ("json", "application/json"),
    "csv": ("csv", "text/csv"),
}


class DecisionRefused(ContainmentError):
    """A decision the rules do not allow (no reason for a vital cut, no such plan...)."""


@dataclass(frozen=True)
class Decision:
    """A plan retained for an incident, read back from the audit trail."""

    incident: str
    plan_id: str
    by: str
    at: datetime
    origin: str
    reason: str
    vital: tuple[str, ...]  # the vital cuts accepted (service ids)
    isolated_zones: tuple[str, ...]
    quarantined: tuple[str, ...]  # host addresses
    cuts: tuple[tuple[str, str, bool], ...] = ()  # (service, "kind ref: why", vital)


@dataclass(frozen=True)
class PlanRow:
    rank: int
    plan: Plan
    impact: CareImpact
    verdict: Verdict
    ranked: RankedPlan | None
    decided: Decision | None

    @property
    def vital_services(self) -> tuple[str, ...]:
        return self.impact.vital_services_cut


@dataclass(frozen=True)
class PlansView:
    incident: str
    rows: tuple[PlanRow, ...]
    decisions: tuple[Decision, ...]


_cache: dict[tuple[str, str], tuple[tuple[float, float], PlanResult]] = {}
_cache_lock = threading.Lock()


def _version(root: Path, incident: str) -> tuple[float, float]:
    """When the incident (in the case store) and the event store last changed."""
    ws = Workspace.at(root, create=False)
    found = next((s for s in list_incidents(ws.root) if s.id == incident), None)
    return (
        found.updated_at.timestamp() if found is not None else 0.0,
        ws.db_path.stat().st_mtime if ws.db_path.exists() else 0.0,
    )


def _result(root: Path, incident: str, runs: int) -> PlanResult:
    key = (str(root), incident)
    version = _version(root, incident)
    with _cache_lock:  # one computation at a time: the twin uses both cores
        hit = _cache.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]
        load_incident(root, incident)  # IncidentNotFound before any work
        result = propose(root, incident=incident, runs=runs, by="console")
        _cache[key] = (version, result)
        return result


def decisions(root: Path | str, incident: str | None = None) -> tuple[Decision, ...]:
    """The decisions recorded, oldest first (for one incident when given)."""
    cases = CaseStore.open(Workspace.at(root).root)
    out = []
    for entry in cases.audit_trail("plan"):
        if entry.action != "plan.confirm":
            continue
        d = entry.details
        inc = str(d.get("incident", ""))
        if incident is not None and inc != incident:
            continue
        out.append(
            Decision(
                inc,
                str(d.get("plan", "")),
                entry.actor,
                entry.at,
                entry.origin,
                str(d.get("reason", "")),
                tuple(str(x) for x in d.get("vital", ())),
                tuple(str(x) for x in d.get("isolated_zones", ())),
                tuple(str(x) for x in d.get("quarantined", ())),
                tuple(
                    (str(c[0]), str(c[1]), bool(c[2]))
                    for c in d.get("cuts", ())
                    if isinstance(c, list) and len(c) == 3
                ),
            )
        )
    return tuple(out)


def _fixed(at: datetime) -> FixedClock:
    """The decision's own time (a naive time is UTC, as the case store keeps them)."""
    return FixedClock(at if at.tzinfo is not None else at.replace(tzinfo=UTC))


def _confirmed(plan: Plan, result: PlanResult, done: tuple[Decision, ...]) -> Plan:
    for d in done:
        if d.plan_id != plan.id:
            continue
        for target in d.vital:
            try:
                plan = confirm_vital(
                    plan, result.hospital, target, d.reason, d.by, clock=_fixed(d.at)
                )
            except ContainmentError:
                continue  # the plan changed since: that cut is no longer in it
    return plan


def plans(root: Path | str, incident: str, *, runs: int = WEB_RUNS) -> PlansView:
    """The incident's ranked plans with care impact, verdict and the decisions made (kept
    until the workspace's data changes: `rempart.app.webcache`)."""
    path = Workspace.at(root, create=False).root
    return memo(path, "plans", (incident, runs), lambda: _plans(path, incident, runs))


def _plans(path: Path, incident: str, runs: int) -> PlansView:
    result = _result(path, incident, runs)
    done = decisions(path, incident)
    ranked = {r.plan.id: r for r in result.ranked or ()}
    rows = []
    for i, (plan, _impact) in enumerate(result.rows, start=1):
        plan = _confirmed(plan, result, done)
        impact = care_impact(plan, result.hospital)
        decided = next((d for d in reversed(done) if d.plan_id == plan.id), None)
        r = ranked.get(plan.id)
        rows.append(PlanRow(r.rank if r else i, plan, impact, verdict(plan, impact), r, decided))
    return PlansView(incident, tuple(rows), done)


def _row(view: PlansView, plan_id: str) -> PlanRow:
    row = next((r for r in view.rows if r.plan.id == plan_id), None)
    if row is None:
        raise ConfigError(
            key="error.no_plan", params={"plan": repr(plan_id), "incident": view.incident}
        )
    return row


def confirm(
    root: Path | str,
    incident: str,
    plan_id: str,
    *,
    reason: str,
    actor: str,
    role: str,
    origin: str,
) -> Decision:
    """Retain a plan. One that cuts a vital dependency needs the `cellule` role and a written
    reason; the decision (and the cuts it accepts) goes to the audit trail."""
    view = plans(root, incident)
    row = _row(view, plan_id)
    vital = tuple(dict.fromkeys(i.service for i in row.impact.vital_cuts))
    reason = reason.strip()
    if vital and role != "cellule":
        raise DecisionRefused("a plan that cuts a vital dependency is confirmed by the crisis cell")
    if vital and len(reason) < 5:
        raise DecisionRefused("a vital cut needs a written reason")
    zones = tuple(z for a in row.plan.actions if isinstance(a, IsolateZones) for z in a.zones)
    hosts = tuple(h.ip for a in row.plan.actions if isinstance(a, QuarantineHosts) for h in a.hosts)
    CaseStore.open(Workspace.at(root).root, origin=origin).audit(
        actor,
        "plan.confirm",
        "plan",
        f"{incident}:{plan_id}",
        {
            "incident": incident,
            "plan": plan_id,
            "reason": reason,
            "vital": list(vital),
            "isolated_zones": list(zones),
            "quarantined": list(hosts),
            "cuts": [
                [
                    i.service,
                    f"{i.dependency_kind.value} {i.dependency_ref}: {i.why_text('fr')}",
                    i.vital,
                ]
                for i in row.impact.cuts
            ],
        },
    )
    from rempart.app.crisis import crisis_text, record_system  # the crisis log notes it

    text = crisis_text("crisis.plan_retained", plan=plan_id, incident=incident)
    if vital:
        text = crisis_text("crisis.vital_cuts", text=text, cuts=", ".join(vital))
    if reason:
        text = crisis_text("crisis.with_reason", text=text, reason=reason)
    record_system(
        Workspace.at(root).root,
        text,
        [f"incident:{incident}", f"plan:{plan_id}"],
        actor=actor,
    )
    return decisions(root, incident)[-1]


@dataclass(frozen=True)
class Download:
    filename: str
    content_type: str
    text: str


def export(
    root: Path | str, incident: str, plan_id: str, fmt: str, *, actor: str, origin: str
) -> Download:
    """The plan's rules as a file to download (refused while a vital cut is unconfirmed);
    the download is recorded in the audit trail."""
    if fmt not in DOWNLOADS or fmt not in EXPORTERS:
        raise ConfigError(f"unknown export format {fmt!r}")
    view = plans(root, incident)
    row = _row(view, plan_id)
    result = _result(Workspace.at(root, create=False).root, incident, WEB_RUNS)
    rendered = render_plan(row.plan, result.hospital, fmt)
    CaseStore.open(Workspace.at(root).root, origin=origin).audit(
        actor, "plan.export", "plan", f"{incident}:{plan_id}", {"format": fmt}
    )
    ext, ctype = DOWNLOADS[fmt]
    return Download(f"{incident}-{plan_id}.{ext}", ctype, rendered.text)


__all__ = [
    "DOWNLOADS",
    "Decision",
    "DecisionRefused",
    "Download",
    "PlanRow",
    "PlansView",
    "confirm",
    "decisions",
    "export",
    "plans",
]
