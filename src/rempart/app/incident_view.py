"""An incident as the console shows it: timeline, patient zero, the entry email with every
mailbox that received it (the purge list), the spread tree laid out, hosts per building."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from rempart.app.incidents_store import IncidentSummary, list_incidents, load_incident
from rempart.app.webcache import memo
from rempart.app.webread import reading
from rempart.incidents import Incident, IncidentHost


@dataclass(frozen=True)
class PurgeEntry:
    """A mailbox to purge: who received the entry email (or a copy of its campaign)."""

    mailbox: str
    message_id: str
    subject: str
    received: str


@dataclass(frozen=True)
class TreeNode:
    ip: str
    label: str
    status: str
    parent: str | None
    depth: int
    x: int  # layout slot within its depth


@dataclass(frozen=True)
class BuildingHosts:
    building: str
    hosts: tuple[IncidentHost, ...]


@dataclass(frozen=True)
class IncidentView:
    incident: Incident
    purge: tuple[PurgeEntry, ...]
    tree: tuple[TreeNode, ...]
    tree_depth: int
    tree_width: int
    buildings: tuple[BuildingHosts, ...]


def incidents(workspace: Path | str) -> list[IncidentSummary]:
    """The workspace's incidents (kept until the case store changes)."""
    kept = memo(workspace, "incidents", None, lambda: _incidents(workspace), depends=("cases",))
    return list(kept)


def _incidents(workspace: Path | str) -> tuple[IncidentSummary, ...]:
    with reading(workspace) as r:
        return tuple(list_incidents(r.root))


def spread_tree(incident: Incident) -> tuple[tuple[TreeNode, ...], int, int]:
    """Hosts as a forest (each under the host that infected it), laid out by depth."""
    by_ip = {h.ip: h for h in incident.hosts}
    children: dict[str | None, list[IncidentHost]] = defaultdict(list)
    for h in incident.hosts:
        parent = h.infected_by if h.infected_by in by_ip and h.infected_by != h.ip else None
        children[parent].append(h)
    nodes: list[TreeNode] = []
    slots: dict[int, int] = defaultdict(int)
    seen: set[str] = set()

    def walk(h: IncidentHost, parent: str | None, depth: int) -> None:
        if h.ip in seen:
            return
        seen.add(h.ip)
        nodes.append(TreeNode(h.ip, h.hostname or h.ip, h.status, parent, depth, slots[depth]))
        slots[depth] += 1
        for c in sorted(children.get(h.ip, []), key=lambda x: x.first_seen):
            walk(c, h.ip, depth + 1)

    for root in sorted(children[None], key=lambda x: x.first_seen):
        walk(root, None, 0)
    for h in incident.hosts:  # a cycle in infected_by: show the rest as roots
        if h.ip not in seen:
            walk(h, None, 0)
    depth = max((n.depth for n in nodes), default=0) + 1
    width = max(slots.values(), default=1)
    return tuple(nodes), depth, width


def incident_view(workspace: Path | str, ident: str) -> IncidentView:
    """The incident by id (IncidentNotFound when there is none); kept until the workspace's
    data changes."""
    return memo(workspace, "incident_view", ident, lambda: _incident_view(workspace, ident))


def _incident_view(workspace: Path | str, ident: str) -> IncidentView:
    with reading(workspace) as r:
        inc = load_incident(r.root, ident)
        purge: list[PurgeEntry] = []
        email = inc.entry_email
        if email is not None and r.store is not None:
            rows = r.store.sql(
                """SELECT message_id, subject, to_addrs, cc_addrs, time FROM email
                   WHERE message_id = $mid
                      OR (subject = $subject AND from_addr = $sender)
                   ORDER BY time LIMIT 5000""",
                {
                    "mid": email.message_id or "",
                    "subject": email.subject or "",
                    "sender": email.sender or "",
                },
            ).to_pylist()
            seen: set[tuple[str, str]] = set()
            for x in rows:
                for box in [*(x["to_addrs"] or []), *(x["cc_addrs"] or [])]:
                    key = (str(box).lower(), str(x["message_id"]))
                    if key not in seen:
                        seen.add(key)
                        purge.append(
                            PurgeEntry(
                                str(box),
                                str(x["message_id"]),
                                str(x["subject"] or ""),
                                str(x["time"]),
                            )
                        )
        if email is not None and not purge:
            purge = [
                PurgeEntry(box, email.message_id or "", email.subject or "", str(email.received))
                for box in email.recipients
            ]
        buildings: dict[str, list[IncidentHost]] = defaultdict(list)
        zone_building = {}
        if r.hospital is not None:
            zone_building = {z.id: z.building or z.id for z in r.hospital.zones}
        for h in inc.hosts:
            buildings[zone_building.get(h.zone or "", h.zone or "?")].append(h)
    tree, depth, width = spread_tree(inc)
    return IncidentView(
        inc,
        tuple(purge),
        tree,
        depth,
        width,
        tuple(BuildingHosts(b, tuple(hs)) for b, hs in sorted(buildings.items())),
    )


__all__ = [
    "BuildingHosts",
    "IncidentView",
    "PurgeEntry",
    "TreeNode",
    "incident_view",
    "incidents",
    "spread_tree",
]
