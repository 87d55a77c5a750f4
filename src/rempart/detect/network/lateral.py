"""Lateral spread: an internal host reaching many new internal peers over admin protocols.

A worm such as Qbot or WannaCry, or an operator with stolen credentials, reaches out over
SMB (445/139), RPC/DCOM (135), RDP (3389) or WinRM (5985/5986) to many machines it never
talked to before, within minutes. Only new peers count (first contacts after the learning
period), and hosts whose job is to fan out (role in hospital.yaml, or seen doing it while
learning) need many more peers, so file servers, domain controllers and management servers
do not flood the alerts.
"""

from __future__ import annotations

from typing import ClassVar

from rempart.core.i18n import msg
from rempart.detect.base import Finding, Severity
from rempart.detect.network import NetworkDetector
from rempart.detect.network.common import evidence_by, utc
from rempart.detect.network.nets import NetParams
from rempart.detect.network.pairs import PAIRS_CTE, pair_uids_sql, use_pairs
from rempart.model import Hospital
from rempart.store.engine import Engine

NAME = "lateral_spread"
VERSION = "1.0"
ATTACK = ("T1021.002", "T1210", "T1570")

SWEEP_PORTS = 25  # distinct ports that failed: a port scan, not a worm
_PORT_NAMES = {135: "RPC/DCOM", 139: "SMB", 445: "SMB", 3389: "RDP", 5985: "WinRM", 5986: "WinRM"}


# The first contacts of the hosts that fan out, with each host's alert time: computed once
# (it reads every flow, for the sweepers) and read by the summary and the evidence lookup.
SPREAD = "_rempart_spread"


def _spread_sql(p: NetParams) -> str:
    return (
        PAIRS_CTE
        + """,
    candidates AS (
        SELECT src_ip, min(t) AS t_alert FROM pairs WHERE n_win >= threshold GROUP BY src_ip
    ), sweepers AS (
        -- a port scanner sweeping the network also touches RPC and SMB on every host: it
        -- tried many closed ports too (network_scan reports it), a worm does not
        SELECT src_ip FROM {flows}
        WHERE status = 'failure' AND src_ip IN (SELECT src_ip FROM candidates)
        GROUP BY src_ip HAVING count(DISTINCT dst_port) >= """
        + str(SWEEP_PORTS)
        + """
    ), hit AS (
        SELECT * FROM candidates WHERE src_ip NOT IN (SELECT src_ip FROM sweepers)
    )
    SELECT pairs.*, hit.t_alert FROM pairs JOIN hit ON hit.src_ip = pairs.src_ip
    WHERE epoch(pairs.t) >= epoch(hit.t_alert) - """
        + str(p.window_seconds)
    )


def _sql(p: NetParams) -> tuple[str, str]:
    """(the summary per host, the evidence lookup), both over `SPREAD`."""
    summary = f"""
    SELECT src_ip AS entity, t_alert, min(t) AS first_seen,
        max(t) AS last_seen, count(*) AS peers, sum(ok) AS ok_peers,
        max(n_win) AS max_win, max(threshold) AS threshold,
        max(baselined) AS baselined, min(port) AS port_a, max(port) AS port_b,
        max(src_zone) AS zone, count(DISTINCT dst_zone) AS zones
    FROM {SPREAD}
    GROUP BY src_ip, t_alert"""
    keys = f"SELECT src_ip AS entity, src_ip, dst_ip, t AS time FROM {SPREAD}"
    evidence = pair_uids_sql(p, "", keys)
    return summary, evidence


def detect_lateral(
    engine: Engine, hospital: Hospital | None = None, params: NetParams | None = None
) -> list[Finding]:
    """Hosts fanning out over admin protocols; `engine` must be prepared."""
    del hospital
    p = params or NetParams()
    use_pairs(engine, p)
    engine.materialize(SPREAD, _spread_sql(p))
    summary_sql, ev_sql = _sql(p)
    rows = engine.query(summary_sql).to_pylist()
    if not rows:
        return []
    evidence = evidence_by(engine.query(ev_sql))
    det = LateralSpreadDetector()
    out: list[Finding] = []
    for r in sorted(rows, key=lambda r: r["entity"]):
        protos = sorted(
            {
                _PORT_NAMES.get(int(r["port_a"]), str(r["port_a"])),
                _PORT_NAMES.get(int(r["port_b"]), str(r["port_b"])),
            }
        )
        values = {
            "host": r["entity"],
            "new": int(r["max_win"]),
            "minutes": p.window_seconds // 60,
            "protocols": "/".join(protos),
            "threshold": int(r["threshold"]),
            "baselined": msg("net.lateral.baselined") if r["baselined"] else "",
            "peers": int(r["peers"]),
            "ok_peers": int(r["ok_peers"]),
            "zones": int(r["zones"]),
            "at": f"{utc(r['t_alert']):%Y-%m-%d %H:%M:%S}",
        }
        out.append(
            det.finding(
                severity=Severity.HIGH if int(r["ok_peers"]) else Severity.MEDIUM,
                title_key="net.lateral.title",
                reason_key="net.lateral.reason",
                params=values,
                entity=r["entity"],
                entity_type="host",
                first_seen=utc(r["first_seen"]),
                last_seen=utc(r["last_seen"]),
                detected_at=utc(r["t_alert"]),
                evidence_class="network_flow",
                evidence=evidence.get(r["entity"], ()),
                evidence_count=int(r["peers"]),
                score=float(r["max_win"]) / float(r["threshold"]),
                related=(str(r["zone"]),) if r["zone"] else (),
            )
        )
    return out


class LateralSpreadDetector(NetworkDetector):
    NAME: ClassVar[str] = NAME
    VERSION: ClassVar[str] = VERSION
    ATTACK: ClassVar[tuple[str, ...]] = ATTACK
    DESCRIPTION: ClassVar[str] = "Internal fan-out over SMB/RDP/WinRM/RPC to many new peers"
    detect = staticmethod(detect_lateral)
