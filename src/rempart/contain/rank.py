"""Ranking plans by machines saved against care cut, with the twin's what-if as an input.

The spread engine is injected (`what_if: Callable[[Plan], WhatIfEstimate]`): the lead passes
the twin's engine, tests pass a fake. The baseline is the same engine on a plan with no
action (do nothing). `plan_to_controls_spec` turns a plan into plain data the twin's
`Controls` is built from, so this module never imports the twin.

Order: plans refused for an unconfirmed vital cut come last; then fewer vital services cut;
then the net benefit, machines saved at 24 h minus `machines_per_service` for each care
service losing a dependency; then the pessimistic bound (upper infected at 24 h).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import model_validator

from rempart.contain.actions import (
    BlockIndicators,
    BlockProtocolsBetweenZones,
    BlockProtocolsWithinZones,
    CutEgressExcept,
    IsolateZones,
    Plan,
    QuarantineHosts,
)
from rempart.contain.impact import CareImpact, care_impact
from rempart.model.hospital import Frozen, Hospital


class Interval(Frozen):
    """An estimate with its spread (e.g. mean and 5th-95th percentiles over runs)."""

    mean: float
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Interval:
        if not self.low <= self.mean <= self.high:
            raise ValueError(f"interval not ordered: {self.low} <= {self.mean} <= {self.high}")
        return self


class WhatIfEstimate(Frozen):
    """Machines infected 1 h, 6 h and 24 h after the plan is applied, with intervals."""

    h1: Interval
    h6: Interval
    h24: Interval
    hosts: int | None = None
    runs: int | None = None


class RankedPlan(Frozen):
    """A plan with its estimate, what it saves, what it costs in care, and its rank."""

    rank: int
    plan: Plan
    estimate: WhatIfEstimate
    baseline: WhatIfEstimate
    impact: CareImpact
    saved_24h: float
    refused: bool  # cuts a vital dependency without confirmation
    net_benefit: float

    @property
    def vital_services_cut(self) -> tuple[str, ...]:
        return self.impact.vital_services_cut


NO_ACTION = Plan(
    id="do-nothing",
    title="Ne rien faire",
    actions=(),
    title_key="contain.plan.do-nothing.title",
)


def rank_plans(
    plans: Sequence[Plan],
    what_if: Callable[[Plan], WhatIfEstimate],
    hospital: Hospital,
    *,
    machines_per_service: float = 25.0,
) -> list[RankedPlan]:
    """Rank `plans` (best first); `what_if` is called once per plan and once for the baseline."""
    baseline = what_if(NO_ACTION)
    scored: list[tuple[tuple[float, ...], Plan, WhatIfEstimate, CareImpact, float, bool, float]]
    scored = []
    for plan in plans:
        est = what_if(plan)
        impact = care_impact(plan, hospital)
        refused = bool(impact.unconfirmed(plan))
        saved = baseline.h24.mean - est.h24.mean
        net = saved - machines_per_service * len(impact.services_cut)
        key = (
            float(refused),
            float(len(impact.vital_services_cut)),
            -net,
            est.h24.high,
            float(len(plan.actions)),
        )
        scored.append((key, plan, est, impact, saved, refused, net))
    scored.sort(key=lambda row: row[0])
    return [
        RankedPlan(
            rank=i + 1,
            plan=plan,
            estimate=est,
            baseline=baseline,
            impact=impact,
            saved_24h=saved,
            refused=refused,
            net_benefit=net,
        )
        for i, (_, plan, est, impact, saved, refused, net) in enumerate(scored)
    ]


def order_by_care(plans: Sequence[Plan], hospital: Hospital) -> list[tuple[Plan, CareImpact]]:
    """Without a what-if engine: refused plans last, then least care cut (stable)."""
    rows = [(p, care_impact(p, hospital)) for p in plans]
    rows.sort(
        key=lambda r: (
            bool(r[1].unconfirmed(r[0])),
            len(r[1].vital_services_cut),
            len(r[1].services_cut),
        )
    )
    return rows


@dataclass(frozen=True)
class ControlsSpec:
    """Plain data for the twin's `Controls`: what the network side of a plan does.

    `blocked` holds directed (from_zone, to_zone, port) triples, both directions listed.
    `kept` holds the isolation carve-outs (zone, asset hostname or partner id) the spread
    engine may honour or ignore. Ports are transport ports (tcp and udp merged).
    """

    isolated_zones: tuple[str, ...]
    blocked: tuple[tuple[str, str, int], ...]
    quarantined_hosts: tuple[str, ...]
    egress_cut: bool
    blocked_ips: tuple[str, ...] = ()
    kept: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "isolated_zones": list(self.isolated_zones),
            "blocked": [list(t) for t in self.blocked],
            "quarantined_hosts": list(self.quarantined_hosts),
            "egress_cut": self.egress_cut,
            "blocked_ips": list(self.blocked_ips),
            "kept": [list(k) for k in self.kept],
        }


def plan_to_controls_spec(plan: Plan, hospital: Hospital) -> ControlsSpec:
    """The network side of `plan` as zones, zone/zone/port triples, host IPs and a flag."""
    all_zones = tuple(z.id for z in hospital.zones)
    isolated: list[str] = []
    kept: list[tuple[str, str]] = []
    blocked: list[tuple[str, str, int]] = []
    quarantined: list[str] = []
    blocked_ips: list[str] = []
    egress = False
    for a in plan.actions:
        if isinstance(a, IsolateZones):
            isolated.extend(a.zones)
            keeps = (*a.keep_assets, *a.keep_partners, *a.keep_zones)
            kept.extend((z, k) for z in a.zones for k in keeps)
        elif isinstance(a, BlockProtocolsBetweenZones):
            ports = tuple(dict.fromkeys(p for _, p in a.ports()))
            listed = set(a.zones) if a.zones else None
            for za in all_zones:
                for zb in all_zones:
                    if za == zb or (listed is not None and not {za, zb} & listed):
                        continue
                    blocked.extend((za, zb, p) for p in ports)
        elif isinstance(a, BlockProtocolsWithinZones):
            ports = tuple(dict.fromkeys(p for _, p in a.ports()))
            blocked.extend((z, z, p) for z in a.zones for p in ports)
        elif isinstance(a, QuarantineHosts):
            quarantined.extend(a.ips)
        elif isinstance(a, BlockIndicators):
            blocked_ips.extend(a.ips)
        elif isinstance(a, CutEgressExcept):
            egress = True
    return ControlsSpec(
        isolated_zones=tuple(dict.fromkeys(isolated)),
        blocked=tuple(dict.fromkeys(blocked)),
        quarantined_hosts=tuple(dict.fromkeys(quarantined)),
        egress_cut=egress,
        blocked_ips=tuple(dict.fromkeys(blocked_ips)),
        kept=tuple(dict.fromkeys(kept)),
    )
