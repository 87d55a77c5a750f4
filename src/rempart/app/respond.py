"""From an incident to a ranked, exported response: the glue between detect and contain.

`situation_from_incident` turns the incident (and the entry email's artefacts in the store)
into the planner's `Situation`; `twin_what_if` estimates a plan with the twin's spread engine
from the infected hosts observed; `respond` proposes, ranks and picks the plan to export.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import numpy as np

from rempart.contain import (
    NO_ACTION,
    HostRef,
    Interval,
    Plan,
    RankedPlan,
    Situation,
    WhatIfEstimate,
    apply_confirmations,
    candidate_plans,
    plan_to_controls_spec,
    rank_plans,
)
from rempart.incidents import Incident
from rempart.model import Hospital
from rempart.store import Store
from rempart.twin.spread import Controls, SpreadNetwork, SpreadParams, SpreadResult, simulate

HORIZONS = (60.0, 360.0, 1440.0)


def _domain(address_or_url: str) -> str | None:
    if "://" in address_or_url:
        host = urlsplit(address_or_url).hostname
        return host.lower() if host else None
    _, _, domain = address_or_url.rpartition("@")
    return domain.lower() or None


def _host_refs(
    incident: Incident, hospital: Hospital | None
) -> tuple[tuple[HostRef, ...], tuple[HostRef, ...], tuple[str, ...]]:
    """(infected, suspected, names without an address). A host named by its hostname (the
    Windows logs' view) takes its address from the model's assets when one matches."""
    by_name: dict[str, str] = {}
    known_zones: set[str] = set()
    if hospital is not None:
        known_zones = {z.id for z in hospital.zones}
        for a in hospital.assets:
            if a.ip:
                by_name[a.hostname.lower()] = a.ip
                by_name[a.hostname.split(".")[0].lower()] = a.ip
    infected: list[HostRef] = []
    suspected: list[HostRef] = []
    unresolved: list[str] = []
    for h in incident.hosts:
        ip = h.ip
        try:
            ip = str(ipaddress.ip_address(ip.strip("[]")))
        except ValueError:
            name = (h.hostname or h.ip).lower()
            found = by_name.get(name) or by_name.get(name.split(".")[0])
            if found is None:
                unresolved.append(h.hostname or h.ip)
                continue
            ip = found
        zone = h.zone if h.zone and (not known_zones or h.zone in known_zones) else None
        try:
            ref = HostRef(ip=ip, hostname=h.hostname, zone=zone)
        except ValueError:
            ref = HostRef(ip=ip, hostname=h.hostname)
        (infected if h.status == "infected" else suspected).append(ref)
    return tuple(infected), tuple(suspected), tuple(dict.fromkeys(unresolved))


def situation_from_incident(
    incident: Incident, store: Store | None = None, hospital: Hospital | None = None
) -> Situation:
    """Infected/suspected hosts and zones, plus the entry email's sender, links and campaign.

    Internet sources are never hosts to quarantine; zones derived from addresses (/24s) are
    kept only when the model declares them (`hospital`)."""
    infected, suspected, unresolved = _host_refs(incident, hospital)
    zones = incident.affected_zones
    if hospital is not None:
        declared = {z.id for z in hospital.zones}
        zones = tuple(z for z in zones if z in declared)
    senders: list[str] = []
    urls: list[str] = []
    message_ids: list[str] = []
    email = incident.entry_email
    if email is not None:
        if email.sender:
            senders.append(email.sender)
        if email.message_id:
            message_ids.append(email.message_id)
        if store is not None and email.message_id:
            rows = store.sql(
                "SELECT reply_to, return_path, urls FROM email WHERE message_id = $mid",
                {"mid": email.message_id},
            ).to_pylist()
            for r in rows:
                senders.extend(a for a in (r["reply_to"], r["return_path"]) if a)
                urls.extend(r["urls"] or [])
    domains = [d for d in (_domain(x) for x in [*senders, *urls]) if d]
    return Situation(
        observed_at=incident.last_seen.astimezone(UTC),
        incident_id=incident.id,
        infected=infected,
        suspected=suspected,
        affected_zones=zones,
        unresolved_hosts=unresolved,
        compromised_accounts=tuple(a for a in incident.accounts if a),
        senders=tuple(dict.fromkeys(senders)),
        domains=tuple(dict.fromkeys(domains)),
        urls=tuple(dict.fromkeys(urls)),
        campaign_message_ids=tuple(message_ids),
    )


def controls_for(plan: Plan, hospital: Hospital, at_minute: float) -> Controls:
    """The twin's controls for the network side of `plan`, applied from `at_minute`."""
    spec = plan_to_controls_spec(plan, hospital)
    return Controls(
        isolated_zones=spec.isolated_zones,
        blocked=spec.blocked,
        quarantined_hosts=spec.quarantined_hosts,
        egress_cut=spec.egress_cut,
        applied_at_minute=at_minute,
    )


def _interval(result: SpreadResult, minute: float) -> Interval:
    return interval_at(result, minute)


def interval_at(result: SpreadResult, minute: float) -> Interval:
    """The mean and the 5 %-95 % interval of the same runs at `minute`. A skewed outcome
    (most runs contained, a few outbreaks) can have its mean above the 95th percentile: the
    interval is widened to hold the mean, so no figure is shown outside its own interval."""
    h = result.horizon(minute)
    low, high = min(h.p05, h.mean), max(h.p95, h.mean)
    return Interval(mean=h.mean, low=low, high=high)


def twin_what_if(
    hospital: Hospital,
    infected: tuple[str, ...],
    *,
    params: SpreadParams | None = None,
    runs: int = 200,
    seed: int = 0,
    at_minute: float = 0.0,
) -> Callable[[Plan], WhatIfEstimate]:
    """A what-if engine: Monte Carlo from the `infected` hosts, the plan applied at a minute.

    The spread starts at minute 0 from `infected` (the hidden infections of the incubation
    period are re-drawn by the Monte Carlo); horizons are 1 h, 6 h and 24 h after the plan.
    """
    net = SpreadNetwork(hospital, params or SpreadParams())
    horizons = tuple(at_minute + h for h in HORIZONS)

    def estimate(plan: Plan) -> WhatIfEstimate:
        controls = (
            Controls(applied_at_minute=np.inf)
            if plan is NO_ACTION
            else controls_for(plan, hospital, at_minute)
        )
        result = simulate(
            net, None, infected, controls, horizons, runs=runs, seed=seed, trajectory=False
        )
        return WhatIfEstimate(
            h1=_interval(result, horizons[0]),
            h6=_interval(result, horizons[1]),
            h24=_interval(result, horizons[2]),
            hosts=result.hosts,
            runs=runs,
        )

    return estimate


def _seeds(incident: Incident, hospital: Hospital, situation: Situation) -> tuple[str, ...]:
    """Where the twin starts the spread: patient zero's address when the model knows it
    (a host the model does not hold cannot be simulated: no ranking then)."""
    pz = incident.patient_zero
    if pz is None:
        return ()
    known = {a.ip for a in hospital.assets if a.ip}
    if pz.ip in known:
        return (pz.ip,)
    by_host = {h.hostname: h.ip for h in situation.infected if h.hostname}
    ip = by_host.get(pz.hostname or "") if pz.hostname else None
    return (ip,) if ip and ip in known else ()


@dataclass(frozen=True)
class Response:
    situation: Situation
    ranked: tuple[RankedPlan, ...]

    @property
    def chosen(self) -> RankedPlan | None:
        """The best plan that cuts no vital care dependency without confirmation."""
        return next((r for r in self.ranked if not r.refused), None)


def respond(
    incident: Incident,
    hospital: Hospital,
    store: Store | None = None,
    *,
    params: SpreadParams | None = None,
    runs: int = 200,
    seed: int = 0,
    now: datetime | None = None,
    confirmations: Sequence[tuple[str, str]] = (),
    by: str = "opérateur",
) -> Response:
    """Propose plans for the incident and rank them by machines saved against care cut.

    The what-if replays the spread from patient zero, infected one incubation period before
    its first observed activity, with each plan applied `now` (default: the incident's last
    activity): what is already infected but silent is part of the estimate.
    """
    params = params or SpreadParams()
    situation = situation_from_incident(incident, store, hospital)
    now = now or incident.last_seen
    situation = situation.model_copy(update={"observed_at": now})
    plans = candidate_plans(hospital, situation)
    if confirmations:
        plans = apply_confirmations(plans, hospital, list(confirmations), by)
    pz = incident.patient_zero
    seeds = _seeds(incident, hospital, situation)
    if not plans or pz is None or not seeds:
        return Response(situation, ())
    start = pz.first_seen - timedelta(minutes=params.incubation_minutes)
    at_minute = max(0.0, (now - start).total_seconds() / 60)
    what_if = twin_what_if(
        hospital, seeds, params=params, runs=runs, seed=seed, at_minute=at_minute
    )
    return Response(situation, tuple(rank_plans(plans, what_if, hospital)))
