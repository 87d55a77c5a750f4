"""Outbound abuse: an internal host sending spam or flooding one internet address.

Both read the shared border table (`rempart.detect.network.edges`, one row per edge and UTC day),
so they cost no extra pass over the flows.

- **spam**: SMTP (TCP 25) to at least `spam_min_servers` = 25 distinct internet mail
  servers in a day from a host that is not a declared mail server (`Asset.role` mail /
  smtp / mx / mail_relay, or a door of the model). Workstations and devices submit mail to
  their relay (587/465 or an internal server), never straight to the recipients' servers;
  a spam bot delivers directly, to hundreds of domains.
- **flood**: at least `flood_min_conns` = 1,000 connections to one internet address in a
  day at an average of at least `flood_min_rate` = 1 per second over the span they cover
  (a denial of service from the inside: a bot of a DDoS botnet). Keep-alive makes even a
  busy legitimate client open few connections to one server.
"""

from __future__ import annotations

from typing import ClassVar

from rempart.detect.base import Finding, Severity
from rempart.detect.network import NetworkDetector
from rempart.detect.network.common import evidence_by, lookup_sql, utc
from rempart.detect.network.edges import EDGES, use_edges
from rempart.detect.network.nets import RELAY_ROLES, NetParams, ip_number_sql, sql_list
from rempart.model import Hospital
from rempart.store.engine import Engine

NAME = "outbound_abuse"
VERSION = "1.0"


def _base(p: NetParams) -> str:
    return f"""
    WITH o AS (SELECT * FROM {EDGES} WHERE dir = 'out'
    ), smtp AS (
        SELECT src_ip, day, count(DISTINCT dst_ip) AS peers, sum(n) AS n, sum(n_ok) AS n_ok,
            min(t0) AS t0, max(t1) AS t1
        FROM o WHERE protocol = 'tcp' AND dst_port = 25 GROUP BY src_ip, day
        HAVING count(DISTINCT dst_ip) >= {p.spam_min_servers}
    ), flood AS (
        SELECT src_ip, day, min(dst_ip) AS target, sum(n) AS n, sum(n_ok) AS n_ok,
            min(t0) AS t0, max(t1) AS t1, count(DISTINCT dst_port) AS ports
        FROM o GROUP BY src_ip, dst_ip, day
        HAVING sum(n) >= {p.flood_min_conns}
           AND sum(n) >= {p.flood_min_rate} * GREATEST(epoch(max(t1)) - epoch(min(t0)), 1)
    ), hits AS (
        SELECT 'spam' AS kind, src_ip, day, CAST(NULL AS VARCHAR) AS target, peers, n, n_ok,
            t0, t1, 1 AS ports FROM smtp
        UNION ALL
        SELECT 'flood' AS kind, src_ip, day, target, 1 AS peers, n, n_ok, t0, t1, ports
        FROM flood
    ), doors AS (
        SELECT DISTINCT hits.src_ip FROM hits
        JOIN _rempart_doors dr ON {ip_number_sql("hits.src_ip")} BETWEEN dr.lo AND dr.hi
    ), judged AS (
        SELECT hits.*, hits.kind || '|' || hits.src_ip || '|' || CAST(hits.day AS VARCHAR)
            || '|' || coalesce(hits.target, '') AS k
        FROM hits JOIN _rempart_hosts h ON h.ip = hits.src_ip
        LEFT JOIN doors d ON d.src_ip = hits.src_ip
        WHERE d.src_ip IS NULL
          AND (hits.kind = 'flood' OR lower(coalesce(h.role, '')) NOT IN {sql_list(RELAY_ROLES)})
    )"""


def _evidence(p: NetParams) -> str:
    keys = f"""SELECT j.k AS entity, o.src_ip, o.dst_ip, o.dst_port, o.t0 AS time
        FROM judged j JOIN {EDGES} o
        ON o.dir = 'out' AND o.src_ip = j.src_ip AND o.day = j.day
        AND ((j.kind = 'spam' AND o.protocol = 'tcp' AND o.dst_port = 25)
             OR (j.kind = 'flood' AND o.dst_ip = j.target))"""
    return lookup_sql(_base(p), keys, port=True)


def detect_outbound(
    engine: Engine, hospital: Hospital | None = None, params: NetParams | None = None
) -> list[Finding]:
    """Spam and flood findings, one per host and day (and target); `engine` prepared."""
    del hospital
    p = params or NetParams()
    use_edges(engine, p)
    rows = engine.query(f"{_base(p)} SELECT * FROM judged").to_pylist()
    if not rows:
        return []
    evidence = evidence_by(engine.query(_evidence(p)))
    det = OutboundAbuseDetector()
    out: list[Finding] = []
    for r in sorted(rows, key=lambda r: r["k"]):
        n, ok = int(r["n"]), int(r["n_ok"])
        span = max((utc(r["t1"]) - utc(r["t0"])).total_seconds(), 1.0)
        if r["kind"] == "spam":
            title, severity, attack = "spam", Severity.HIGH, ("T1496",)
            values: dict[str, object] = {
                "src": r["src_ip"], "peers": int(r["peers"]), "n": n, "ok": ok,
            }  # fmt: skip
            related: tuple[str, ...] = ()
        else:
            title, severity, attack = "flood", Severity.HIGH, ("T1498",)
            values = {
                "src": r["src_ip"], "target": r["target"], "n": n, "span": f"{span:.0f}",
                "rate": f"{n / span:.1f}", "ports": int(r["ports"]), "ok": ok,
            }  # fmt: skip
            related = (r["target"],)
        out.append(
            det.finding(
                severity=severity,
                title_key=f"net.outbound.{title}.title",
                reason_key=f"net.outbound.{title}.reason",
                params=values,
                entity=r["src_ip"],
                entity_type="host",
                first_seen=utc(r["t0"]),
                last_seen=utc(r["t1"]),
                evidence_class="network_flow",
                evidence=evidence.get(r["k"], ()),
                evidence_count=n,
                attack=attack,
                related=related,
            )
        )
    return out


class OutboundAbuseDetector(NetworkDetector):
    NAME: ClassVar[str] = NAME
    VERSION: ClassVar[str] = VERSION
    ATTACK: ClassVar[tuple[str, ...]] = ("T1496", "T1498")
    DESCRIPTION: ClassVar[str] = "Spam straight to internet mail servers, floods of one address"
    detect = staticmethod(detect_outbound)
