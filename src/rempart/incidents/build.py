"""Group findings into an incident: hosts per zone, patient zero, entry email, timeline.

Set-based: the finding table is aggregated in SQL; only the (small) per-host result is
turned into values. The spread tree, when the network detectors provide one, decides the
infected set and patient zero; otherwise the earliest flagged host is patient zero.
"""

from __future__ import annotations

import hashlib
import ipaddress
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from rempart.core.i18n import msg, render_finding, t
from rempart.detect import DETECTORS
from rempart.incidents.model import EntryEmail, Incident, IncidentHost, TimelineEntry
from rempart.incidents.remote import RemoteSource, remote_sources
from rempart.model import Hospital
from rempart.store import Store

INFECTED_SEVERITIES = ("high", "critical")
SUSPECT_SEVERITIES = ("medium",)


@dataclass(frozen=True)
class SpreadHint:
    """What a spread reconstruction tells the builder (kept minimal on purpose)."""

    patient_zero: str | None
    infected: tuple[tuple[str, datetime, str | None], ...]  # (ip, first seen, infected by)
    confidence: float


SpreadProvider = Callable[[Store, Hospital | None], SpreadHint | None]


def _as_list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []


def _short(name: str) -> str:
    return name.split(".")[0].lower()


def _asset_index(hospital: Hospital | None) -> dict[str, tuple[str, str | None, str | None]]:
    """ip -> (hostname, zone, user)."""
    if hospital is None:
        return {}
    return {a.ip: (a.hostname, a.zone, a.user) for a in hospital.assets if a.ip}


def _host_key(entity: str, hospital: Hospital | None) -> str:
    """Host findings name an IP (network) or a hostname (Windows logs): key them by IP."""
    if hospital is None or entity.replace(".", "").isdigit() or ":" in entity:
        return entity
    wanted = _short(entity)
    for a in hospital.assets:
        if a.ip and _short(a.hostname) == wanted:
            return a.ip
    return entity


def _name_of(entity: str) -> str | None:
    """A host entity that is not an address is a host name (Windows logs name machines)."""
    try:
        ipaddress.ip_address(entity.strip("[]"))
    except ValueError:
        return entity
    return None


def _zone_of(ip: str, index: dict[str, tuple[str, str | None, str | None]]) -> str | None:
    if ip in index:
        return index[ip][1]
    parts = ip.split(".")
    return ".".join(parts[:3]) + ".0/24" if len(parts) == 4 else None


def incident_detectors() -> tuple[str, ...]:
    """Detectors whose findings are attack activity (not posture reports)."""
    return tuple(d.NAME for d in DETECTORS if d.INCIDENT)


def alerting_detectors() -> tuple[str, ...]:
    """Incident detectors whose finding times are alert times (not reconstructions)."""
    return tuple(d.NAME for d in DETECTORS if d.INCIDENT and not d.RETROSPECTIVE)


def _host_rows(store: Store, detectors: Sequence[str]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = store.sql(
        """SELECT entity AS ip, min(first_seen) AS first_seen,
                  min(coalesce(detected_at, first_seen))
                      FILTER (WHERE list_contains($alerting, detector)) AS detected_at,
                  list(DISTINCT detector ORDER BY detector) AS detectors,
                  list(finding_uid) AS uids,
                  max(CASE severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3
                      WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END) AS rank
           FROM finding WHERE entity_type = 'host' AND severity IN ('medium','high','critical')
             AND list_contains($detectors, detector)
           GROUP BY entity ORDER BY first_seen, entity""",
        {"detectors": list(detectors), "alerting": list(alerting_detectors())},
    ).to_pylist()
    return rows


def _entry_email(
    store: Store, user: str | None, before: datetime | None
) -> tuple[EntryEmail | None, list[str]]:
    """The flagged email that reached patient zero's user last before the infection."""
    rows = store.sql(
        """WITH f AS (
               SELECT finding_uid, score, reason, reason_key, params, unnest(evidence) AS uid
               FROM finding WHERE evidence_class = 'email'
                 AND severity IN ('medium','high','critical'))
           SELECT f.finding_uid, f.score, f.reason, f.reason_key, f.params, e.message_id,
                  e.subject, e.from_addr, e.time, e.to_addrs, e.cc_addrs
           FROM f JOIN email e ON e.event_uid = f.uid
           ORDER BY e.time"""
    ).to_pylist()
    uids = [str(r["finding_uid"]) for r in rows]
    candidates = [
        r
        for r in rows
        if (user is None or user.lower() in [*r["to_addrs"], *r["cc_addrs"]])
        and (before is None or r["time"] is None or r["time"] <= before)
    ]
    if not candidates:
        return None, uids
    best = max(candidates, key=lambda r: (r["time"] is not None, r["time"], r["score"] or 0))
    subject = best["subject"]
    sender = best["from_addr"]
    # who else got it: same subject and sender (the campaign, as far as v0 can tell)
    recipients = sorted(
        {
            a
            for r in rows
            if r["subject"] == subject and r["from_addr"] == sender
            for a in [*r["to_addrs"], *r["cc_addrs"]]
        }
    )
    email = EntryEmail(
        message_id=best["message_id"],
        subject=subject,
        sender=sender,
        received=best["time"],
        score=best["score"],
        recipients=tuple(recipients),
        reasons=str(best["reason"]),
        finding_uid=str(best["finding_uid"]),
        reasons_en=render_finding(best, "en")[1],
    )
    return email, uids


def _merge(a: IncidentHost, b: IncidentHost) -> IncidentHost:
    """One host seen under two names (IP from the network, hostname from its logs)."""
    detected = [t for t in (a.detected_at, b.detected_at) if t is not None]
    return IncidentHost(
        a.ip,
        a.hostname or b.hostname,
        a.zone or b.zone,
        "infected" if "infected" in (a.status, b.status) else a.status,
        min(a.first_seen, b.first_seen),
        a.infected_by or b.infected_by,
        tuple(sorted(set(a.detectors) | set(b.detectors))),
        min(detected) if detected else None,
    )


MIN_PLAUSIBLE = datetime(2000, 1, 1, tzinfo=UTC)
WINDOW = timedelta(hours=6)  # unrelated host findings further apart are separate incidents
RFC1918 = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
SCAN_DETECTORS = ("network_scan",)
EXPOSURE_DETECTORS = ("exposed_service",)
PROBE_DETECTORS = ("inbound_probe",)
SPREAD_DETECTORS = ("lateral_spread", "spread_tree")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def internal_networks(hospital: Hospital | None, extra: Sequence[str] = ()) -> tuple[Network, ...]:
    """The hospital's internal ranges (else RFC 1918) and the ranges given at detection."""
    base = hospital.hospital.internal_ranges if hospital else RFC1918
    out: list[Network] = []
    for cidr in (*base, *extra):
        try:
            out.append(ipaddress.ip_network(str(cidr).strip(), strict=False))
        except ValueError:
            continue
    return tuple(out)


def is_internal(entity: str, nets: Sequence[Network], known: Mapping[str, object]) -> bool:
    """Host names, accounts and mailboxes are the hospital's; an address is internal when
    it is a declared asset, private or link-local, or inside an internal range."""
    try:
        ip = ipaddress.ip_address(entity.strip("[]"))
    except ValueError:
        return True
    if entity in known or ip.is_private or ip.is_link_local or ip.is_loopback:
        return True
    return any(ip.version == n.version and ip in n for n in nets)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def plausible(value: datetime, now: datetime) -> bool:
    """A time a real event can have: from 2000 to a day after now (clock skew)."""
    v = _aware(value)
    return MIN_PLAUSIBLE <= v <= _aware(now) + timedelta(days=1)


def _account_rows(store: Store, detectors: Sequence[str]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = store.sql(
        """SELECT entity, min(first_seen) AS first_seen, max(last_seen) AS last_seen,
                  list(DISTINCT detector ORDER BY detector) AS detectors,
                  list(finding_uid) AS uids, flatten(list(coalesce(related, []))) AS related
           FROM finding WHERE entity_type = 'account'
             AND severity IN ('medium','high','critical') AND list_contains($detectors, detector)
           GROUP BY entity ORDER BY first_seen, entity""",
        {"detectors": list(detectors)},
    ).to_pylist()
    return rows


def _related(store: Store, detectors: Sequence[str]) -> dict[str, set[str]]:
    """entity -> the entities its findings name in `related` (shared entities link hosts)."""
    rows = store.sql(
        """SELECT entity, flatten(list(coalesce(related, []))) AS related FROM finding
           WHERE entity_type = 'host' AND list_contains($detectors, detector)
           GROUP BY entity""",
        {"detectors": list(detectors)},
    ).to_pylist()
    return {str(r["entity"]): {str(x) for x in r["related"] or []} for r in rows}


@dataclass
class _Cluster:
    hosts: list[IncidentHost] = field(default_factory=list)
    accounts: list[tuple[str, datetime, tuple[str, ...], tuple[str, ...]]] = field(
        default_factory=list
    )
    externals: list[tuple[str, datetime, tuple[str, ...]]] = field(default_factory=list)
    uids: set[str] = field(default_factory=set)

    def times(self) -> list[datetime]:
        return [
            *(h.first_seen for h in self.hosts),
            *(a[1] for a in self.accounts),
            *(e[1] for e in self.externals),
        ]


def _clusters(
    hosts: dict[str, IncidentHost], related: dict[str, set[str]], names: dict[str, str]
) -> list[list[IncidentHost]]:
    """Hosts linked by a spread edge, a shared related entity, or findings within WINDOW."""
    keys = sorted(hosts, key=lambda k: (hosts[k].first_seen, k))
    parent = {k: k for k in keys}

    def find(k: str) -> str:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    def union(a: str, b: str) -> None:
        if a in parent and b in parent:
            parent[find(a)] = find(b)

    for k in keys:
        h = hosts[k]
        if h.infected_by:
            union(k, h.infected_by)
    by_related: dict[str, str] = {}
    for raw, rel in related.items():
        k = names.get(raw, raw)
        for other in rel:
            if other in parent:
                union(k, other)
            elif other in by_related:
                union(k, by_related[other])
            else:
                by_related[other] = k
    for a, b in itertools.pairwise(keys):
        if hosts[b].first_seen - hosts[a].first_seen <= WINDOW:
            union(a, b)
    groups: dict[str, list[IncidentHost]] = {}
    for k in keys:
        groups.setdefault(find(k), []).append(hosts[k])
    return list(groups.values())


def _add_remote_source(
    src: RemoteSource,
    hosts: dict[str, IncidentHost],
    names: dict[str, str],
    nets: Sequence[Network],
    index: dict[str, tuple[str, str | None, str | None]],
    now: datetime,
) -> None:
    """The machine a remote execution came from (see `rempart.incidents.remote`) becomes
    the target's source: an internal host of the incident, infected before it, so the
    incident is a lateral spread whose patient zero is where the attacker came from."""
    target = names.get(src.target, src.target)
    if target not in hosts or not plausible(src.time, now):
        return
    if not is_internal(src.ip, nets, index):
        return  # a logon from the internet: an exposure, never a patient zero
    named = names.get(src.hostname, src.hostname) if src.hostname else None
    key = named if named in hosts else src.ip
    if key == target:
        return
    if key in hosts:
        old = hosts[key]
        if src.time < old.first_seen:
            hosts[key] = replace(old, first_seen=src.time, status="infected")
    else:
        hostname, zone, _ = index.get(src.ip, (src.hostname, _zone_of(src.ip, index), None))
        hosts[key] = IncidentHost(
            src.ip, hostname, zone, "infected", src.time, None, ("remote_logon",), None
        )
    hosts[target] = replace(hosts[target], infected_by=key)


def _kind(
    hosts: Sequence[IncidentHost],
    accounts: Sequence[object],
    externals: Sequence[tuple[str, datetime, tuple[str, ...]]],
    email: EntryEmail | None,
) -> str:
    """What happened, from the evidence (see KINDS)."""
    dets = {d for h in hosts for d in h.detectors}
    infected = [h for h in hosts if h.status == "infected"]
    if dets & set(SPREAD_DETECTORS) or any(h.infected_by for h in hosts):
        return "lateral_spread"
    if hosts and dets <= set(EXPOSURE_DETECTORS):
        return "external_exposure"
    if hosts:
        if email is not None and len(infected) <= 1:
            return "phishing"
        return "lateral_spread" if len(infected) > 1 and email is not None else "host_compromise"
    if accounts:
        return "mailbox_intrusion"
    if email is not None:
        return "phishing"
    ext = {d for _, _, ds in externals for d in ds}
    return "external_exposure" if ext & set(EXPOSURE_DETECTORS) else "scan"


_SEVERITY = {
    "lateral_spread": "critical",
    "host_compromise": "high",
    "phishing": "high",
    "mailbox_intrusion": "high",
    "external_exposure": "medium",
    "scan": "low",
}


def build_incidents(
    store: Store,
    hospital: Hospital | None = None,
    *,
    spread: SpreadProvider | None = None,
    detectors: Sequence[str] | None = None,
    internal: Sequence[str] = (),
    now: datetime | None = None,
) -> list[Incident]:
    """Every incident the current findings make, most serious first.

    Internal hosts are grouped when a spread edge, a shared related entity or a time window
    links them; internet addresses are never hosts of an incident (they are its external
    sources: a scan, probing, or the far end of an exposure); findings at implausible times
    (before 2000, after now) are set aside with a warning.
    """
    now = now or datetime.now(UTC)
    index = _asset_index(hospital)
    nets = internal_networks(hospital, internal)
    chosen = tuple(detectors) if detectors is not None else incident_detectors()
    rows = _host_rows(store, chosen)
    hint = spread(store, hospital) if spread is not None else None
    bad_times: list[datetime] = []
    hosts: dict[str, IncidentHost] = {}
    externals: dict[str, tuple[str, datetime, tuple[str, ...]]] = {}
    names: dict[str, str] = {}
    uids_of: dict[str, set[str]] = {}
    for r in rows:
        raw = str(r["ip"])
        ip = _host_key(raw, hospital)
        names[raw] = ip
        first = r["first_seen"]
        assert isinstance(first, datetime)
        dets = r["detectors"]
        assert isinstance(dets, list)
        if not plausible(first, now):
            bad_times.append(first)
            continue
        uids_of.setdefault(ip, set()).update(str(u) for u in _as_list(r["uids"]))
        if not is_internal(ip, nets, index):
            old = externals.get(ip)
            ds = tuple(sorted({*dets, *(old[2] if old else ())}))
            externals[ip] = (ip, min(first, old[1]) if old else first, ds)
            continue
        status = "infected" if int(str(r["rank"])) >= 3 else "suspected"
        hostname, zone, _ = index.get(ip, (_name_of(ip), _zone_of(ip, index), None))
        detected = r["detected_at"]
        assert detected is None or isinstance(detected, datetime)
        new = IncidentHost(ip, hostname, zone, status, first, None, tuple(dets), detected)
        hosts[ip] = _merge(hosts[ip], new) if ip in hosts else new
    for src in remote_sources(store, chosen):
        _add_remote_source(src, hosts, names, nets, index, now)
    pz_hint: str | None = None
    if hint is not None:
        root_time = next((f for ip, f, _ in hint.infected if ip == hint.patient_zero), None)
        for ip, first, source in hint.infected:
            if not is_internal(ip, nets, index) or not plausible(first, now):
                continue
            if root_time is not None and first < root_time:
                first = root_time  # nobody is infected before patient zero starts spreading
            known = hosts.get(ip)
            hostname, zone, _ = index.get(ip, (None, _zone_of(ip, index), None))
            hosts[ip] = IncidentHost(
                ip,
                hostname,
                zone,
                "infected",
                first,
                source if source and is_internal(source, nets, index) else None,
                known.detectors if known else ("spread_tree",),
                known.detected_at if known else None,
            )
        if hint.patient_zero in hosts:
            pz_hint = hint.patient_zero
    accounts = []
    for r in _account_rows(store, chosen):
        first = r["first_seen"]
        assert isinstance(first, datetime)
        if not plausible(first, now):
            bad_times.append(first)
            continue
        accounts.append(
            (
                str(r["entity"]),
                first,
                tuple(str(d) for d in _as_list(r["detectors"])),
                tuple(str(u) for u in _as_list(r["uids"])),
            )
        )
    warnings: list[dict[str, Any]] = []
    if bad_times:
        warnings.append(
            msg(
                "incident.warn.implausible_time",
                n=len(bad_times),
                earliest=min(bad_times).isoformat(),
            )
        )
    # probes of internal hosts (posture findings) name the hosts an external incident targets
    probed = (
        store.sql(
            """SELECT DISTINCT entity FROM finding WHERE entity_type = 'host'
           AND list_contains($d, detector) ORDER BY entity""",
            {"d": [*PROBE_DETECTORS, *EXPOSURE_DETECTORS]},
        )
        .column("entity")
        .to_pylist()
    )
    targets = tuple(str(e) for e in probed if is_internal(str(e), nets, index))

    related = _related(store, chosen)
    clusters: list[_Cluster] = []
    for group in _clusters(hosts, related, names):
        c = _Cluster(hosts=group)
        for h in group:
            c.uids |= uids_of.get(h.ip, set())
        clusters.append(c)
    # accounts join the cluster whose hosts they name or whose window they fall in, else
    # make a mailbox intrusion of their own
    for acc in accounts:
        home = next(
            (
                c
                for c in clusters
                if any(abs(acc[1] - t) <= WINDOW for t in c.times())
                and any(h.hostname == acc[0] or h.ip == acc[0] for h in c.hosts)
            ),
            None,
        )
        if home is None:
            home = next((c for c in clusters if not c.hosts and c.accounts), None)
        if home is None:
            home = _Cluster()
            clusters.append(home)
        home.accounts.append((acc[0], acc[1], acc[2], ()))
        home.uids |= set(acc[3])
    if externals:
        # internet sources attach to the hosts they touched, else form one scan incident
        ext_cluster: _Cluster | None = None
        for ext in sorted(externals.values(), key=lambda e: (e[1], e[0])):
            home = next(
                (
                    c
                    for c in clusters
                    if c.hosts and any(ext[0] in related.get(h.ip, ()) for h in c.hosts)
                ),
                None,
            )
            if home is None:
                if ext_cluster is None:
                    ext_cluster = _Cluster()
                    clusters.append(ext_cluster)
                home = ext_cluster
            home.externals.append(ext)
            home.uids |= uids_of.get(ext[0], set())
    # a flagged email without any host or account is a phishing incident of its own
    email_only, email_uids = _entry_email(store, None, None)
    incidents: list[Incident] = []
    for c in clusters:
        incidents.append(
            _incident(store, c, index, chosen, pz_hint, hint, warnings, targets, hospital)
        )
    if not clusters and email_only is not None:
        incidents.append(
            _incident(store, _Cluster(), index, chosen, None, None, warnings, (), hospital)
        )
    del email_uids

    def weight(inc: Incident) -> tuple[int, int, int, str]:
        order = ("lateral_spread", "host_compromise", "phishing", "mailbox_intrusion",
                 "external_exposure", "scan")  # fmt: skip
        infected = sum(1 for h in inc.hosts if h.status == "infected")
        return (order.index(inc.kind), -infected, -len(inc.hosts), inc.first_seen.isoformat())

    return sorted(incidents, key=weight)


def _email_entry(email: EntryEmail, received: datetime) -> TimelineEntry:
    """The timeline line of the entry email (one wording for both timelines)."""
    return TimelineEntry(
        received,
        "email",
        f"Courriel « {email.subject} » de {email.sender} reçu "
        f"({len(email.recipients)} destinataire(s))",
        finding_uid=email.finding_uid,
        text_en=f"E-mail “{email.subject}” from {email.sender} received "
        f"({len(email.recipients)} recipient(s))",
    )


def _incident(
    store: Store,
    c: _Cluster,
    index: dict[str, tuple[str, str | None, str | None]],
    chosen: Sequence[str],
    pz_hint: str | None,
    hint: SpreadHint | None,
    warnings: list[dict[str, Any]],
    targets: tuple[str, ...],
    hospital: Hospital | None,
) -> Incident:
    ordered = sorted(c.hosts, key=lambda h: (h.first_seen, h.ip))
    by_ip = {h.ip: h for h in ordered}
    infected = [h for h in ordered if h.status == "infected"] or ordered
    patient_zero: IncidentHost | None = None
    # the root of who-infected-whom (a host others were infected from, itself from no
    # one known): where the attacker came from, even if the target had older findings
    sources = {h.infected_by for h in ordered if h.infected_by}
    roots = [h for h in infected if h.ip in sources and not h.infected_by]
    if pz_hint and pz_hint in by_ip:
        patient_zero = by_ip[pz_hint]
    elif roots:
        patient_zero = roots[0]
    elif infected:
        patient_zero = infected[0]
    user = index.get(patient_zero.ip, (None, None, None))[2] if patient_zero else None
    email: EntryEmail | None = None
    email_uids: list[str] = []
    if patient_zero is not None or c.accounts:
        if patient_zero is not None:
            email, email_uids = _entry_email(store, user, patient_zero.first_seen)
        if patient_zero is None:
            mailboxes = {a[0].lower() for a in c.accounts}
            email, email_uids = _entry_email(store, None, None)
            if email is not None and not mailboxes & {r.lower() for r in email.recipients}:
                email, email_uids = None, []
    elif not c.externals:
        email, email_uids = _entry_email(store, None, None)
    kind = _kind(ordered, c.accounts, c.externals, email)
    timeline = _timeline(store, ordered, email, chosen) if ordered else []
    for name, first, dets, _ in c.accounts:
        timeline.append(
            TimelineEntry(
                first,
                "alert",
                f"Boîte aux lettres {name} : {', '.join(dets)}",
                detector=dets[0] if dets else None,
                text_en=f"Mailbox {name}: {', '.join(dets)}",
            )
        )
    if c.externals:
        first_ext = min(c.externals, key=lambda e: e[1])
        n = len(c.externals)
        timeline.append(
            TimelineEntry(
                first_ext[1],
                "alert",
                f"{n} source(s) internet ({first_ext[0]} la première)",
                detector=first_ext[2][0] if first_ext[2] else None,
                text_en=f"{n} internet source(s) ({first_ext[0]} first)",
            )
        )
    if email is not None and email.received is not None and not ordered:
        timeline.append(_email_entry(email, email.received))
    timeline.sort(key=lambda e: _aware(e.time))
    times = [*c.times()] + ([email.received] if email and email.received else [])
    first_seen = min(times)
    last_seen = max([*c.times()] or times)
    attack = (
        store.sql(
            """SELECT DISTINCT unnest(attack) AS a FROM finding
               WHERE list_contains($uids, finding_uid) ORDER BY a""",
            {"uids": sorted(c.uids | set(email_uids))},
        )
        .column("a")
        .to_pylist()
    )
    if patient_zero is not None:
        key = f"{patient_zero.ip}|{patient_zero.first_seen.isoformat()}"
    else:
        ents = sorted([a[0] for a in c.accounts] + [e[0] for e in c.externals])
        key = f"{kind}|{'|'.join(ents[:50])}|{first_seen.isoformat()}"
        if email is not None:
            key += f"|{email.finding_uid}"
    inc_id = f"INC-{first_seen:%Y%m%d}-{hashlib.sha256(key.encode()).hexdigest()[:6]}"
    n_infected = sum(1 for h in ordered if h.status == "infected")
    severity = _SEVERITY[kind]
    if kind == "lateral_spread" and n_infected <= 1:
        severity = "high"
    if kind == "host_compromise" and n_infected == 0:
        severity = "medium"
    del hospital
    if hint is not None and pz_hint is not None and pz_hint in by_ip:
        confidence = hint.confidence
    else:
        confidence = 0.5 if email else 0.3
    return Incident(
        id=inc_id,
        title=t(f"incident.kind.{kind}", "fr"),
        title_en=t(f"incident.kind.{kind}", "en"),
        severity=severity,
        first_seen=first_seen,
        last_seen=last_seen,
        patient_zero=patient_zero,
        entry_email=email,
        hosts=tuple(ordered),
        timeline=tuple(timeline),
        attack=tuple(str(a) for a in attack if a),
        confidence=confidence,
        finding_uids=tuple(sorted(c.uids | set(email_uids))),
        kind=kind,
        accounts=tuple(a[0] for a in c.accounts),
        external_sources=tuple(e[0] for e in sorted(c.externals, key=lambda e: (e[1], e[0]))),
        targets=targets if (c.externals and not ordered) else (),
        warnings=tuple(warnings),
    )


def build_incident(
    store: Store,
    hospital: Hospital | None = None,
    *,
    spread: SpreadProvider | None = None,
    detectors: Sequence[str] | None = None,
    internal: Sequence[str] = (),
    now: datetime | None = None,
) -> Incident | None:
    """The most serious incident of the current findings, or None when nothing is flagged.

    `detectors` limits which findings count (default: every detector whose INCIDENT flag is
    set). With a spread reconstruction, a host's time is its estimated infection time.
    """
    found = build_incidents(
        store, hospital, spread=spread, detectors=detectors, internal=internal, now=now
    )
    return found[0] if found else None


def _timeline(
    store: Store,
    hosts: Sequence[IncidentHost],
    email: EntryEmail | None,
    detectors: Sequence[str],
) -> list[TimelineEntry]:
    """Key moments: the email, each detector's first alert, each zone's first host."""
    entries: list[TimelineEntry] = []
    if email is not None and email.received is not None:
        entries.append(_email_entry(email, email.received))
    firsts = store.sql(
        """WITH f AS (SELECT *, coalesce(detected_at, first_seen) AS t FROM finding
                     WHERE entity_type = 'host' AND list_contains($detectors, detector)
             AND list_contains($alerting, detector))
           SELECT detector, arg_min(title, t) AS title, arg_min(entity, t) AS ent,
                  arg_min(finding_uid, t) AS uid, min(t) AS t, count(*) AS n
           FROM f GROUP BY detector ORDER BY t""",
        {"detectors": list(detectors), "alerting": list(alerting_detectors())},
    ).to_pylist()
    for f in firsts:
        keyed = store.sql(
            "SELECT title, title_key, params FROM finding WHERE finding_uid = $uid",
            {"uid": f["uid"]},
        ).to_pylist()
        same = keyed[0] if keyed and keyed[0]["title"] == f["title"] else f
        title_en = render_finding(same, "en")[0]
        entries.append(
            TimelineEntry(
                f["t"],
                "alert",
                f"Première alerte {f['detector']} : {f['title']} ({f['ent']}), "
                f"{f['n']} alerte(s) au total",
                detector=str(f["detector"]),
                finding_uid=str(f["uid"]),
                text_en=f"First {f['detector']} alert: {title_en} ({f['ent']}), "
                f"{f['n']} alert(s) in all",
            )
        )
    seen_zones: set[str] = set()
    for h in hosts:
        zone = h.zone or "?"
        if zone not in seen_zones:
            seen_zones.add(zone)
            entries.append(
                TimelineEntry(
                    h.first_seen,
                    "spread",
                    f"Zone {zone} : premier poste touché {h.hostname or h.ip}",
                    text_en=f"Zone {zone}: first host hit {h.hostname or h.ip}",
                )
            )
    return sorted(entries, key=lambda e: e.time)
