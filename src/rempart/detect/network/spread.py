"""Spread tree as findings: patient zero (critical) and each probably infected host (high).

The tree itself comes from `rempart.detect.network.tree`; this detector turns it into alerts
with evidence, and those findings are the tree's only stored form: the incident builder reads
it back from them (`rempart.incidents.spread`): patient zero is the critical finding, whose
score is the tree's confidence; each infected host's `related` names its probable parent.
"""

from __future__ import annotations

from typing import ClassVar

from rempart.core.i18n import joined, msg
from rempart.detect.base import Finding, Severity
from rempart.detect.network import NetworkDetector
from rempart.detect.network.nets import NetParams
from rempart.detect.network.tree import SpreadEdge, SpreadTree, spread_from_engine
from rempart.model import Hospital
from rempart.store.engine import Engine

NAME = "spread_tree"
VERSION = "1.0"
ATTACK = ("T1210", "T1021.002", "T1570")


def tree_findings(tree: SpreadTree) -> list[Finding]:
    """Alerts from a spread tree; nothing when fewer than two hosts are infected."""
    if tree.patient_zero is None or tree.first_time is None or len(tree.infected) < 2:
        return []
    det = SpreadTreeDetector()
    zones = tree.by_zone()
    last = max(h.first_seen for h in tree.infected)
    per_zone = joined([msg("net.spread.zone_n", zone=z, n=len(v)) for z, v in zones.items()], ", ")
    children: dict[str, list[str]] = {}
    for e in tree.edges:
        children.setdefault(e.src, []).append(e.dst)
    p0 = next(h for h in tree.infected if h.ip == tree.patient_zero)
    out = [
        det.finding(
            severity=Severity.CRITICAL,
            title_key="net.spread.pz.title",
            reason_key="net.spread.pz.reason",
            params={
                "ip": p0.ip,
                "zone": p0.zone or "?",
                "start": f"{tree.first_time:%Y-%m-%d %H:%M:%S}",
                "infected": len(tree.infected),
                "per_zone": per_zone,
                "confidence": tree.confidence,
            },
            entity=p0.ip,
            entity_type="host",
            first_seen=tree.first_time,
            last_seen=last,
            evidence_class="network_flow",
            evidence=tuple(e.evidence for e in tree.edges if e.src == p0.ip),
            evidence_count=len(children.get(p0.ip, ())),
            score=tree.confidence,
            related=tuple(children.get(p0.ip, ()))[:50],
        )
    ]
    edge_of = {e.dst: e for e in tree.edges}
    for h in tree.infected:
        if h.ip == tree.patient_zero:
            continue
        edge: SpreadEdge | None = edge_of.get(h.ip)
        via = (
            msg(
                "net.spread.via",
                src=edge.src,
                at=f"{edge.time:%Y-%m-%d %H:%M:%S}",
                confidence=edge.confidence,
            )
            if edge
            else msg("net.spread.via_unknown")
        )
        out.append(
            det.finding(
                severity=Severity.HIGH,
                title_key="net.spread.host.title",
                reason_key="net.spread.host.reason",
                params={"ip": h.ip, "zone": h.zone or "?", "via": via, "peers": h.peers},
                entity=h.ip,
                entity_type="host",
                first_seen=h.first_seen,
                last_seen=h.spread_start if h.spread_start > h.first_seen else h.first_seen,
                evidence_class="network_flow",
                evidence=(edge.evidence,) if edge else (),
                evidence_count=1 if edge else 0,
                score=edge.confidence if edge else None,
                related=(edge.src,) if edge else (),
            )
        )
    return out


def detect_spread(
    engine: Engine, hospital: Hospital | None = None, params: NetParams | None = None
) -> list[Finding]:
    return tree_findings(spread_from_engine(engine, hospital, params))


class SpreadTreeDetector(NetworkDetector):
    NAME: ClassVar[str] = NAME
    VERSION: ClassVar[str] = VERSION
    ATTACK: ClassVar[tuple[str, ...]] = ATTACK
    DESCRIPTION: ClassVar[str] = "Who infected whom: patient zero and infected hosts per zone"
    RETROSPECTIVE: ClassVar[bool] = True  # times are infection estimates, not alert times
    detect = staticmethod(detect_spread)
