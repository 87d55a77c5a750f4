"""Inbound exposure: unsolicited connection attempts from the internet to internal hosts.

An internal host that the internet can reach is found by the internet within hours: mass
scanners and worms knock on telnet, SMB, SSH, RDP, databases, device management. Reported
one finding per targeted internal host and day, never one per internet source: `related`
lists the attacking sources (capped, all counted in the reason), the reason gives the ports
probed and the outcome (never answered, refused, answered). Unsolicited means the internal
host never contacted that source itself (so the data channel of active FTP, or a peer the
host called first, is not an attack).

Servers meant to face the internet do not flood: a port is quiet when it belongs to a
declared door of the hospital model (or the host sits in a `dmz` zone), or when it is
learnt as served (it answers at least half of the attempts from at least ten sources) and
is not a sensitive service. A sensitive service (remote shell or desktop, SMB, databases,
VNC, device management: `NetParams.exposed_ports`) answering the internet without being
declared is high severity; so is, as a second finding (`exposed_service`), an internet
source that probed the network and then got sessions on such a service.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any, ClassVar

from rempart.core.i18n import msg
from rempart.detect.base import Finding, Severity
from rempart.detect.network import NetworkDetector
from rempart.detect.network.common import evidence_by, lookup_sql, utc
from rempart.detect.network.edges import EDGES, use_edges
from rempart.detect.network.nets import NetParams, ip_number_sql, sql_list
from rempart.model import Hospital
from rempart.store.engine import Engine

PROBE = "inbound_probe"
ATTACKED = "exposed_service"
VERSION = "1.0"


def _base(p: NetParams) -> str:
    """CTEs ending in `probes`: unsolicited inbound edges on ports that are not quiet."""
    return f"""
    WITH e AS (SELECT * FROM {EDGES} WHERE dir = 'in'
    ), asked AS (
        SELECT DISTINCT src_ip AS host, dst_ip AS peer FROM {EDGES} WHERE dir = 'out'
    ), unsol AS (
        SELECT e.* FROM e LEFT JOIN asked a ON a.host = e.dst_ip AND a.peer = e.src_ip
        WHERE a.host IS NULL
    ), svc AS (
        SELECT dst_ip, dst_port, protocol, count(DISTINCT src_ip) AS sources,
               sum(n) AS n, sum(n_ok) AS n_ok
        FROM unsol GROUP BY dst_ip, dst_port, protocol
    ), door_svc AS (
        SELECT DISTINCT svc.dst_ip, svc.dst_port, svc.protocol FROM svc
        JOIN _rempart_doors dr ON {ip_number_sql("svc.dst_ip")} BETWEEN dr.lo AND dr.hi
            AND (dr.port = -1 OR dr.port = svc.dst_port)
    ), door_host AS (
        SELECT DISTINCT svc.dst_ip FROM svc
        JOIN _rempart_doors dr ON {ip_number_sql("svc.dst_ip")} BETWEEN dr.lo AND dr.hi
    ), cls AS (
        SELECT svc.dst_ip, svc.dst_port, svc.protocol,
            CASE WHEN h.zone_kind = 'dmz' OR ds.dst_ip IS NOT NULL THEN 1 ELSE 0 END
                AS declared,
            CASE WHEN svc.sources >= {p.inbound_server_sources}
                  AND svc.n_ok >= {p.inbound_server_share} * svc.n THEN 1 ELSE 0 END AS learnt,
            CASE WHEN svc.protocol = 'tcp' AND svc.dst_port IN {sql_list(p.exposed_ports)}
                 THEN 1 ELSE 0 END AS sensitive,
            CASE WHEN h.zone_kind = 'dmz' OR dh.dst_ip IS NOT NULL THEN 1 ELSE 0 END
                AS door
        FROM svc JOIN _rempart_hosts h ON h.ip = svc.dst_ip
        LEFT JOIN door_svc ds ON ds.dst_ip = svc.dst_ip AND ds.dst_port = svc.dst_port
            AND ds.protocol = svc.protocol
        LEFT JOIN door_host dh ON dh.dst_ip = svc.dst_ip
    ), server AS (
        SELECT dst_ip, max(GREATEST(door, learnt)) AS server FROM cls GROUP BY dst_ip
    ), probes AS (
        SELECT u.*, c.sensitive, s.server,
            u.dst_ip || '@' || CAST(u.day AS VARCHAR) AS k
        FROM unsol u
        JOIN cls c ON c.dst_ip = u.dst_ip AND c.dst_port = u.dst_port
            AND c.protocol = u.protocol
        JOIN server s ON s.dst_ip = u.dst_ip
        WHERE c.declared = 0 AND (c.learnt = 0 OR c.sensitive = 1)
    ), per_key AS (
        SELECT k, min(dst_ip) AS entity, count(DISTINCT src_ip) AS sources,
            sum(CASE WHEN sensitive = 1 THEN n_ok ELSE 0 END) AS ok_sensitive
        FROM probes GROUP BY k
    ), reported AS (
        SELECT k FROM per_key
        WHERE sources >= {p.inbound_min_sources} OR ok_sensitive > 0
    ), attackers AS (
        -- sources that failed somewhere inside and got sessions on an exposed service
        SELECT p.k, p.src_ip, min(p.dst_ip) AS entity, min(p.t0) AS t0, max(p.t1) AS t1,
            sum(p.n_ok) AS n_ok, min(p.dst_port) AS a_port, max(p.dst_port) AS b_port
        FROM probes p
        JOIN (SELECT src_ip FROM unsol GROUP BY src_ip HAVING sum(n - n_ok) > 0) f
            ON f.src_ip = p.src_ip
        WHERE p.sensitive = 1 AND p.n_ok > 0
        GROUP BY p.k, p.src_ip
    )"""


def _summary(p: NetParams) -> str:
    return f"""{_base(p)}
    SELECT p.k, min(p.dst_ip) AS entity, min(p.t0) AS first_seen, max(p.t1) AS last_seen,
        count(DISTINCT p.src_ip) AS sources, sum(p.n) AS attempts, sum(p.n_ok) AS answered,
        sum(p.n_refused) AS refused,
        sum(CASE WHEN p.sensitive = 1 THEN p.n_ok ELSE 0 END) AS ok_sensitive,
        max(p.server) AS server
    FROM probes p JOIN reported r ON r.k = p.k
    GROUP BY p.k"""


def _ports(p: NetParams) -> str:
    return f"""{_base(p)}
    SELECT p.k, p.dst_port, p.protocol, max(p.sensitive) AS sensitive,
        count(DISTINCT p.src_ip) AS sources, sum(p.n) AS n, sum(p.n_ok) AS n_ok
    FROM probes p JOIN reported r ON r.k = p.k
    GROUP BY p.k, p.dst_port, p.protocol"""


def _sources(p: NetParams) -> str:
    """The attacking sources listed per key: answered first, then busiest, then by address."""
    return f"""{_base(p)}
    SELECT k, src_ip, ok, n FROM (
        SELECT k, src_ip, ok, n, row_number() OVER (
            PARTITION BY k ORDER BY ok DESC, n DESC, src_ip) AS rn
        FROM (SELECT p.k, p.src_ip, sum(p.n_ok) AS ok, sum(p.n) AS n
              FROM probes p JOIN reported r ON r.k = p.k GROUP BY p.k, p.src_ip) x
    ) ranked WHERE rn <= {p.inbound_max_related}"""


def _evidence(p: NetParams) -> str:
    return lookup_sql(
        _base(p),
        "SELECT p.k AS entity, p.src_ip, p.dst_ip, p.dst_port, p.t0 AS time "
        "FROM probes p JOIN reported r ON r.k = p.k",
        port=True,
    )


def _attacked(p: NetParams) -> str:
    return f"""{_base(p)}
    SELECT k, entity, min(t0) AS first_seen, max(t1) AS last_seen,
        count(DISTINCT src_ip) AS sources, sum(n_ok) AS sessions,
        min(a_port) AS a_port, max(b_port) AS b_port
    FROM attackers GROUP BY k, entity"""


def _attacked_rows(p: NetParams) -> str:
    return f"""{_base(p)}
    SELECT k, src_ip FROM attackers"""


def _attacked_evidence(p: NetParams) -> str:
    """The first answered session of each attacking source (one address per key)."""
    return lookup_sql(
        _base(p), "SELECT k AS entity, src_ip, entity AS dst_ip, t0 AS time FROM attackers"
    )


def _port_text(rows: list[dict[str, Any]], limit: int = 8) -> tuple[int, object]:
    """(number of services probed, the busiest named): `23/tcp`, `ICMP` (any type)."""
    rows = sorted(rows, key=lambda r: (-int(r["sources"]), int(r["dst_port"]), r["protocol"]))
    labels = list(
        dict.fromkeys(
            f"{r['dst_port']}/{r['protocol']}" if r["protocol"] != "icmp" else "ICMP" for r in rows
        )
    )
    shown = ", ".join(labels[:limit])
    if len(labels) > limit:
        return len(labels), msg("net.inbound.ports_more", ports=shown, more=len(labels) - limit)
    return len(labels), shown


def _day(k: str) -> str:
    return f"{datetime.fromtimestamp(int(k.rsplit('@', 1)[1]) * 86400, UTC):%Y-%m-%d}"


def detect_inbound(
    engine: Engine, hospital: Hospital | None = None, params: NetParams | None = None
) -> list[Finding]:
    """One finding per internal host and day probed from the internet; `engine` prepared."""
    del hospital
    p = params or NetParams()
    use_edges(engine, p)
    rows = engine.query(_summary(p)).to_pylist()
    if not rows:
        return []
    ports: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in engine.query(_ports(p)).to_pylist():
        ports[r["k"]].append(r)
    sources: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for r in engine.query(_sources(p)).to_pylist():
        sources[r["k"]].append((-int(r["ok"]), -int(r["n"]), r["src_ip"]))
    evidence = evidence_by(engine.query(_evidence(p)))
    det = InboundProbeDetector()
    out: list[Finding] = []
    for r in sorted(rows, key=lambda r: r["k"]):
        k = r["k"]
        answered_sensitive = sorted(
            {
                f"{x['dst_port']}/{x['protocol']}"
                for x in ports[k]
                if x["sensitive"] and int(x["n_ok"] or 0) > 0
            }
        )
        answered, refused = int(r["answered"]), int(r["refused"])
        attempts = int(r["attempts"])
        silent = attempts - answered - refused
        server = bool(r["server"])
        if answered_sensitive:
            severity = Severity.HIGH
        elif answered or not server:
            severity = Severity.MEDIUM
        else:
            severity = Severity.LOW
        listed = [ip for _, _, ip in sorted(sources[k])]
        n_ports, port_text = _port_text(ports[k])
        role = msg("net.inbound.role_server" if server else "net.inbound.role_undeclared")
        sensitive = (
            msg("net.inbound.sensitive", ports=", ".join(answered_sensitive))
            if answered_sensitive
            else ""
        )
        shown = msg("net.inbound.listed", n=len(listed)) if len(listed) < int(r["sources"]) else ""
        values = {
            "host": r["entity"],
            "role": role,
            "day": _day(k),
            "sources": int(r["sources"]),
            "shown": shown,
            "attempts": attempts,
            "n_ports": n_ports,
            "ports": port_text,
            "silent": silent,
            "refused": refused,
            "answered": answered,
            "sensitive": sensitive,
        }
        out.append(
            det.finding(
                severity=severity,
                title_key="net.inbound.title",
                reason_key="net.inbound.reason",
                params=values,
                entity=r["entity"],
                entity_type="host",
                first_seen=utc(r["first_seen"]),
                last_seen=utc(r["last_seen"]),
                evidence_class="network_flow",
                evidence=evidence.get(k, ()),
                evidence_count=attempts,
                score=round(answered / max(attempts, 1), 4),
                attack=("T1595", "T1133") if answered_sensitive else ("T1595",),
                related=tuple(listed),
            )
        )
    return out


def detect_exposed(
    engine: Engine, hospital: Hospital | None = None, params: NetParams | None = None
) -> list[Finding]:
    """Sensitive services that probing internet sources got sessions on; `engine` prepared."""
    del hospital
    p = params or NetParams()
    use_edges(engine, p)
    rows = engine.query(_attacked(p)).to_pylist()
    if not rows:
        return []
    detail = engine.query(_attacked_rows(p))
    evidence = evidence_by(engine.query(_attacked_evidence(p)))
    related: dict[str, list[str]] = defaultdict(list)
    for r in sorted(detail.to_pylist(), key=lambda r: (r["k"], r["src_ip"])):
        related[r["k"]].append(r["src_ip"])
    det = ExposedServiceDetector()
    out: list[Finding] = []
    for r in sorted(rows, key=lambda r: r["k"]):
        k = r["k"]
        ports = (
            msg("net.exposed.port", port=r["a_port"])
            if r["a_port"] == r["b_port"]
            else msg("net.exposed.ports", a=r["a_port"], b=r["b_port"])
        )
        values = {
            "host": r["entity"],
            "ports": ports,
            "day": _day(k),
            "sources": int(r["sources"]),
            "sessions": int(r["sessions"]),
        }
        out.append(
            det.finding(
                severity=Severity.HIGH,
                title_key="net.exposed.title",
                reason_key="net.exposed.reason",
                params=values,
                entity=r["entity"],
                entity_type="host",
                first_seen=utc(r["first_seen"]),
                last_seen=utc(r["last_seen"]),
                evidence_class="network_flow",
                evidence=evidence.get(k, ()),
                evidence_count=int(r["sessions"]),
                related=tuple(related[k][: p.inbound_max_related]),
            )
        )
    return out


class InboundProbeDetector(NetworkDetector):
    NAME: ClassVar[str] = PROBE
    VERSION: ClassVar[str] = VERSION
    ATTACK: ClassVar[tuple[str, ...]] = ("T1595", "T1133")
    DESCRIPTION: ClassVar[str] = "Internal hosts probed from the internet (exposure)"
    INCIDENT: ClassVar[bool] = False  # exposure to internet background noise: posture
    detect = staticmethod(detect_inbound)


class ExposedServiceDetector(NetworkDetector):
    NAME: ClassVar[str] = ATTACKED
    VERSION: ClassVar[str] = VERSION
    ATTACK: ClassVar[tuple[str, ...]] = ("T1190", "T1133")
    DESCRIPTION: ClassVar[str] = "Undeclared sensitive services reached by probing sources"
    detect = staticmethod(detect_exposed)
