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
            (BlockSenders, {"addresses": situation.senders, "reason": "expéditeurs malveillants"})
        )
    if situation.domains:
        candidates.append(
            (BlockDomains, {"domains": situation.domains, "reason": "domaines malveillants"})
        )
    if situation.indicators or situation.urls:
        candidates.append(
            (
                BlockIndicators,
                {
                    "ips": situation.indicator_ips,
                    "urls": situation.urls,
                    "hashes": situation.indicator_hashes,
                    "reason": "indicateurs de compromission de l'incident",
                },
            )
        )
    if situation.compromised_accounts:
        candidates.append(
            (
                DisableAccounts,
                {"accounts": situation.compromised_accounts, "reason": "comptes compromis"},
            )
        )
    if situation.campaign_message_ids:
        candidates.append(
            (
                PurgeEmailCampaign,
                {
                    "message_ids": situation.campaign_message_ids,
                    "reason": "campagne d'hameçonnage",
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
    """Cut the internet for the whole hospital except the vital partners (Cahors)."""
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

    isolate = IsolateZones(zones=affected, reason=f"zones touchées : {names}") if affected else None
    keep_assets, keep_partners, keep_zones = vital_keeps(hospital, affected)
    isolate_keep = (
        IsolateZones(
            zones=affected,
            keep_assets=keep_assets,
            keep_partners=keep_partners,
            keep_zones=keep_zones,
            reason=f"zones touchées : {names} ; dépendances vitales gardées joignables",
        )
        if affected and (keep_assets or keep_partners or keep_zones)
        else None
    )
    lateral = (
        BlockProtocolsBetweenZones(
            protocols=LATERAL_PROTOCOLS,
            reason="empêcher la propagation latérale (SMB, RDP, WinRM, RPC) entre zones",
        )
        if len(hospital.zones) > 1
        else None
    )
    inside = (
        BlockProtocolsWithinZones(
            protocols=LATERAL_PROTOCOLS,
            zones=affected,
            reason="arrêter la propagation entre postes d'un même bâtiment (GPO pare-feu Windows)",
        )
        if affected
        else None
    )
    quarantine = (
        QuarantineHosts(hosts=hosts, reason=f"{len(hosts)} poste(s) infecté(s) ou suspect(s)")
        if hosts
        else None
    )
    egress = egress_cut(
        hospital, "couper la sortie internet (exfiltration, commande et contrôle) sauf flux vitaux"
    )

    options: list[tuple[str, str, tuple[Action | None, ...], str]] = [
        ("isolate", "Isoler les zones touchées", (isolate,), "Comme à Montpellier."),
        (
            "isolate-keep-vital",
            "Isoler les zones touchées en gardant les dépendances vitales",
            (isolate_keep,),
            "L'isolement, avec des exceptions pour ce dont les soins ont besoin.",
        ),
        (
            "block-lateral",
            "Bloquer les protocoles latéraux entre zones et isoler les postes infectés",
            (lateral, quarantine),
            "Arrête la propagation entre bâtiments sans couper les applications métier.",
        ),
        (
            "contain-building",
            "Cloisonner les zones touchées (entre zones et entre postes) en gardant les "
            "dépendances vitales",
            (isolate_keep or isolate, inside, quarantine),
            "Ce qui a manqué à Montpellier : l'isolement des bâtiments n'arrête pas le ver "
            "dans le bâtiment touché ; bloquer SMB/RDP entre postes le fait.",
        ),
        ("quarantine", "Mettre en quarantaine les postes infectés", (quarantine,), ""),
        (
            "cut-egress",
            "Couper internet sauf partenaires vitaux",
            (egress,),
            "Comme à Cahors : laboratoires, trésorerie et hébergeur de santé restent joignables.",
        ),
        (
            "lateral-egress",
            "Protocoles latéraux bloqués, postes infectés isolés, internet coupé",
            (lateral, quarantine, egress),
            "",
        ),
        (
            "full",
            "Isolement des zones touchées, protocoles latéraux bloqués, internet coupé",
            (isolate_keep or isolate, lateral, quarantine, egress),
            "La réponse la plus large qui garde les dépendances vitales joignables.",
        ),
    ]
    plans: list[Plan] = []
    seen: set[str] = set()
    for plan_id, title, parts, rationale in options:
        actions = tuple(a for a in parts if a is not None)
        if not actions or any(a is None for a in parts[:1]):
            continue
        signature = "|".join(a.model_dump_json(exclude={"reason"}) for a in actions)
        if signature in seen:
            continue
        seen.add(signature)
        plans.append(Plan(id=plan_id, title=title, actions=actions + hygiene, rationale=rationale))
    return plans
