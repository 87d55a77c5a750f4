"""Bot behaviour judged on minutes: one internal host fanning out to many internet peers.

A short capture (a quarter of an hour of a sensor, the first minutes of an infection) holds
no hour of beacons, but a bot shows itself at once by the number of peers it reaches the
same way. Both detectors count *first contacts* (the first time a host reaches a peer) and
flag a host when any sliding window of `burst_seconds` (10 minutes) holds enough of them:

- `http_fanout`: HTTP requests of one URI *shape* (digits as N, hex, base64 and other
  letter-and-digit tokens as X, query values dropped: `/gate.php?id=&n=`, `/images/X.jpg`)
  to at least `http_fanout_min_servers` = 10 distinct internet servers (a server is the
  registered domain of the Host header, else the address; so a CDN's many addresses are one
  server). A person does not request the same non-trivial path from ten different sites in
  ten minutes; a bot looping over its C&C list or a DGA's domains (Simda's `/login.php`),
  or a click-fraud or spam bot, does. Paths every client asks of every server (`/`,
  `/favicon.ico`, `/robots.txt`, connectivity checks, a lone token such as an OCSP request)
  are no shape. A server from which the host asked more than `http_fanout_max_shapes` = 5
  shapes is a site being browsed (a page pulls its style sheets, scripts and images, and
  many sites share `/js/jquery.min.js`), not a bot's few endpoints, and does not count.
  A request in absolute form (`GET http://host/path`) goes to a proxy: it is judged by the
  host it names even when the proxy is internal, so a client behind the hospital's proxy
  is seen too. Reads `network_event` (Suricata `http`, Zeek http.log).
- `udp_fanout`: UDP to at least `udp_fanout_min_peers` = 20 distinct internet addresses
  on ports 1024 and above: the peer list of a peer-to-peer botnet (ZeroAccess, Sality,
  GameOver Zeus, Kelihos), typically many of them silent (stale peers). Ports where fan-out
  is ordinary are left out: below 1024 (DNS, NTP, QUIC on 443, NetBIOS), SSDP 1900, STUN
  and TURN 3478-3481, IPsec NAT-T 4500, mDNS 5353, LLMNR 5355. Declared entrances (doors),
  partners, and hosts whose role is to talk to the internet for others (`RELAY_ROLES`) are
  not judged. Reads the UDP flows themselves (one filtered pass): the shared border table
  keeps only flows with an outcome, and only Zeek gives a UDP flow one; here a peer
  answered when any packet or byte came back.

Either is a compromised host (incident kind `host_compromise`), not lateral spread.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rempart.detect.base import Finding, Severity
from rempart.detect.network import NetworkDetector
from rempart.detect.network.common import evidence_by, lookup_sql, utc
from rempart.detect.network.nets import (
    FLOW_KINDS,
    RELAY_ROLES,
    NetParams,
    hosts_sql,
    ip_number_sql,
    sql_list,
)
from rempart.model import Hospital
from rempart.store.engine import Engine

# Paths (after shaping, lower case) every client asks of any server.
TRIVIAL_SHAPES = ("/", "/X", "/N", "/favicon.ico", "/robots.txt", "/wpad.dat", "/ncsi.txt",
                  "/connecttest.txt", "/generate_204", "/success.txt", "/hotspot-detect.html",
                  "/index.html", "/index.htm", "/index.php")  # fmt: skip
# UDP ports at or above 1024 where reaching many addresses is ordinary (see the docstring).
UDP_QUIET_PORTS = (1900, 3478, 3479, 3480, 3481, 4500, 5353, 5355)
EVENT_HOSTS = "_rempart_event_hosts"


def parent_domain_sql(col: str) -> str:
    """The registered domain of a lower-case name, approximately: its last two labels, or
    three under a two-letter country code whose second level is short (`co.uk`, `com.br`).
    Without a public-suffix list this may merge more than it should, never less."""
    parts = f"string_split({col}, '.')"
    return f"""CASE WHEN len({parts}) >= 3 AND length({parts}[-1]) = 2
                     AND length({parts}[-2]) <= 3
                THEN array_to_string({parts}[-3:], '.')
                ELSE array_to_string({parts}[-2:], '.') END"""


def shape_sql(uri: str) -> str:
    """A URI's shape: path in lower case, long tokens and letter-and-digit tokens as X,
    digit runs as N, the query's keys kept and its values dropped."""
    path = f"lower(split_part({uri}, '?', 1))"
    mixed = "[a-z0-9]*([a-z][a-z0-9]*[0-9]|[0-9][a-z0-9]*[a-z])[a-z0-9]*"
    shaped = (
        f"regexp_replace(regexp_replace(regexp_replace({path}, '[a-z0-9_+=-]{{16,}}', 'X', 'g'),"
        f" '{mixed}', 'X', 'g'), '[0-9]+', 'N', 'g')"
    )
    keys = f"regexp_replace(lower(substr({uri}, strpos({uri}, '?') + 1)), '=[^&]*', '=', 'g')"
    return f"{shaped} || CASE WHEN strpos({uri}, '?') > 0 THEN '?' || {keys} ELSE '' END"


def _http_sql(p: NetParams) -> tuple[str, str]:
    """(the event hosts' addresses, the flagged (host, shape) rows)."""
    addresses = """SELECT DISTINCT src_ip AS ip FROM network_event
        WHERE kind = 'http' AND src_ip IS NOT NULL
        UNION SELECT DISTINCT dst_ip AS ip FROM network_event
        WHERE kind = 'http' AND dst_ip IS NOT NULL"""
    flagged = f"""
    WITH {http_shaped_ctes(EVENT_HOSTS)}, variety AS (
        SELECT src_ip, server FROM shaped GROUP BY src_ip, server
        HAVING count(DISTINCT shape) <= {int(p.http_fanout_max_shapes)}
    ), firsts AS (
        SELECT x.src_ip, x.shape, x.server, min(x.time) AS t,
            arg_min(x.event_uid, x.time) AS uid, count(*) AS n
        FROM shaped x JOIN variety v ON v.src_ip = x.src_ip AND v.server = x.server
        WHERE x.shape NOT IN {sql_list(TRIVIAL_SHAPES)}
        GROUP BY x.src_ip, x.shape, x.server
    ), win AS (
        SELECT *, count(*) OVER (PARTITION BY src_ip, shape ORDER BY epoch(t)
            RANGE BETWEEN {int(p.burst_seconds)} PRECEDING AND CURRENT ROW) AS k
        FROM firsts
    )
    SELECT src_ip, shape, count(*) AS servers, max(k) AS peak, sum(n) AS requests,
        min(t) AS first, max(t) AS last,
        min(t) FILTER (WHERE k >= {int(p.http_fanout_min_servers)}) AS detected,
        list(server ORDER BY t, server)[1:5] AS examples,
        list(uid ORDER BY t, uid)[1:50] AS ids
    FROM win GROUP BY src_ip, shape
    HAVING max(k) >= {int(p.http_fanout_min_servers)}"""
    return addresses, flagged


def detect_http_fanout(
    engine: Engine, hospital: Hospital | None = None, params: NetParams | None = None
) -> list[Finding]:
    """One finding per internal host with a flagged URI shape; `engine` must be prepared."""
    del hospital
    p = params or NetParams()
    addresses, flagged = _http_sql(p)
    engine.materialize(EVENT_HOSTS, hosts_sql(addresses))
    rows: list[dict[str, Any]] = engine.query(flagged).to_pylist()
    by_host: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_host.setdefault(str(r["src_ip"]), []).append(r)
    det = HttpFanoutDetector()
    out: list[Finding] = []
    for src, shapes in sorted(by_host.items()):
        shapes.sort(key=lambda r: (-int(r["servers"]), str(r["shape"])))
        top = shapes[0]
        ids = [str(u) for r in shapes for u in r["ids"]]
        servers = int(top["servers"])
        out.append(
            det.finding(
                severity=Severity.HIGH,
                title_key="net.http_fanout.title",
                reason_key="net.http_fanout.reason",
                params={
                    "src": src,
                    "shape": str(top["shape"])[:120],
                    "servers": servers,
                    "peak": int(top["peak"]),
                    "minutes": p.burst_seconds // 60,
                    "requests": int(top["requests"]),
                    "examples": ", ".join(str(x) for x in top["examples"]),
                    "shapes": len(shapes),
                },
                entity=src,
                entity_type="host",
                first_seen=utc(min(r["first"] for r in shapes)),
                last_seen=utc(max(r["last"] for r in shapes)),
                detected_at=utc(min(r["detected"] for r in shapes)),
                evidence_class="network_event",
                evidence=tuple(ids[:50]),
                evidence_count=sum(int(r["requests"]) for r in shapes),
                score=float(min(1.0, servers / (2 * p.http_fanout_min_servers))),
                related=tuple(str(r["shape"])[:120] for r in shapes[:5]),
            )
        )
    return out


def http_shaped_ctes(hosts: str, source: str = "", shaped: str = "") -> str:
    """The CTEs `r`, `s` and `shaped` over `network_event`'s HTTP requests: an internal
    client (`hosts` says who is internal, special, a partner; `source` narrows the client)
    to an internet server or through a proxy (absolute-form URI), with each request's
    URI shape and its server (host name's registered domain, else the address); `shaped`
    adds conditions on those rows. `http_fanout` and `http_beacon` read the same requests."""
    scheme = "'^[A-Za-z][A-Za-z0-9+.-]*://'"
    uri = f"regexp_replace(r.uri, {scheme[:-1]}[^/]*', '')"
    named = f"coalesce(nullif(r.host, ''), regexp_extract(r.uri, {scheme[:-1]}([^/]*)', 1))"
    host = f"regexp_replace(lower({named}), ':[0-9]+$', '')"
    return f"""r AS (
        SELECT src_ip, dst_ip, time, event_uid, name AS host,
            CASE WHEN coalesce(detail, '') LIKE '/%' OR regexp_matches(detail, {scheme})
                 THEN detail ELSE split_part(detail, ' ', 2) END AS uri
        FROM network_event WHERE kind = 'http' AND src_ip IS NOT NULL AND dst_ip IS NOT NULL
    ), s AS (
        SELECT r.src_ip, r.dst_ip, r.time, r.event_uid, {host} AS host, {uri} AS uri
        FROM r JOIN {hosts} hs ON hs.ip = r.src_ip JOIN {hosts} hd ON hd.ip = r.dst_ip
        WHERE hs.internal {source}
          AND lower(coalesce(hs.role, '')) NOT IN {sql_list(RELAY_ROLES)}
          AND ((NOT hd.internal AND NOT hd.special AND hd.partner IS NULL)
               OR regexp_matches(r.uri, {scheme}))  -- absolute form: a request to a proxy
    ), shaped AS (
        SELECT src_ip, dst_ip, time, event_uid, {shape_sql("uri")} AS shape,
            CASE WHEN host = '' THEN dst_ip
                 WHEN regexp_matches(host, '^[0-9.]+$') OR host LIKE '%:%' THEN host
                 ELSE {parent_domain_sql("host")} END AS server
        FROM s WHERE uri LIKE '/%' {shaped}
    )"""


class HttpFanoutDetector(NetworkDetector):
    NAME: ClassVar[str] = "http_fanout"
    VERSION: ClassVar[str] = "1.0"
    INPUTS: ClassVar[tuple[str, ...]] = ("network_event",)
    ATTACK: ClassVar[tuple[str, ...]] = ("T1071.001",)
    DESCRIPTION: ClassVar[str] = (
        "One URI shape requested from many internet web servers within minutes (a bot)"
    )
    detect = staticmethod(detect_http_fanout)


UDP_PAIRS = "_rempart_udp_pairs"


def _udp_pairs_sql() -> str:
    """UDP from internal hosts to internet addresses on judged ports, per (source,
    destination, port): read from the flows, not the border table, because only Zeek gives
    a UDP flow an outcome; answered is any packet or byte back (Suricata, NetFlow, pcap)."""
    return f"""
    WITH u AS (
        SELECT src_ip, dst_ip, dst_port, min(time) AS t, count(*) AS n,
            max(CASE WHEN status = 'success' OR coalesce(packets_in, 0) > 0
                       OR coalesce(bytes_in, 0) > 0 THEN 1 ELSE 0 END) AS ok
        FROM {{flows}}
        WHERE {FLOW_KINDS} AND protocol = 'udp' AND dst_port >= 1024
          AND dst_port NOT IN {sql_list(UDP_QUIET_PORTS)}
        GROUP BY src_ip, dst_ip, dst_port
    )
    SELECT u.* FROM u JOIN _rempart_hosts s ON s.ip = u.src_ip
    JOIN _rempart_hosts d ON d.ip = u.dst_ip
    WHERE s.internal AND NOT s.special AND NOT d.internal AND NOT d.special
      AND d.partner IS NULL AND lower(coalesce(s.role, '')) NOT IN {sql_list(RELAY_ROLES)}"""


def _udp_sql(p: NetParams) -> str:
    return f"""
    WITH o AS (
        SELECT src_ip, dst_ip, min(t) AS t, sum(n) AS n, max(ok) AS ok
        FROM {UDP_PAIRS} GROUP BY src_ip, dst_ip
    ), doors AS (
        SELECT DISTINCT o.src_ip FROM o
        JOIN _rempart_doors dr ON {ip_number_sql("o.src_ip")} BETWEEN dr.lo AND dr.hi
    ), c AS (
        SELECT o.* FROM o LEFT JOIN doors d ON d.src_ip = o.src_ip WHERE d.src_ip IS NULL
    ), win AS (
        SELECT *, count(*) OVER (PARTITION BY src_ip ORDER BY epoch(t)
            RANGE BETWEEN {int(p.burst_seconds)} PRECEDING AND CURRENT ROW) AS k
        FROM c
    ), flagged AS (
        SELECT src_ip, count(*) AS peers, max(k) AS peak, sum(n) AS n,
            sum(1 - ok) AS silent, min(t) AS first, max(t) AS last,
            min(t) FILTER (WHERE k >= {int(p.udp_fanout_min_peers)}) AS detected
        FROM win GROUP BY src_ip HAVING max(k) >= {int(p.udp_fanout_min_peers)}
    )"""


def _udp_ports_sql(p: NetParams) -> str:
    return f"""{_udp_sql(p)}
    SELECT e.src_ip, e.dst_port, count(DISTINCT e.dst_ip) AS peers FROM {UDP_PAIRS} e
    JOIN flagged f ON f.src_ip = e.src_ip
    GROUP BY e.src_ip, e.dst_port"""


def detect_udp_fanout(
    engine: Engine, hospital: Hospital | None = None, params: NetParams | None = None
) -> list[Finding]:
    """One finding per internal host fanning out over UDP; `engine` must be prepared."""
    del hospital
    p = params or NetParams()
    pairs = engine.materialize(UDP_PAIRS, _udp_pairs_sql())
    if pairs is not None and pairs.num_rows == 0:
        return []
    base = _udp_sql(p)
    rows = engine.query(f"{base} SELECT * FROM flagged").to_pylist()
    if not rows:
        return []
    ports: dict[str, list[tuple[int, int]]] = {}
    for r in engine.query(_udp_ports_sql(p)).to_pylist():
        ports.setdefault(r["src_ip"], []).append((int(r["peers"]), int(r["dst_port"])))
    keys = """SELECT o.src_ip AS entity, o.src_ip, o.dst_ip, o.t AS time FROM c o
        JOIN flagged f ON f.src_ip = o.src_ip"""
    evidence = evidence_by(engine.query(lookup_sql(base, keys)))
    det = UdpFanoutDetector()
    out: list[Finding] = []
    for r in sorted(rows, key=lambda r: r["src_ip"]):
        src = str(r["src_ip"])
        busiest = sorted(ports.get(src, []), reverse=True)
        shown = ", ".join(str(port) for _, port in busiest[:5])
        more = len(busiest) - 5
        peers, silent = int(r["peers"]), int(r["silent"])
        out.append(
            det.finding(
                severity=Severity.HIGH if 2 * silent >= peers else Severity.MEDIUM,
                title_key="net.udp_fanout.title",
                reason_key="net.udp_fanout.reason",
                params={
                    "src": src,
                    "peers": peers,
                    "peak": int(r["peak"]),
                    "minutes": p.burst_seconds // 60,
                    "n": int(r["n"]),
                    "silent": silent,
                    "ports": shown + (f" (+{more})" if more > 0 else ""),
                },
                entity=src,
                entity_type="host",
                first_seen=utc(r["first"]),
                last_seen=utc(r["last"]),
                detected_at=utc(r["detected"]),
                evidence_class="network_flow",
                evidence=evidence.get(src, ()),
                evidence_count=int(r["n"]),
                score=round(silent / max(peers, 1), 4),
            )
        )
    return out


class UdpFanoutDetector(NetworkDetector):
    NAME: ClassVar[str] = "udp_fanout"
    VERSION: ClassVar[str] = "1.0"
    ATTACK: ClassVar[tuple[str, ...]] = ("T1095", "T1571")
    DESCRIPTION: ClassVar[str] = (
        "UDP to many internet addresses on high ports within minutes (peer-to-peer botnet)"
    )
    detect = staticmethod(detect_udp_fanout)
