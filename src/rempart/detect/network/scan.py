"""Scan detection: threshold random walk (Jung, Paxson, Berger, Balakrishnan 2004).

Each first contact of a source with a new destination address is a Bernoulli trial (and,
for vertical scans, each first contact with a new port of one destination): it succeeds
with probability theta0 for a benign host and theta1 for a scanner. The log-likelihood
ratio walks up by ln((1-theta1)/(1-theta0)) per failure and down by ln(theta1/theta0) per
success; crossing ln(beta/alpha) flags a scanner after a handful of failed probes. The walk
is reflected at ln((1-beta)/(1-alpha)) (the benign decision) so that a host that turns bad
later is still caught; in SQL that is a running sum minus its running minimum (Lindley's
recursion), two window passes that DuckDB and Spark both run.
A flagged source is then classified: horizontal (many hosts, few ports), vertical (few
hosts, many ports) or block (both). A host whose declared role is to probe (vulnerability
scanner, network monitor: `SCANNER_ROLES`) is not reported.
"""

from __future__ import annotations

import math
from typing import ClassVar

from rempart.core.i18n import msg
from rempart.detect.base import Finding, Severity
from rempart.detect.network import NetworkDetector
from rempart.detect.network.common import evidence_by, lookup_sql, utc
from rempart.detect.network.nets import SCANNER_ROLES, NetParams, sql_list
from rempart.model import Hospital
from rempart.store.engine import Engine

NAME = "network_scan"
VERSION = "1.0"
ATTACK = ("T1046", "T1595")
CONTACTS = "_rempart_contacts"


def _sql(p: NetParams) -> tuple[str, str, str]:
    up = math.log((1 - p.theta1) / (1 - p.theta0))
    down = math.log(p.theta1 / p.theta0)
    upper = math.log(p.beta / p.alpha)
    lower = math.log((1 - p.beta) / (1 - p.alpha))

    def walk(unit: str, part: str, order: str) -> str:
        """Reflected TRW over first contacts of `unit`, one walk per `part` (two passes:
        the running sum, then its running minimum; windows cannot nest)."""
        window = (
            f"PARTITION BY {part.replace('_ip_', '_ip, ')} ORDER BY t0, {order} "
            "ROWS UNBOUNDED PRECEDING"
        )
        return f"""
        SELECT {unit}, t0, ok, {lower} + d - least(0.0, min(d) OVER ({window})) AS s
        FROM (SELECT {unit}, t0, ok, {-lower} + sum(
                  CASE WHEN ok = 1 THEN {down} ELSE {up} END) OVER ({window}) AS d
              FROM units_{part}) u"""

    # First contacts, computed once (`_rempart_contacts`), of the sources that failed at
    # least scan_min_failures of them: a walk needs that many failures to matter, so the
    # others cannot be flagged (a failed host, or a failed (host, port), is a failed contact).
    # (aggregated first, then joined to the hosts: the join costs a probe per contact, not
    # per flow)
    # A TCP contact has its outcome; a UDP or ICMP probe (ping sweeps, UDP port scans) has
    # none in most logs: it failed when the peer sent nothing back (packets counted, none
    # in return) and succeeded when it answered; without packet counts it is not judged
    # (`schema.flowsql.SCAN_OUTCOME`). The first judged contact and whether one succeeded
    # are read from the flows summed per pair and day (`{pairs}`: at ingest, on the store).
    contacts = f"""
    WITH a AS (
        SELECT src_ip, dst_ip, dst_port, min(s_t0) AS t0, max(s_ok) AS ok
        FROM {{pairs}} p
        WHERE s_t0 IS NOT NULL
        GROUP BY src_ip, dst_ip, dst_port
    ), c AS (
        SELECT a.* FROM a JOIN _rempart_hosts d ON d.ip = a.dst_ip WHERE NOT d.special
    )
    SELECT c.* FROM c JOIN (
        SELECT src_ip FROM c GROUP BY src_ip HAVING sum(1 - ok) >= {p.scan_min_failures}) k
        ON k.src_ip = c.src_ip"""
    walks = f"""
    WITH contacts AS (
        SELECT * FROM {CONTACTS}
    ), hosts_of AS (
        SELECT src_ip, dst_ip, min(t0) AS t0, max(ok) AS ok FROM contacts
        GROUP BY src_ip, dst_ip
    ), units_src_ip AS (
        SELECT h.* FROM hosts_of h JOIN (
            SELECT src_ip FROM hosts_of GROUP BY src_ip
            HAVING sum(1 - ok) >= {p.scan_min_failures}) k ON k.src_ip = h.src_ip
    ), units_src_ip_dst_ip AS (
        SELECT c.src_ip, c.dst_ip, c.dst_port, c.t0, c.ok FROM contacts c JOIN (
            SELECT src_ip, dst_ip FROM contacts GROUP BY src_ip, dst_ip
            HAVING sum(1 - ok) >= {p.scan_min_failures}) k
            ON k.src_ip = c.src_ip AND k.dst_ip = c.dst_ip
    ), horiz AS ({walk("src_ip, dst_ip", "src_ip", "dst_ip")}
    ), vert AS ({walk("src_ip, dst_ip, dst_port", "src_ip_dst_ip", "dst_port")}
    ), flagged AS (
        SELECT src_ip, min(t0) AS t_detect FROM (
            SELECT src_ip, t0 FROM horiz WHERE s >= {upper}
            UNION ALL SELECT src_ip, t0 FROM vert WHERE s >= {upper}) x
        GROUP BY src_ip
    )"""
    summary = f"""{walks}
    SELECT c.src_ip AS entity, fl.t_detect, min(c.t0) AS first_seen, max(c.t0) AS last_seen,
        count(*) AS contacts, sum(1 - c.ok) AS failures,
        count(DISTINCT CASE WHEN c.ok = 0 THEN c.dst_ip END) AS failed_hosts,
        count(DISTINCT CASE WHEN c.ok = 0 THEN c.dst_port END) AS failed_ports,
        min(CASE WHEN c.ok = 0 THEN c.dst_port END) AS a_port,
        max(CASE WHEN c.ok = 0 THEN c.dst_port END) AS b_port,
        max(CASE WHEN h.internal THEN 1 ELSE 0 END) AS internal
    FROM contacts c JOIN flagged fl ON fl.src_ip = c.src_ip
    JOIN _rempart_hosts h ON h.ip = c.src_ip
    WHERE lower(coalesce(h.role, '')) NOT IN {sql_list(SCANNER_ROLES)}
    GROUP BY c.src_ip, fl.t_detect
    HAVING sum(1 - c.ok) >= {p.scan_min_failures}"""
    evidence = lookup_sql(
        walks,
        "SELECT c.src_ip AS entity, c.src_ip, c.dst_ip, c.dst_port, c.t0 AS time "
        "FROM contacts c JOIN flagged fl ON fl.src_ip = c.src_ip WHERE c.ok = 0",
        port=True,
    )
    return contacts, summary, evidence


def classify(failed_hosts: int, failed_ports: int) -> str:
    """Horizontal: one service across many hosts; vertical: many ports of few hosts."""
    if failed_ports <= 3:
        return "horizontal"
    if failed_hosts <= 3:
        return "vertical"
    return "block"


def detect_scans(
    engine: Engine, hospital: Hospital | None = None, params: NetParams | None = None
) -> list[Finding]:
    """Scanners found by the TRW over first contacts; `engine` must be prepared."""
    del hospital
    p = params or NetParams()
    contacts_sql, summary_sql, evidence_sql_text = _sql(p)
    engine.materialize(CONTACTS, contacts_sql)
    rows = engine.query(summary_sql).to_pylist()
    if not rows:
        return []
    evidence = evidence_by(engine.query(evidence_sql_text))
    det = NetworkScanDetector()
    out: list[Finding] = []
    for r in sorted(rows, key=lambda r: r["entity"]):
        kind = classify(int(r["failed_hosts"]), int(r["failed_ports"]))
        ports = (
            msg("net.scan.port", port=r["a_port"])
            if r["a_port"] == r["b_port"]
            else msg("net.scan.ports", a=r["a_port"], b=r["b_port"])
        )
        internal = bool(r["internal"])
        values = {
            "kind": msg(f"net.scan.kind.{kind}"),
            "failures": int(r["failures"]),
            "contacts": int(r["contacts"]),
            "hosts": int(r["failed_hosts"]),
            "ports": ports,
            "at": f"{utc(r['t_detect']):%Y-%m-%d %H:%M:%S}",
        }
        out.append(
            det.finding(
                severity=Severity.HIGH if internal else Severity.MEDIUM,
                title_key=f"net.scan.{kind}.title",
                reason_key="net.scan.reason",
                params=values,
                entity=r["entity"],
                entity_type="host",
                first_seen=utc(r["first_seen"]),
                last_seen=utc(r["last_seen"]),
                detected_at=utc(r["t_detect"]),
                evidence_class="network_flow",
                evidence=evidence.get(r["entity"], ()),
                evidence_count=int(r["failures"]),
                score=round(int(r["failures"]) / max(int(r["contacts"]), 1), 4),
                attack=("T1046",) if internal else ("T1595",),
                related=(kind,),
            )
        )
    return out


class NetworkScanDetector(NetworkDetector):
    NAME: ClassVar[str] = NAME
    VERSION: ClassVar[str] = VERSION
    ATTACK: ClassVar[tuple[str, ...]] = ATTACK
    DESCRIPTION: ClassVar[str] = "Scanners by threshold random walk, horizontal/vertical/block"
    detect = staticmethod(detect_scans)
