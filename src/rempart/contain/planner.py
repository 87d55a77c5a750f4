"""Candidate plans for a situation: the decisions taken by hand at Montpellier and Cahors.

Isolate the affected buildings (Montpellier), with or without carve-outs for what care needs;
block lateral-movement protocols between zones; quarantine the infected hosts; cut the
internet except vital partners (Cahors); and combinations. The mail, account and indicator
actions (senders, domains, indicators, accounts, campaign purge) cost no care and are added to
every plan. Plans are proposed, never applied; care impact and ranking decide between them.
"""

from __future__ import annotations

from pydantic import ValidationError

from rempart.contain.actions import (
    LATERAL_PROTOCOLS,
    Action,
    BlockDomains,
    BlockIndicators,
    BlockProtocolsBetweenZones,
    BlockProtocolsWithinZones,
    BlockSenders,
    CutEgressExcept,
    DisableAccounts,
    IsolateZones,
    Plan,
    PurgeEmailCampaign,
    QuarantineHosts,
)
from rempart.contain.allowlist import vital_partners
from rempart.contain.situation import Situation
from rempart.core.i18n import t
from rempart.model.hospital import DependencyKind, Hospital


def hygiene_actions(situation: Situation) -> tuple[Action, ...]:
    """Mail, account and indicator actions: they cost no care, so every plan carries them.

    Values that do not validate (a malformed sender taken from a log) are left out rather
    than failing the whole plan; they remain visible in the situation.
    """
    out: list[Action] = []
    candidates: list[tuple[type[Action], dict[str, object]]] = []
    if situation.senders:
        candidates.append(
            (BlockSenders, {"addresses": situation.senders, "reason": "contain.reason.senders"})
        )
    if situation.domains:
        candidates.append(
            (BlockDomains, {"domains": situation.domains, "reason": "contain.reason.domains"})
        )
    if situation.indicators or situation.urls:
        candidates.append(
            (
                BlockIndicators,
                {
                    "ips": situation.indicator_ips,
                    "urls": situation.urls,
                    "hashes": situation.indicator_hashes,
                    "reason": "contain.reason.indicators",
                },
            )
        )
    if situation.compromised_accounts:
        candidates.append(
            (
                DisableAccounts,
                {"accounts": situation.compromised_accounts, "reason": "contain.reason.accounts"},
            )
        )
    if situation.campaign_message_ids:
        candidates.append(
            (
                PurgeEmailCampaign,
                {
                    "message_ids": situation.campaign_message_ids,
                    "reason": "contain.reason.campaign",
                },
            )
        )
    for cls, data in candidates:
        try:
            out.append(cls.model_validate(data))
        except ValidationError:
            continue
    return tuple(out)


def vital_keeps(
    hospital: Hospital, zones: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(asset hostnames, partner ids, zone ids) that services located in `zones` need vitally
    and that lie outside those zones: the carve-outs of an isolation that keeps care running."""
    inside = set(zones)
    zone_of = {a.hostname: a.zone for a in hospital.assets}
    assets: list[str] = []
    partners: list[str] = []
    kept_zones: list[str] = []
    for s in hospital.services:
        if not inside.intersection(s.zones):
            continue
        for dep in s.depends_on:
            if not s.dependency_is_vital(dep):
                continue
            if dep.kind is DependencyKind.ASSET and zone_of.get(dep.ref) not in inside:
                assets.append(dep.ref)
            elif dep.kind is DependencyKind.PARTNER:
                partners.append(dep.ref)
            elif dep.kind is DependencyKind.ZONE and dep.ref not in inside:
                kept_zones.append(dep.ref)
    return (
        tuple(dict.fromkeys(assets)),
        tuple(dict.fromkeys(partners)),
        tuple(dict.fromkeys(kept_zones)),
    )


def egress_cut(hospital: Hospital, reason: str) -> CutEgressExcept:
    """Cut the internet for the whole hospital except the vital partners (Cahors); `reason`
    a catalogue key or a person's words (see `Action.reason_in`)."""
    return CutEgressExcept(
        allow_partners=tuple(p.id for p in vital_partners(hospital)), reason=reason
    )


def candidate_plans(hospital: Hospital, situation: Situation) -> list[Plan]:
    """Sensible alternatives for the situation, simplest first, without duplicates."""
    s = situation.with_zones(hospital)
    known = {z.id for z in hospital.zones}
    affected = tuple(z for z in s.affected_zones if z in known)
    hosts = tuple({h.ip: h for h in (*s.infected, *s.suspected)}.values())
    hygiene = hygiene_actions(s)
    names = ", ".join(affected)

    zones_param = (("zones", names),)
    isolate = (
        IsolateZones(zones=affected, reason="contain.reason.zones", reason_params=zones_param)
        if affected
        else None
    )
    keep_assets, keep_partners, keep_zones = vital_keeps(hospital, affected)
    isolate_keep = (
        IsolateZones(
            zones=affected,
            keep_assets=keep_assets,
            keep_partners=keep_partners,
            keep_zones=keep_zones,
            reason="contain.reason.zones_keep_vital",
            reason_params=zones_param,
        )
        if affected and (keep_assets or keep_partners or keep_zones)
        else None
    )
    lateral = (
        BlockProtocolsBetweenZones(
            protocols=LATERAL_PROTOCOLS,
            reason="contain.reason.lateral",
        )
        if len(hospital.zones) > 1
        else None
    )
    inside = (
        BlockProtocolsWithinZones(
            protocols=LATERAL_PROTOCOLS,
            zones=affected,
            reason="contain.reason.inside",
        )
        if affected
        else None
    )
    quarantine = (
        QuarantineHosts(
            hosts=hosts,
            reason="contain.reason.quarantine",
            reason_params=(("n", str(len(hosts))),),
        )
        if hosts
        else None
    )
    egress = egress_cut(hospital, "contain.reason.egress")

    # (plan id, actions, has a rationale); title and rationale are catalogue keys
    # contain.plan.<id>.title / .rationale (core/locale/contain.yaml)
    options: list[tuple[str, tuple[Action | None, ...], bool]] = [
        ("isolate", (isolate,), True),
        ("isolate-keep-vital", (isolate_keep,), True),
        ("block-lateral", (lateral, quarantine), True),
        ("contain-building", (isolate_keep or isolate, inside, quarantine), True),
        ("quarantine", (quarantine,), False),
        ("cut-egress", (egress,), True),
        ("lateral-egress", (lateral, quarantine, egress), False),
        ("full", (isolate_keep or isolate, lateral, quarantine, egress), True),
    ]
    plans: list[Plan] = []
    seen: set[str] = set()
    for plan_id, parts, has_rationale in options:
        title = f"contain.plan.{plan_id}.title"
        rationale = f"contain.plan.{plan_id}.rationale" if has_rationale else ""
        actions = tuple(a for a in parts if a is not None)
        if not actions or any(a is None for a in parts[:1]):
            continue
        signature = "|".join(a.model_dump_json(exclude={"reason"}) for a in actions)
        if signature in seen:
            continue
        seen.add(signature)
        plans.append(
            Plan(
                id=plan_id,
                title=t(title, "fr"),
                actions=actions + hygiene,
                rationale=t(rationale, "fr") if rationale else "",
                title_key=title,
                rationale_key=rationale or None,
            )
        )
    return plans
