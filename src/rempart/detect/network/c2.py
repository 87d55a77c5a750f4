"""Command and control: an internal host reaching one rare external address over and over.

Two shapes of the same thing, reported one finding per (host, address, port):

- **dead C&C**: the host keeps failing to reach one address and port over TCP (at least 20
  failed attempts over at least 30 minutes, 90 % of them unanswered). A bot whose server is
  gone or sinkholed retries for ever; a person gives up, and a program whose server moved
  gets a new address from DNS. UDP is left out: an unanswered datagram is no proof of
  failure (one-way protocols, a sensor that sees one direction).
- **beaconing**: regular connections to one address and port (RITA's beacon analysis, in
  SQL): at least 24 connections over at least an hour, scored from the inter-arrival times
  (Bowley skew of the quartiles, median absolute deviation over the median, how much of the
  span regular intervals cover) and from the sizes sent (skew and dispersion); a score of
  0.8 or more is reported, 0.9 or more is high severity. A short capture (minutes, not an
  hour) is judged too: at least 12 answered connections over 5 to 60 minutes, at a score
  of 0.9 (half the points make the quartiles noisier, so the bar is raised halfway to 1).

A destination reached by more than `c2_max_hosts` internal hosts is infrastructure
(update servers, DNS resolvers, NTP pools, the antivirus cloud) and never judged, nor are
protocols periodic by design (DNS, NTP, NetBIOS, SSDP, mDNS, DHCP: `c2_quiet_ports`); neither
are declared partners and doors, nor sources whose role is to talk to the internet for
others (proxy, resolver, mail relay: `RELAY_ROLES`). Only pairs passing the cheap counts
on the shared border table are read again, flow by flow, for the interval statistics.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rempart.core.i18n import msg
from rempart.detect.base import Finding, Severity
from rempart.detect.network import NetworkDetector
from rempart.detect.network.common import evidence_by, evidence_sql, utc
from rempart.detect.network.edges import EDGES, use_edges
from rempart.detect.network.nets import FLOW_KINDS, RELAY_ROLES, NetParams, ip_number_sql, sql_list
from rempart.model import Hospital
from rempart.store.engine import Engine

NAME = "c2_beacon"
VERSION = "1.1"
CANDIDATES = "_rempart_c2_candidates"
KEY = "src_ip, dst_ip, dst_port, protocol"
# Ports that are no "non-standard port" (T1571) for an outbound channel.
STANDARD_PORTS = (80, 443, 53, 8080)


def _candidates_sql(p: NetParams) -> str:
    return f"""
    WITH o AS (
        SELECT {KEY}, sum(n) AS n, sum(n_ok) AS n_ok, min(t0) AS t0, max(t1) AS t1
        FROM {EDGES} WHERE dir = 'out' AND protocol IN ('tcp', 'udp')
        GROUP BY {KEY}
    ), prevalence AS (
        SELECT dst_ip, count(DISTINCT src_ip) AS hosts FROM {EDGES} WHERE dir = 'out'
        GROUP BY dst_ip
    ), c AS (
        SELECT o.*, pr.hosts, epoch(o.t1) - epoch(o.t0) AS span,
            CASE WHEN o.protocol = 'tcp' AND o.n - o.n_ok >= {p.c2_dead_min_failures}
                  AND o.n - o.n_ok >= {p.c2_dead_fail_share} * o.n
                  AND epoch(o.t1) - epoch(o.t0) >= {p.c2_dead_min_seconds}
                 THEN 1 ELSE 0 END AS dead
        FROM o JOIN prevalence pr ON pr.dst_ip = o.dst_ip
        JOIN _rempart_hosts h ON h.ip = o.src_ip
        WHERE pr.hosts <= {p.c2_max_hosts} AND o.dst_port NOT IN {sql_list(p.c2_quiet_ports)}
          AND lower(coalesce(h.role, '')) NOT IN {sql_list(RELAY_ROLES)}
    ), doors AS (
        SELECT DISTINCT x.ip FROM (SELECT src_ip AS ip FROM c UNION SELECT dst_ip FROM c) x
        JOIN _rempart_doors dr ON {ip_number_sql("x.ip")} BETWEEN dr.lo AND dr.hi
    )
    SELECT c.* FROM c
    LEFT JOIN doors ds ON ds.ip = c.src_ip
    LEFT JOIN doors dd ON dd.ip = c.dst_ip
    WHERE ds.ip IS NULL AND dd.ip IS NULL
      AND (c.dead = 1 OR (c.n >= {p.c2_beacon_min_conns}
                          AND c.span >= {p.c2_beacon_min_seconds})
           OR (c.n_ok >= {p.c2_short_min_conns} AND c.span >= {p.c2_short_min_seconds}))"""


def _quartiles(source: str, value: str, out: str) -> str:
    """Nearest-rank quartiles of `value` per key (exact and the same on every backend)."""

    def at(q: float) -> str:
        rank = f"GREATEST(1, CAST(ceil({q} * cnt) AS BIGINT))"
        return f"max(CASE WHEN rn = {rank} THEN v END)"

    return f"""{out} AS (
        SELECT {KEY}, {at(0.25)} AS q1, {at(0.5)} AS q2, {at(0.75)} AS q3 FROM (
            SELECT {KEY}, {value} AS v,
                row_number() OVER (PARTITION BY {KEY} ORDER BY {value}) AS rn,
                count(*) OVER (PARTITION BY {KEY}) AS cnt
            FROM {source} WHERE {value} IS NOT NULL) r
        GROUP BY {KEY})"""


def _flows_cte() -> str:
    return f"""fl AS (
        SELECT f.src_ip, f.dst_ip, coalesce(f.dst_port, -1) AS dst_port, f.protocol,
            epoch(f.time) AS ts, f.time, coalesce(f.bytes_out, 0) AS b, f.event_uid
        FROM {{flows}} f JOIN {CANDIDATES} c ON c.src_ip = f.src_ip
            AND c.dst_ip = f.dst_ip AND c.dst_port = coalesce(f.dst_port, -1)
            AND c.protocol = f.protocol
        WHERE {FLOW_KINDS} AND f.status IN ('success', 'failure')
    )"""


def _stats_sql() -> str:
    j = " AND ".join(f"x.{c} = y.{c}" for c in KEY.split(", "))
    return f"""
    WITH {_flows_cte()}, iv AS (
        SELECT {KEY}, b, ts - lag(ts) OVER (PARTITION BY {KEY} ORDER BY ts, event_uid) AS d
        FROM fl
    ), {_quartiles("iv", "d", "qd")}, {_quartiles("iv", "b", "qb")},
    dev AS (
        SELECT x.src_ip, x.dst_ip, x.dst_port, x.protocol,
            abs(x.d - y.q2) AS ad, abs(x.b - z.q2) AS ab
        FROM iv x JOIN qd y ON {j}
        JOIN qb z ON {j.replace("y.", "z.")}
    ), {_quartiles("dev", "ad", "md")}, {_quartiles("dev", "ab", "mb")}
    SELECT c.src_ip, c.dst_ip, c.dst_port, c.protocol, c.n, c.n_ok, c.t0, c.t1, c.span,
        c.hosts, c.dead, qd.q1 AS d1, qd.q2 AS d2, qd.q3 AS d3, md.q2 AS d_mad,
        qb.q1 AS b1, qb.q2 AS b2, qb.q3 AS b3, mb.q2 AS b_mad
    FROM {CANDIDATES} c
    LEFT JOIN qd ON {j.replace("x.", "c.").replace("y.", "qd.")}
    LEFT JOIN qb ON {j.replace("x.", "c.").replace("y.", "qb.")}
    LEFT JOIN md ON {j.replace("x.", "c.").replace("y.", "md.")}
    LEFT JOIN mb ON {j.replace("x.", "c.").replace("y.", "mb.")}"""


def _evidence_sql() -> str:
    return f"""WITH {_flows_cte()}
    {
        evidence_sql(
            "SELECT src_ip || '|' || dst_ip || '|' || CAST(dst_port AS VARCHAR) || '|' "
            "|| protocol AS entity, time, event_uid AS uid FROM fl"
        )
    }"""


def _skew(q1: float, q2: float, q3: float) -> float:
    """Bowley's quartile skew in [-1, 1]; 0 when the quartiles lie within 5 % of the median
    (jitter of a timer or a few bytes of padding: two-valued data would swing it to ±1)."""
    return 0.0 if q3 - q1 <= 0.05 * abs(q2) else (q1 + q3 - 2 * q2) / (q3 - q1)


def beacon_score(r: dict[str, Any]) -> float | None:
    """RITA-style score in [0, 1]: timing (skew, MAD/median, coverage) and size (skew,
    MAD/median) halves averaged; None without intervals."""
    vals = [r[k] for k in ("d1", "d2", "d3", "d_mad", "b1", "b2", "b3", "b_mad")]
    if any(v is None for v in vals):
        return None
    d1, d2, d3, d_mad, b1, b2, b3, b_mad = (float(v) for v in vals)
    n, span = int(r["n"]), float(r["span"])
    if d2 <= 0 or span <= 0:
        return 0.0
    ts = (1 - abs(_skew(d1, d2, d3)) + max(0.0, 1 - d_mad / d2) + min(1.0, (n - 1) * d2 / span)) / 3
    size_madm = 1.0 if b_mad == 0 else max(0.0, 1 - b_mad / b2) if b2 > 0 else 0.0
    ds = (1 - abs(_skew(b1, b2, b3)) + size_madm) / 2
    return float(round((ts + ds) / 2, 4))


def is_beacon(score: float, r: dict[str, Any], p: NetParams) -> bool:
    """Regular enough for its length: an hour or more of connections at RITA's 0.8, or a
    short series (minutes, under an hour; half the connections, counting answered ones
    only: a live channel; unanswered retries over minutes are any client's backoff while
    its server is down, and the dead-C&C rule judges them over half an hour) at the stricter
    `c2_short_score`. A series of an hour or more is judged by the hour rule alone, as ever."""
    return beacon_bars(score, int(r["n"]), int(r["n_ok"]), float(r["span"]), p)


def beacon_bars(score: float, total: int, answered: int, span: float, p: NetParams) -> bool:
    """The two bars every beacon test shares: `total` visits over an hour or more at
    `c2_beacon_score`, or `answered` ones over minutes at the stricter `c2_short_score`."""
    long = total >= p.c2_beacon_min_conns and span >= p.c2_beacon_min_seconds
    short = (
        answered >= p.c2_short_min_conns
        and p.c2_short_min_seconds <= span < p.c2_beacon_min_seconds
    )
    return (long and score >= p.c2_beacon_score) or (short and score >= p.c2_short_score)


def duration_text(seconds: float) -> str:
    """A series' length as a reader says it (s, min, h)."""
    if seconds >= 7200:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 120:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"


def detect_c2(
    engine: Engine, hospital: Hospital | None = None, params: NetParams | None = None
) -> list[Finding]:
    """Dead C&C and beaconing findings; `engine` must be prepared."""
    del hospital
    p = params or NetParams()
    use_edges(engine, p)
    cand = engine.materialize(CANDIDATES, _candidates_sql(p))
    if cand is not None and cand.num_rows == 0:
        return []
    rows = engine.query(_stats_sql()).to_pylist()
    judged = []
    for r in rows:
        score = beacon_score(r)
        beacon = score is not None and is_beacon(score, r, p)
        if r["dead"] or beacon:
            judged.append((r, score, bool(beacon)))
    if not judged:
        return []
    evidence = evidence_by(engine.query(_evidence_sql()))
    det = C2BeaconDetector()
    out: list[Finding] = []
    for r, score, beacon in sorted(judged, key=lambda x: (x[0]["src_ip"], x[0]["dst_ip"])):
        n, ok = int(r["n"]), int(r["n_ok"])
        port, proto = int(r["dst_port"]), r["protocol"]
        target = f"{r['dst_ip']}:{port}/{proto}"
        hosts = int(r["hosts"])
        others = (
            msg("net.c2.no_other_host") if hosts <= 1 else msg("net.c2.other_hosts", hosts=hosts)
        )
        span = duration_text(float(r["span"]))
        values: dict[str, object] = {
            "src": r["src_ip"],
            "target": target,
            "n": n,
            "span": span,
            "others": others,
        }
        if r["dead"]:
            title_key, reason_key = "net.c2.dead.title", "net.c2.dead.reason"
            values["failed"] = n - ok
            severity = Severity.MEDIUM
        else:
            title_key, reason_key = "net.c2.beacon.title", "net.c2.beacon.reason"
            values.update(interval=duration_text(float(r["d2"])), bytes=int(r["b2"]), score=score)
            severity = Severity.HIGH if (score or 0) >= 0.9 else Severity.MEDIUM
        key = f"{r['src_ip']}|{r['dst_ip']}|{port}|{proto}"
        out.append(
            det.finding(
                severity=severity,
                title_key=title_key,
                reason_key=reason_key,
                params=values,
                entity=r["src_ip"],
                entity_type="host",
                first_seen=utc(r["t0"]),
                last_seen=utc(r["t1"]),
                evidence_class="network_flow",
                evidence=evidence.get(key, ()),
                evidence_count=n,
                score=score if beacon else round((n - ok) / max(n, 1), 4),
                attack=("T1071",) if port in STANDARD_PORTS else ("T1071", "T1571"),
                related=(r["dst_ip"], target),
            )
        )
    return out


class C2BeaconDetector(NetworkDetector):
    NAME: ClassVar[str] = NAME
    VERSION: ClassVar[str] = VERSION
    ATTACK: ClassVar[tuple[str, ...]] = ("T1071", "T1571")
    DESCRIPTION: ClassVar[str] = "Dead C&C retries and periodic beacons to rare destinations"
    detect = staticmethod(detect_c2)
