"""Care impact: which care services lose which dependency under a plan, and which are vital.

The rules mirror what the exported firewall rules do (see `export.compile`), in this order:
hard drops (quarantined hosts, indicator addresses, lateral protocols between zones), then the
isolation carve-outs (kept assets and partners), then zone isolation, then the egress cut. A
dependency is *cut* when no path is left, *degraded* when part of it goes (SMB shares of a file
server across zones). A plan that cuts a vital dependency is refused unless a named person
confirmed it; the confirmation is recorded in the plan.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from enum import StrEnum

from rempart.contain.actions import (
    LATERAL_PROTOCOLS,
    BlockIndicators,
    BlockProtocolsBetweenZones,
    Confirmation,
    CutEgressExcept,
    IsolateZones,
    Plan,
    QuarantineHosts,
)
from rempart.core.clock import SYSTEM_CLOCK, Clock
from rempart.core.errors import ContainmentError, VitalCutRefused
from rempart.core.i18n import Lang, t
from rempart.model.hospital import (
    Asset,
    CareService,
    Dependency,
    DependencyKind,
    Frozen,
    Hospital,
    Partner,
)
from rempart.model.inventory import zone_for_ip


class Level(StrEnum):
    CUT = "cut"
    DEGRADED = "degraded"


class Why(StrEnum):
    QUARANTINED = "quarantined"
    INDICATOR = "indicator"
    ZONE_ISOLATED = "zone_isolated"  # the service's own zone is isolated
    TARGET_ISOLATED = "target_isolated"  # the zone holding the dependency is isolated
    EGRESS_CUT = "egress_cut"
    PROTOCOL_BLOCKED = "protocol_blocked"
    SERVICE_STOPPED = "service_stopped"


class ImpactItem(Frozen):
    """One care service losing (or degrading) one dependency under a plan."""

    service: str
    service_name: str
    service_vital: bool
    dependency_kind: DependencyKind
    dependency_ref: str
    level: Level
    vital: bool  # the dependency is vital for this service
    why: tuple[Why, ...]
    zones: tuple[str, ...] = ()  # the service's zones where it is lost ("" = everywhere)
    degraded_procedure: str | None = None
    note: str | None = None
    degraded_procedure_en: str | None = None

    @property
    def key(self) -> str:
        return f"{self.service}:{self.dependency_ref}"

    def why_text(self, lang: Lang = "fr") -> str:
        return ", ".join(t(f"impact.why.{w.value}", lang) for w in self.why)

    def procedure_in(self, lang: Lang = "fr") -> str | None:
        """The fallback procedure in `lang` (French when it has no translation)."""
        if lang == "en" and self.degraded_procedure_en:
            return self.degraded_procedure_en
        return self.degraded_procedure

    def confirmed_by(self, confirmations: tuple[Confirmation, ...]) -> Confirmation | None:
        for c in confirmations:
            if c.target in (self.service, self.dependency_ref, self.key):
                return c
        return None


class CareImpact(Frozen):
    """Everything a plan costs in care, item by item."""

    plan_id: str
    items: tuple[ImpactItem, ...]

    @property
    def cuts(self) -> tuple[ImpactItem, ...]:
        return tuple(i for i in self.items if i.level is Level.CUT)

    @property
    def vital_cuts(self) -> tuple[ImpactItem, ...]:
        return tuple(i for i in self.cuts if i.vital)

    @property
    def services_cut(self) -> tuple[str, ...]:
        """Services losing at least one dependency."""
        return tuple(dict.fromkeys(i.service for i in self.cuts))

    @property
    def services_degraded(self) -> tuple[str, ...]:
        """Services that keep every dependency but run degraded on at least one."""
        cut = set(self.services_cut)
        return tuple(dict.fromkeys(i.service for i in self.items if i.service not in cut))

    @property
    def services_touched(self) -> tuple[str, ...]:
        """Services cut or degraded: the one figure the plan table, the care-impact table
        and the report show (the ranking's care cost counts `services_cut` among them)."""
        return tuple(dict.fromkeys(i.service for i in self.items))

    @property
    def vital_services_cut(self) -> tuple[str, ...]:
        """Services losing a dependency that is vital for them (care stops)."""
        return tuple(dict.fromkeys(i.service for i in self.vital_cuts))

    def unconfirmed(self, plan: Plan) -> tuple[ImpactItem, ...]:
        return tuple(i for i in self.vital_cuts if i.confirmed_by(plan.confirmations) is None)


class VitalCutsUnconfirmed(VitalCutRefused):
    """The refusal, with the vital cuts still waiting for a confirmation."""

    def __init__(self, plan_id: str, cuts: tuple[ImpactItem, ...]) -> None:
        self.plan_id = plan_id
        self.cuts = cuts
        listed = "; ".join(f"{c.service} ← {c.dependency_ref} ({c.why_text('fr')})" for c in cuts)
        super().__init__(
            f"plan {plan_id}: coupe des dépendances vitales sans confirmation: {listed} "
            f'(confirmer avec --confirm-vital "{cuts[0].service}: motif")'
        )


@dataclass
class _Net:
    """The connectivity a plan leaves, in the terms care impact needs."""

    isolated: dict[str, tuple[set[str], set[str], set[str]]] = field(default_factory=dict)
    # (zones, protocols, hub): hub None blocks between each listed zone and any other zone;
    # a hub blocks only between the hub and the other listed zones (isolation carve-outs).
    blocked_pairs: list[tuple[frozenset[str] | None, tuple[str, ...], str | None]] = field(
        default_factory=list
    )
    egress: list[CutEgressExcept] = field(default_factory=list)
    dropped_ips: dict[str, Why] = field(default_factory=dict)

    @classmethod
    def of(cls, plan: Plan) -> _Net:
        net = cls()
        for a in plan.actions:
            if isinstance(a, IsolateZones):
                for z in a.zones:
                    assets, partners, kz = net.isolated.setdefault(z, (set(), set(), set()))
                    assets.update(a.keep_assets)
                    partners.update(a.keep_partners)
                    kz.update(a.keep_zones)
                    if a.keep_zones:  # kept zones stay linked, minus lateral protocols
                        pair = frozenset((z, *a.keep_zones))
                        net.blocked_pairs.append((pair, LATERAL_PROTOCOLS, z))
            elif isinstance(a, BlockProtocolsBetweenZones):
                zones = frozenset(a.zones) if a.zones else None
                net.blocked_pairs.append((zones, a.protocols, None))
            elif isinstance(a, CutEgressExcept):
                net.egress.append(a)
            elif isinstance(a, QuarantineHosts):
                for ip in a.ips:
                    net.dropped_ips[ip] = Why.QUARANTINED
            elif isinstance(a, BlockIndicators):
                for ip in a.ips:
                    net.dropped_ips.setdefault(ip, Why.INDICATOR)
        return net

    def protocols_blocked(self, a: str | None, b: str | None) -> tuple[str, ...]:
        if a == b or a is None or b is None:
            return ()
        out: list[str] = []
        for zones, protocols, hub in self.blocked_pairs:
            if hub is not None:
                hit = zones is not None and {a, b} <= zones and hub in (a, b)
            else:
                hit = zones is None or a in zones or b in zones
            if hit:
                out.extend(protocols)
        return tuple(dict.fromkeys(out))

    def separated(self, a: str | None, b: str | None) -> tuple[Why, ...]:
        if a == b:
            return ()
        why: list[Why] = []
        if (a is not None and a in self.isolated and b in self.isolated[a][2]) or (
            b is not None and b in self.isolated and a in self.isolated[b][2]
        ):
            return ()  # a carve-out keeps the two zones linked
        if a is not None and a in self.isolated:
            why.append(Why.ZONE_ISOLATED)
        if b is not None and b in self.isolated:
            why.append(Why.TARGET_ISOLATED)
        return tuple(why)


_Verdict = tuple[Level, tuple[Why, ...]] | None


def _asset_verdict(net: _Net, sz: str | None, asset: Asset, hospital: Hospital) -> _Verdict:
    if asset.ip and asset.ip in net.dropped_ips:
        return Level.CUT, (net.dropped_ips[asset.ip],)
    az = asset.zone or zone_for_ip(asset.ip, hospital.zones)
    why = net.separated(sz, az)
    if why:
        kept = sz is not None and sz in net.isolated and asset.hostname in net.isolated[sz][0]
        if not kept:
            return Level.CUT, why
    blocked = net.protocols_blocked(sz, az)
    role = (asset.role or "").lower()
    if ("smb" in blocked and role in ("file_server", "domain_controller")) or (
        "rdp" in blocked and role in ("terminal_server", "rds", "citrix")
    ):
        return Level.DEGRADED, (Why.PROTOCOL_BLOCKED,)
    return None


def _partner_hit(partner: Partner, ips: dict[str, Why]) -> bool:
    nets = [ipaddress.ip_network(c) for c in partner.addresses]
    return any(ipaddress.ip_address(ip) in n for ip in ips for n in nets)


def _partner_verdict(net: _Net, sz: str | None, partner: Partner) -> _Verdict:
    why: list[Why] = []
    if _partner_hit(partner, net.dropped_ips):
        why.append(Why.INDICATOR)
    if sz is not None and sz in net.isolated and partner.id not in net.isolated[sz][1]:
        why.append(Why.ZONE_ISOLATED)
    for cut in net.egress:
        applies = not cut.from_zones or (sz is not None and sz in cut.from_zones)
        if applies and partner.id not in cut.allow_partners:
            why.append(Why.EGRESS_CUT)
    return (Level.CUT, tuple(dict.fromkeys(why))) if why else None


def _zone_verdict(net: _Net, sz: str | None, zone: str) -> _Verdict:
    why = net.separated(sz, zone)
    if why:
        return Level.CUT, why
    if net.protocols_blocked(sz, zone):
        return Level.DEGRADED, (Why.PROTOCOL_BLOCKED,)
    return None


def _service_verdict(net: _Net, sz: str | None, target: CareService, stopped: set[str]) -> _Verdict:
    if target.id in stopped:
        return Level.CUT, (Why.SERVICE_STOPPED,)
    if not target.zones:
        return None
    per_zone = [net.separated(sz, z) for z in target.zones]
    if all(per_zone):
        return Level.CUT, tuple(dict.fromkeys(w for ws in per_zone for w in ws))
    if any(per_zone):
        return Level.DEGRADED, tuple(dict.fromkeys(w for ws in per_zone for w in ws))
    return None


def care_impact(plan: Plan, hospital: Hospital) -> CareImpact:
    """Every care service dependency the plan cuts or degrades (never raises)."""
    net = _Net.of(plan)
    assets = {a.hostname: a for a in hospital.assets}
    partners = {p.id: p for p in hospital.partners}
    services = {s.id: s for s in hospital.services}
    stopped: set[str] = set()
    items: dict[str, ImpactItem] = {}
    for _ in range(len(services) + 1):  # fixed point over service-to-service dependencies
        items = {}
        for s in hospital.services:
            for dep in s.depends_on:
                item = _judge(net, s, dep, assets, partners, services, stopped, hospital)
                if item is not None:
                    items[item.key] = item
        now_stopped = {i.service for i in items.values() if i.level is Level.CUT and i.vital}
        if now_stopped == stopped:
            break
        stopped = now_stopped
    return CareImpact(plan_id=plan.id, items=tuple(items.values()))


def _judge(
    net: _Net,
    s: CareService,
    dep: Dependency,
    assets: dict[str, Asset],
    partners: dict[str, Partner],
    services: dict[str, CareService],
    stopped: set[str],
    hospital: Hospital,
) -> ImpactItem | None:
    locations: tuple[str | None, ...] = s.zones or (None,)
    verdicts: list[tuple[str | None, Level, tuple[Why, ...]]] = []
    for sz in locations:
        v: _Verdict = None
        if dep.kind is DependencyKind.ASSET and dep.ref in assets:
            v = _asset_verdict(net, sz, assets[dep.ref], hospital)
        elif dep.kind is DependencyKind.PARTNER and dep.ref in partners:
            v = _partner_verdict(net, sz, partners[dep.ref])
        elif dep.kind is DependencyKind.ZONE:
            v = _zone_verdict(net, sz, dep.ref)
        elif dep.kind is DependencyKind.SERVICE and dep.ref in services:
            v = _service_verdict(net, sz, services[dep.ref], stopped)
        if v is not None:
            verdicts.append((sz, v[0], v[1]))
    if not verdicts:
        return None
    level = Level.CUT if any(lv is Level.CUT for _, lv, _ in verdicts) else Level.DEGRADED
    return ImpactItem(
        service=s.id,
        service_name=s.name,
        service_vital=s.vital,
        dependency_kind=dep.kind,
        dependency_ref=dep.ref,
        level=level,
        vital=s.dependency_is_vital(dep),
        why=tuple(dict.fromkeys(w for _, _, ws in verdicts for w in ws)),
        zones=tuple(sz or "" for sz, lv, _ in verdicts if lv is level),
        degraded_procedure=s.degraded_procedure,
        note=dep.note,
        degraded_procedure_en=s.degraded_procedure_en,
    )


def check_plan(plan: Plan, hospital: Hospital) -> CareImpact:
    """The plan's care impact; raises VitalCutRefused if a vital cut is not confirmed."""
    impact = care_impact(plan, hospital)
    missing = impact.unconfirmed(plan)
    if missing:
        raise VitalCutsUnconfirmed(plan.id, missing)
    return impact


def parse_confirmation(text: str) -> tuple[str, str]:
    """`"name: reason"` (the CLI's --confirm-vital) into (target, reason)."""
    target, sep, reason = text.partition(":")
    if not sep or not target.strip() or not reason.strip():
        raise ContainmentError(f'confirmation {text!r}: expected "name: reason"')
    return target.strip(), reason.strip()


def confirm_vital(
    plan: Plan,
    hospital: Hospital,
    target: str,
    reason: str,
    by: str,
    clock: Clock = SYSTEM_CLOCK,
) -> Plan:
    """Record that `by` accepts the vital cut(s) named by `target`; refuse a target that
    matches no vital cut of this plan (a typo must not look like a confirmation)."""
    confirmation = Confirmation(target=target, reason=reason, by=by, at=clock.now())
    impact = care_impact(plan, hospital)
    if not any(i.confirmed_by((confirmation,)) for i in impact.vital_cuts):
        known = ", ".join(sorted({i.service for i in impact.vital_cuts})) or "—"
        raise ContainmentError(
            f"plan {plan.id}: {target!r} names no vital cut of this plan (vital cuts: {known})"
        )
    return plan.model_copy(update={"confirmations": (*plan.confirmations, confirmation)})


def apply_confirmations(
    plans: list[Plan],
    hospital: Hospital,
    confirmations: list[tuple[str, str]],
    by: str,
    clock: Clock = SYSTEM_CLOCK,
) -> list[Plan]:
    """Record each (target, reason) in every plan whose vital cuts it names.

    A confirmation that names no vital cut of any plan is an error: it is most likely a typo,
    and silently ignoring it would leave the operator believing the cut was accepted.
    """
    out = list(plans)
    for target, reason in confirmations:
        used = False
        for i, plan in enumerate(out):
            try:
                out[i] = confirm_vital(plan, hospital, target, reason, by, clock)
                used = True
            except ContainmentError:
                continue
        if not used:
            raise ContainmentError(f"--confirm-vital {target!r}: aucune coupure vitale de ce nom")
    return out
