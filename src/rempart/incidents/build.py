"""Group findings into an incident: hosts per zone, patient zero, entry email, timeline.

Set-based: the finding table is aggregated in SQL; only the (small) per-host result is
turned into values. The spread tree, when the network detectors provide one, decides the
infected set and patient zero; otherwise the earliest flagged host is patient zero.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from rempart.core.i18n import render_finding
from rempart.detect import DETECTORS
from rempart.incidents.model import EntryEmail, Incident, IncidentHost, TimelineEntry
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


DEFAULT_TITLE = "Propagation latérale"  # its English title is "Lateral spread"


def build_incident(
    store: Store,
    hospital: Hospital | None = None,
    *,
    spread: SpreadProvider | None = None,
    detectors: Sequence[str] | None = None,
    title: str = "Propagation latérale",  # DEFAULT_TITLE
) -> Incident | None:
    """The incident made of the current findings, or None when nothing is flagged.

    `detectors` limits which findings count (default: every detector whose INCIDENT flag is
    set). With a spread reconstruction, a host's time is its estimated infection time.
    """
    index = _asset_index(hospital)
    chosen = tuple(detectors) if detectors is not None else incident_detectors()
    rows = _host_rows(store, chosen)
    hint = spread(store, hospital) if spread is not None else None
    hosts: dict[str, IncidentHost] = {}
    for r in rows:
        ip = _host_key(str(r["ip"]), hospital)
        first = r["first_seen"]
        assert isinstance(first, datetime)
        status = "infected" if int(str(r["rank"])) >= 3 else "suspected"
        hostname, zone, _ = index.get(ip, (None, _zone_of(ip, index), None))
        dets = r["detectors"]
        assert isinstance(dets, list)
        detected = r["detected_at"]
        assert detected is None or isinstance(detected, datetime)
        new = IncidentHost(ip, hostname, zone, status, first, None, tuple(dets), detected)
        hosts[ip] = _merge(hosts[ip], new) if ip in hosts else new
    if hint is not None:
        root_time = next((f for ip, f, _ in hint.infected if ip == hint.patient_zero), None)
        for ip, first, source in hint.infected:
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
                source,
                known.detectors if known else ("spread_tree",),
                known.detected_at if known else None,
            )
    if not hosts:
        return None
    ordered = sorted(hosts.values(), key=lambda h: (h.first_seen, h.ip))
    pz_ip = hint.patient_zero if hint and hint.patient_zero in hosts else None
    infected = [h for h in ordered if h.status == "infected"] or ordered
    patient_zero = hosts[pz_ip] if pz_ip else infected[0]
    user = index.get(patient_zero.ip, (None, None, None))[2]
    email, email_uids = _entry_email(store, user, patient_zero.first_seen)
    timeline = _timeline(store, ordered, email, chosen)
    first_seen = min(
        [h.first_seen for h in ordered] + ([email.received] if email and email.received else [])
    )
    last_seen = max(h.first_seen for h in ordered)
    uids = [str(u) for r in rows for u in _as_list(r["uids"])]
    attack = (
        store.sql("SELECT DISTINCT unnest(attack) AS a FROM finding ORDER BY a")
        .column("a")
        .to_pylist()
    )
    key = f"{patient_zero.ip}|{patient_zero.first_seen.isoformat()}"
    inc_id = f"INC-{patient_zero.first_seen:%Y%m%d}-{hashlib.sha256(key.encode()).hexdigest()[:6]}"
    return Incident(
        id=inc_id,
        title=title,
        title_en="Lateral spread" if title == DEFAULT_TITLE else "",
        severity="critical" if len(infected) > 1 else "high",
        first_seen=first_seen,
        last_seen=last_seen,
        patient_zero=patient_zero,
        entry_email=email,
        hosts=tuple(ordered),
        timeline=tuple(timeline),
        attack=tuple(str(a) for a in attack if a),
        confidence=hint.confidence if hint else (0.5 if email else 0.3),
        finding_uids=tuple(sorted(set(uids) | set(email_uids))),
    )


def _timeline(
    store: Store,
    hosts: Sequence[IncidentHost],
    email: EntryEmail | None,
    detectors: Sequence[str],
) -> list[TimelineEntry]:
    """Key moments: the email, each detector's first alert, each zone's first host."""
    entries: list[TimelineEntry] = []
    if email is not None and email.received is not None:
        entries.append(
            TimelineEntry(
                email.received,
                "email",
                f"Courriel « {email.subject} » de {email.sender} reçu "
                f"({len(email.recipients)} destinataire(s))",
                finding_uid=email.finding_uid,
                text_en=f"E-mail “{email.subject}” from {email.sender} received "
                f"({len(email.recipients)} recipient(s))",
            )
        )
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
