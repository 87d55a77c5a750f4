"""The console's dashboard: the hospital's zones and care services in their current state,
open incidents, alerts per hour, and what was ingested when.

A zone is infected when an open incident has an infected host in it, suspected when only
suspected ones, isolated when a retained plan isolates it (or quarantines its hosts), else
clean. A care service is stopped when a retained plan cuts a dependency vital to it, degraded
when a plan cuts another of its dependencies, when a dependency host is infected, or when one
of its zones is infected; each state names the dependency that caused it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rempart.app.decisions import Decision, decisions
from rempart.app.incidents_store import IncidentSummary, list_incidents, load_incident
from rempart.app.webcache import memo
from rempart.app.webread import Reading, reading
from rempart.incidents import Incident
from rempart.model import Hospital

HOURS_SHOWN = 48


@dataclass(frozen=True)
class ZoneState:
    id: str
    name: str
    building: str
    kind: str
    state: str  # infected / suspected / isolated / clean
    infected: int
    suspected: int
    quarantined: int
    assets: int


@dataclass(frozen=True)
class ServiceState:
    id: str
    name: str
    vital: bool
    state: str  # normal / degraded / stopped
    causes: tuple[str, ...]  # "kind ref: why" per dependency that degraded it


@dataclass(frozen=True)
class HourCount:
    hour: datetime
    count: int


@dataclass(frozen=True)
class IngestedFile:
    path: str
    source: str
    event_class: str
    records: int
    rejected: int
    ingested_at: datetime


@dataclass(frozen=True)
class Dashboard:
    hospital_name: str
    zones: tuple[ZoneState, ...]
    services: tuple[ServiceState, ...]
    incidents: tuple[IncidentSummary, ...]
    alerts_per_hour: tuple[HourCount, ...]
    ingested: tuple[IngestedFile, ...]
    findings: int


@dataclass(frozen=True)
class Latest:
    """The small fragment polled by the pages: how many findings, the newest ones."""

    findings: int
    newest: tuple[tuple[str, str, str, str], ...]  # (uid, severity, title, detected)
    files: int


def _open_incidents(root: Path) -> list[tuple[IncidentSummary, Incident]]:
    out = []
    for s in list_incidents(root):
        if s.state in ("open", "contained"):
            out.append((s, load_incident(root, s.id)))
    return out


def zone_states(
    hospital: Hospital, incidents: list[Incident], done: tuple[Decision, ...]
) -> tuple[ZoneState, ...]:
    infected: Counter[str] = Counter()
    suspected: Counter[str] = Counter()
    active = done  # the decisions on the incidents shown (by their case ids)
    isolated = {z for d in active for z in d.isolated_zones}
    quarantined = {ip for d in active for ip in d.quarantined}
    q_zone: Counter[str] = Counter()
    for inc in incidents:
        for h in inc.hosts:
            if h.zone is None:
                continue
            if h.ip in quarantined:
                q_zone[h.zone] += 1
            elif h.status == "infected":
                infected[h.zone] += 1
            else:
                suspected[h.zone] += 1
    assets = Counter(a.zone for a in hospital.assets if a.zone)
    out = []
    for z in hospital.zones:
        if z.id in isolated:
            state = "isolated"
        elif infected[z.id]:
            state = "infected"
        elif suspected[z.id]:
            state = "suspected"
        elif q_zone[z.id]:
            state = "isolated"
        else:
            state = "clean"
        out.append(
            ZoneState(
                z.id,
                z.name,
                z.building or z.id,
                str(z.kind),
                state,
                infected[z.id],
                suspected[z.id],
                q_zone[z.id],
                assets[z.id],
            )
        )
    return tuple(out)


def service_states(
    hospital: Hospital,
    incidents: list[Incident],
    done: tuple[Decision, ...],
    zones: tuple[ZoneState, ...],
) -> tuple[ServiceState, ...]:
    infected_hosts = {h.hostname for i in incidents for h in i.hosts if h.status == "infected"}
    infected_hosts |= {h.ip for i in incidents for h in i.hosts if h.status == "infected"}
    infected_zones = {z.id for z in zones if z.state == "infected"}
    causes: dict[str, list[str]] = {s.id: [] for s in hospital.services}
    stopped: set[str] = set()
    latest: dict[str, Decision] = {}
    for d in done:
        latest[d.incident] = d
    for d in latest.values():  # the cuts of the plan retained for each open incident
        for service, text, vital in d.cuts:
            if service in causes:
                causes[service].append(text)
                if vital:
                    stopped.add(service)
    for s in hospital.services:
        for dep in s.depends_on:
            if dep.kind.value == "asset" and str(dep.ref) in infected_hosts:
                causes[s.id].append(f"asset {dep.ref}: infecté")
            if dep.kind.value == "zone" and str(dep.ref) in infected_zones:
                causes[s.id].append(f"zone {dep.ref}: infectée")
        for z in s.zones:
            if z in infected_zones:
                causes[s.id].append(f"zone {z}: infectée")
    out = []
    for s in hospital.services:
        c = tuple(dict.fromkeys(causes[s.id]))
        state = "stopped" if s.id in stopped else ("degraded" if c else "normal")
        out.append(ServiceState(s.id, s.name, s.vital, state, c))
    return tuple(out)


def _alerts_per_hour(r: Reading) -> tuple[HourCount, ...]:
    if r.store is None:
        return ()
    rows = r.store.sql(
        """SELECT date_trunc('hour', first_seen) AS hour, count(*) AS n FROM finding
           GROUP BY 1 ORDER BY 1 DESC LIMIT $k""",
        {"k": HOURS_SHOWN},
    ).to_pylist()
    return tuple(HourCount(x["hour"], int(x["n"])) for x in reversed(rows))


def ingested_files(r: Reading, limit: int = 20) -> tuple[IngestedFile, ...]:
    if r.store is None:
        return ()
    rows = r.store.sql(
        """SELECT path, source, event_class, records, rejected, ingested_at FROM ingest_log
           ORDER BY ingested_at DESC LIMIT $k""",
        {"k": limit},
    ).to_pylist()
    return tuple(
        IngestedFile(
            str(x["path"]),
            str(x["source"]),
            str(x["event_class"]),
            int(x["records"]),
            int(x["rejected"]),
            x["ingested_at"],
        )
        for x in rows
    )


def dashboard(workspace: Path | str) -> Dashboard:
    """Everything the dashboard shows, read in one short look at the store (kept until the
    workspace's data changes: `rempart.app.webcache`)."""
    return memo(workspace, "dashboard", None, lambda: _dashboard(workspace))


def _dashboard(workspace: Path | str) -> Dashboard:
    with reading(workspace) as r:
        summaries = _open_incidents(r.root)
        incidents = [i for _, i in summaries]
        per_hour = _alerts_per_hour(r)
        files = ingested_files(r)
        total = r.store.count("finding") if r.store is not None else 0
        hospital = r.hospital
    shown = {s.id for s, _ in summaries}
    done = tuple(d for d in decisions(r.root) if d.incident in shown) if incidents else ()
    if hospital is None:
        zones: tuple[ZoneState, ...] = ()
        services: tuple[ServiceState, ...] = ()
        name = ""
    else:
        zones = zone_states(hospital, incidents, done)
        services = service_states(hospital, incidents, done, zones)
        name = hospital.hospital.name
    return Dashboard(name, zones, services, tuple(s for s, _ in summaries), per_hour, files, total)


def latest(workspace: Path | str, limit: int = 5) -> Latest:
    """The newest findings and the count: cheap enough to poll every few seconds (kept until
    the event store changes)."""
    return memo(workspace, "latest", limit, lambda: _latest(workspace, limit), depends=("store",))


def _latest(workspace: Path | str, limit: int) -> Latest:
    with reading(workspace) as r:
        if r.store is None:
            return Latest(0, (), 0)
        n = r.store.count("finding")
        rows = r.store.sql(
            """SELECT finding_uid, severity, title, coalesce(detected_at, last_seen) AS seen_at
               FROM finding ORDER BY seen_at DESC, finding_uid LIMIT $k""",
            {"k": limit},
        ).to_pylist()
        files = r.store.count("ingest_log")
    return Latest(
        n,
        tuple(
            (str(x["finding_uid"]), str(x["severity"]), str(x["title"]), str(x["seen_at"]))
            for x in rows
        ),
        files,
    )


__all__ = [
    "Dashboard",
    "HourCount",
    "IngestedFile",
    "Latest",
    "ServiceState",
    "ZoneState",
    "dashboard",
    "ingested_files",
    "latest",
    "service_states",
    "zone_states",
]
