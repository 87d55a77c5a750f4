"""HTTP beaconing judged from the requests alone: one internal host asking one internet
server for the same URI shape at regular intervals.

`c2_beacon` judges the regularity of *connections* (flows). A sensor that logs only the
application layer (Zeek's http.log without conn.log, Suricata's `http` events without its
`flow` events, a proxy's log turned into events) gives it nothing, and a bot that keeps one
HTTP connection open (keep-alive) makes one long flow whose requests are periodic inside it.
This detector reads `network_event` (kind `http`) and groups requests per (internal host,
server, URI shape): the server is the Host header's registered domain, else the address;
the shape is `http_fanout`'s (digits as N, tokens as X, query values dropped), so a bot
posting `/forum/viewtopic.php?t=12345` and then `?t=67890` is one series.

Requests less than a second apart are one *visit* (a bot's check-in is often two requests
back to back: a POST, then a GET of its orders). The visits are scored like RITA's timing
half: Bowley skew of the inter-visit quartiles, their median absolute deviation over the
median, and how much of the span regular intervals cover; the size half is left out (the
events carry no byte counts every sensor fills). The bars are `c2_beacon`'s: 24 visits over
an hour or more at a score of `c2_beacon_score` (0.8), or a short capture of
`c2_short_min_conns` (12) visits over 5 to 60 minutes at `c2_short_score` (0.9). Random
(Poisson-like) requests score about 0.68; a person browsing, less.

Not judged, as in `c2_beacon`: a server asked by more than `c2_max_hosts` internal hosts
(infrastructure: update and antivirus services, the hospital's own web services);
declared partners and entrances (doors); hosts whose role is to talk to the internet for
others (`RELAY_ROLES`). A request in absolute form (`GET http://host/path`, to a proxy) is
judged by the host it names, as in `http_fanout`. Nor are the connectivity checks of
operating systems and browsers (`CONNECTIVITY_HOSTS`: NetworkManager, Windows NCSI, Android,
Apple, Firefox), periodic by design.

One finding per host: its most regular series is named, and how many series (and servers)
beat in all (Kovter in Stratosphere's CTU-219-2 polls six (server, shape) pairs every two
minutes from one PC).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from rempart.detect.base import Finding, Severity
from rempart.detect.network import NetworkDetector
from rempart.detect.network.c2 import beacon_bars, duration_text
from rempart.detect.network.common import utc
from rempart.detect.network.fanout import http_shaped_ctes
from rempart.detect.network.nets import NetParams, hosts_sql, ip_number_sql, sql_list
from rempart.model import Hospital
from rempart.store.engine import Engine

NAME = "http_beacon"
VERSION = "1.0"
HTTP_HOSTS = "_rempart_http_beacon_hosts"
SERIES = "_rempart_http_series"
KEY = "src_ip, server, shape"
# Requests closer than this (seconds) are one visit.
VISIT_GAP = 1.0
# Hosts that operating systems and browsers poll by design to detect a captive portal or a
# lost connection (every few minutes): periodic, and no command server.
CONNECTIVITY_HOSTS = ("connectivity-check.ubuntu.com", "nmcheck.gnome.org",
                      "network-test.debian.org", "conncheck.opensuse.org",
                      "detectportal.firefox.com", "captive.apple.com",
                      "connectivitycheck.gstatic.com",
                      "connectivitycheck.android.com", "clients3.google.com",
                      "www.msftconnecttest.com", "ipv6.msftconnecttest.com",
                      "www.msftncsi.com", "ipv6.msftncsi.com")  # fmt: skip


def _addresses_sql() -> str:
    return """SELECT DISTINCT src_ip AS ip FROM network_event
        WHERE kind = 'http' AND src_ip IS NOT NULL
        UNION SELECT DISTINCT dst_ip AS ip FROM network_event
        WHERE kind = 'http' AND dst_ip IS NOT NULL"""


def _series_sql(p: NetParams) -> str:
    """One row per visit of a judged (host, server, shape) series, with its interval."""
    requests = http_shaped_ctes(
        HTTP_HOSTS, "AND NOT hs.special", f"AND host NOT IN {sql_list(CONNECTIVITY_HOSTS)}"
    )
    return f"""
    WITH {requests}, doors AS (
        SELECT DISTINCT x.ip FROM (SELECT src_ip AS ip FROM shaped
                                   UNION SELECT dst_ip FROM shaped) x
        JOIN _rempart_doors dr ON {ip_number_sql("x.ip")} BETWEEN dr.lo AND dr.hi
    ), prevalence AS (
        SELECT server, count(DISTINCT src_ip) AS hosts FROM shaped GROUP BY server
    ), judged AS (
        SELECT x.* , pr.hosts FROM shaped x JOIN prevalence pr ON pr.server = x.server
        LEFT JOIN doors ds ON ds.ip = x.src_ip LEFT JOIN doors dd ON dd.ip = x.dst_ip
        WHERE pr.hosts <= {int(p.c2_max_hosts)} AND ds.ip IS NULL AND dd.ip IS NULL
    ), gaps AS (
        SELECT *, epoch(time) - lag(epoch(time)) OVER (
            PARTITION BY {KEY} ORDER BY time, event_uid) AS d
        FROM judged
    ), counted AS (
        SELECT {KEY}, count(*) FILTER (WHERE d IS NULL OR d >= {VISIT_GAP}) AS visits,
            epoch(max(time)) - epoch(min(time)) AS span
        FROM gaps GROUP BY {KEY}
    )
    SELECT g.src_ip, g.server, g.shape, g.dst_ip, g.time, g.event_uid, g.hosts,
        CASE WHEN g.d >= {VISIT_GAP} THEN g.d END AS d, c.visits, c.span
    FROM gaps g JOIN counted c ON c.src_ip = g.src_ip AND c.server = g.server
        AND c.shape = g.shape
    WHERE c.visits >= {int(min(p.c2_short_min_conns, p.c2_beacon_min_conns))}
      AND c.span >= {int(min(p.c2_short_min_seconds, p.c2_beacon_min_seconds))}"""


def _quantile(values: list[float], q: float) -> float:
    """Nearest-rank quantile, as `c2_beacon` computes its quartiles."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def timing_score(intervals: list[float], span: float) -> float | None:
    """RITA's timing half in [0, 1]: 1 - |Bowley skew|, 1 - MAD/median, and the share of
    the span the median interval covers, averaged; None with fewer than two intervals."""
    if len(intervals) < 2 or span <= 0:
        return None
    q1, q2, q3 = (_quantile(intervals, q) for q in (0.25, 0.5, 0.75))
    if q2 <= 0:
        return 0.0
    skew = 0.0 if q3 - q1 <= 0.05 * q2 else (q1 + q3 - 2 * q2) / (q3 - q1)
    mad = _quantile([abs(d - q2) for d in intervals], 0.5)
    coverage = min(1.0, len(intervals) * q2 / span)
    return round((1 - abs(skew) + max(0.0, 1 - mad / q2) + coverage) / 3, 4)


def is_http_beacon(score: float, visits: int, span: float, p: NetParams) -> bool:
    """`c2_beacon`'s bars: an hour or more at `c2_beacon_score`, minutes at the stricter
    `c2_short_score`."""
    return beacon_bars(score, visits, visits, span, p)


def detect_http_beacon(
    engine: Engine, hospital: Hospital | None = None, params: NetParams | None = None
) -> list[Finding]:
    """One finding per internal host polling a (server, URI shape) at regular intervals
    (its most regular series named, the others counted); `engine` must be prepared."""
    del hospital
    p = params or NetParams()
    engine.materialize(HTTP_HOSTS, hosts_sql(_addresses_sql()))
    rows: list[dict[str, Any]] = engine.query(_series_sql(p)).to_pylist()
    series: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for r in rows:
        series.setdefault((str(r["src_ip"]), str(r["server"]), str(r["shape"])), []).append(r)
    beacons: dict[str, list[tuple[float, list[dict[str, Any]], list[float]]]] = {}
    for (src, _server, _shape), rs in sorted(series.items()):
        rs.sort(key=lambda r: (utc(r["time"]), str(r["event_uid"])))
        intervals = [float(r["d"]) for r in rs if r["d"] is not None]
        visits, span = int(rs[0]["visits"]), float(rs[0]["span"])
        score = timing_score(intervals, span)
        if score is not None and is_http_beacon(score, visits, span, p):
            beacons.setdefault(src, []).append((score, rs, intervals))
    det = HttpBeaconDetector()
    out: list[Finding] = []
    for src, found in sorted(beacons.items()):
        # the most regular series (then the longest) speaks for the host
        found.sort(key=lambda x: (-x[0], -len(x[1]), str(x[1][0]["server"])))
        score, rs, intervals = found[0]
        visits, span = int(rs[0]["visits"]), float(rs[0]["span"])
        server, shape = str(rs[0]["server"]), str(rs[0]["shape"])
        addresses = sorted({str(r["dst_ip"]) for r in rs})
        every = sorted((r for _, x, _ in found for r in x), key=lambda r: utc(r["time"]))
        servers = list(dict.fromkeys(str(x[1][0]["server"]) for x in found))
        out.append(
            det.finding(
                severity=Severity.HIGH if score >= p.c2_short_score else Severity.MEDIUM,
                title_key="net.http_beacon.title",
                reason_key="net.http_beacon.reason",
                params={
                    "src": src,
                    "server": server,
                    "shape": shape[:120],
                    "n": len(rs),
                    "visits": visits,
                    "span": duration_text(span),
                    "interval": duration_text(_quantile(intervals, 0.5)),
                    "score": score,
                    "addresses": ", ".join(addresses[:5]),
                    "hosts": int(rs[0]["hosts"]),
                    "series": len(found),
                    "servers": len(servers),
                },
                entity=src,
                entity_type="host",
                first_seen=utc(every[0]["time"]),
                last_seen=utc(every[-1]["time"]),
                evidence_class="network_event",
                evidence=tuple(str(r["event_uid"]) for r in rs[:50]),
                evidence_count=len(every),
                score=score,
                related=tuple(servers[:10]),
            )
        )
    return out


class HttpBeaconDetector(NetworkDetector):
    NAME: ClassVar[str] = NAME
    VERSION: ClassVar[str] = VERSION
    INPUTS: ClassVar[tuple[str, ...]] = ("network_event",)
    ATTACK: ClassVar[tuple[str, ...]] = ("T1071.001",)
    DESCRIPTION: ClassVar[str] = (
        "Requests of one URI shape to one internet web server at regular intervals (beacon)"
    )
    detect = staticmethod(detect_http_beacon)
