"""The vital-flow allowlist of an internet cut, checked against the flows really observed.

The allowlist comes from the hospital model: partners marked vital, or of a kind care cannot
do without (biology labs, treasury, health-data host, SAMU, secure messaging, payroll). The
model is never complete, so before cutting, `review_egress` runs one set-based query over the
`network_flow` table: outbound flows the cut would stop are grouped by destination and port,
and those that look vital (seen on several days, from a server, or on a health protocol port)
are listed for review — the partner seen every day on 443 that nobody declared.

Addresses are compared as integers in SQL (IPv4); IPv6 flows are counted, not judged.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime

import pyarrow as pa

from rempart.contain.actions import CutEgressExcept
from rempart.model.hospital import AssetKind, Frozen, Hospital, Partner, PartnerKind
from rempart.store import Store

VITAL_KINDS: frozenset[PartnerKind] = frozenset(
    {
        PartnerKind.BIOLOGY_LAB,
        PartnerKind.TREASURY,
        PartnerKind.HEALTH_DATA_HOST,
        PartnerKind.SAMU,
        PartnerKind.SECURE_MESSAGING,
        PartnerKind.PAYROLL,
    }
)
# DICOM, HL7 MLLP, DICOM TLS: health protocols seen to an outside address deserve a look.
HEALTH_PORTS: frozenset[int] = frozenset({104, 2575, 2762, 11112})


def vital_partners(hospital: Hospital) -> tuple[Partner, ...]:
    """Partners an internet cut must keep: marked vital, or of a vital kind."""
    return tuple(p for p in hospital.partners if p.vital or p.kind in VITAL_KINDS)


class StoppedFlow(Frozen):
    """Outbound traffic to one destination and port that the cut would stop."""

    dst_ip: str
    dst_port: int | None
    protocol: str | None
    service: str | None
    flows: int
    sources: int
    server_sources: tuple[str, ...]  # hostnames of server assets among the sources
    days: int
    first_seen: datetime
    last_seen: datetime
    bytes_total: int
    looks_vital: bool
    why: tuple[str, ...]  # days / server / health_port


class KeptPartner(Frozen):
    """A partner kept by the cut, and whether flows to it were actually seen."""

    partner: str
    flows: int
    days: int


class EgressReview(Frozen):
    """What an egress cut would stop, what it keeps, and what looks vital."""

    stopped: tuple[StoppedFlow, ...]
    kept: tuple[KeptPartner, ...]
    observed_days: int
    flows_considered: int
    ipv6_not_judged: int

    @property
    def to_review(self) -> tuple[StoppedFlow, ...]:
        return tuple(f for f in self.stopped if f.looks_vital)


def _ranges(cidrs: list[tuple[str, str]]) -> pa.Table:
    """(label, cidr) pairs as an Arrow table of integer ranges (IPv4 only)."""
    labels: list[str] = []
    lo: list[int] = []
    hi: list[int] = []
    for label, cidr in cidrs:
        net = ipaddress.ip_network(cidr, strict=False)
        if net.version != 4:
            continue
        labels.append(label)
        lo.append(int(net.network_address))
        hi.append(int(net.broadcast_address))
    return pa.table(
        {
            "label": pa.array(labels, pa.string()),
            "lo": pa.array(lo, pa.int64()),
            "hi": pa.array(hi, pa.int64()),
        }
    )


_IP4 = """CASE WHEN regexp_full_match({c}, '\\d{{1,3}}\\.\\d{{1,3}}\\.\\d{{1,3}}\\.\\d{{1,3}}')
  THEN (split_part({c}, '.', 1)::BIGINT << 24) + (split_part({c}, '.', 2)::BIGINT << 16)
     + (split_part({c}, '.', 3)::BIGINT << 8) + split_part({c}, '.', 4)::BIGINT END"""


def review_egress(
    store: Store,
    hospital: Hospital,
    cut: CutEgressExcept,
    *,
    since: datetime | None = None,
    min_days: int = 2,
    limit: int = 200,
) -> EgressReview:
    """Flows the cut would stop (grouped), the kept partners' traffic, and what looks vital."""
    zones = {z.id: z for z in hospital.zones}
    if cut.from_zones:
        inside = [(z, c) for z in cut.from_zones if z in zones for c in zones[z].cidrs]
    else:
        inside = [("internal", c) for c in hospital.hospital.internal_ranges]
    internal = [("internal", c) for c in hospital.hospital.internal_ranges]
    allowed: list[tuple[str, str]] = []
    allowed_ports: dict[str, tuple[int, ...]] = {}
    for pid in cut.allow_partners:
        try:
            p = hospital.partner(pid)
        except KeyError:
            continue
        for c in p.addresses:
            allowed.append((pid, c))
        allowed_ports[pid] = p.ports
    for i, e in enumerate(cut.allow_extra):
        allowed.append((f"extra{i}", e.cidr))
        allowed_ports[f"extra{i}"] = e.ports
    port_rows = [(k, p) for k, ports in allowed_ports.items() for p in ports]
    servers = [(a.hostname, a.ip) for a in hospital.assets if a.ip and a.kind is AssetKind.SERVER]

    con = store.engine()
    con.register("_rp_inside", _ranges(inside))
    con.register("_rp_internal", _ranges(internal))
    con.register("_rp_allowed", _ranges(allowed))
    con.register(
        "_rp_ports",
        pa.table(
            {
                "label": pa.array([k for k, _ in port_rows], pa.string()),
                "port": pa.array([p for _, p in port_rows], pa.int32()),
            }
        ),
    )
    con.register(
        "_rp_servers",
        pa.table(
            {
                "hostname": pa.array([h for h, _ in servers], pa.string()),
                "ip": pa.array([i for _, i in servers], pa.string()),
            }
        ),
    )
    where = "WHERE time >= $since" if since is not None else ""
    params: dict[str, object] = {"since": since} if since is not None else {}
    try:
        # Each distinct source and destination is judged once (range joins on tiny tables);
        # only outbound flows from inside to outside are then grouped, so the bulk of a
        # hospital's traffic (internal) is dropped before the expensive grouping.
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _rp_flows AS
            WITH s AS (SELECT src_ip, {_IP4.format(c="src_ip")} AS s4
                       FROM (SELECT DISTINCT src_ip FROM network_flow {where})),
            sj AS (SELECT s.src_ip FROM s JOIN _rp_inside r ON s.s4 BETWEEN r.lo AND r.hi
                   GROUP BY s.src_ip),
            d AS (SELECT dst_ip, dst_port, {_IP4.format(c="dst_ip")} AS d4
                  FROM (SELECT DISTINCT dst_ip, dst_port FROM network_flow {where})),
            ap AS (SELECT al.label, al.lo, al.hi, p.port
                   FROM _rp_allowed al LEFT JOIN _rp_ports p ON p.label = al.label),
            dj AS (SELECT d.dst_ip, coalesce(d.dst_port, -1) AS port_key,
                          min(ap.label) AS kept_by
                   FROM d
                   LEFT JOIN _rp_internal i ON d.d4 BETWEEN i.lo AND i.hi
                   LEFT JOIN ap ON d.d4 BETWEEN ap.lo AND ap.hi
                               AND (ap.port IS NULL OR ap.port = d.dst_port)
                   WHERE d.d4 IS NOT NULL
                   GROUP BY d.dst_ip, d.dst_port
                   HAVING NOT bool_or(i.lo IS NOT NULL))
            SELECT f.src_ip, f.dst_ip, f.dst_port, epoch_us(f.time) // 86400000000 AS day,
                   any_value(f.protocol) AS protocol, any_value(f.service) AS service,
                   count(*) AS n, min(f.time) AS first, max(f.time) AS last,
                   sum(coalesce(f.bytes_out, 0) + coalesce(f.bytes_in, 0)) AS bytes,
                   any_value(dj.kept_by) AS kept_by
            FROM network_flow f
            JOIN sj ON f.src_ip = sj.src_ip
            JOIN dj ON f.dst_ip = dj.dst_ip AND coalesce(f.dst_port, -1) = dj.port_key
            {where.replace("time", "f.time")}
            GROUP BY f.src_ip, f.dst_ip, f.dst_port, epoch_us(f.time) // 86400000000""",
            params,
        )
        totals = con.rows(
            f"""SELECT count(*),
                       count(*) FILTER (WHERE contains(src_ip, ':') OR contains(dst_ip, ':')),
                       count(DISTINCT epoch_us(time) // 86400000000)
                FROM network_flow {where}""",
            params,
        )[0]
        stopped = con.rows(
            """SELECT f.dst_ip, f.dst_port, any_value(f.protocol), any_value(f.service),
                      sum(f.n) AS flows, count(DISTINCT f.src_ip),
                      list_sort(list(DISTINCT s.hostname) FILTER (WHERE s.hostname IS NOT NULL)),
                      count(DISTINCT f.day) AS days, min(f.first), max(f.last),
                      sum(f.bytes)
               FROM _rp_flows f LEFT JOIN _rp_servers s ON s.ip = f.src_ip
               WHERE f.kept_by IS NULL
               GROUP BY f.dst_ip, f.dst_port
               ORDER BY days DESC, flows DESC, f.dst_ip, f.dst_port"""
        )
        kept = con.rows(
            """SELECT kept_by, sum(n), count(DISTINCT day) FROM _rp_flows
               WHERE kept_by IS NOT NULL GROUP BY kept_by"""
        )
    finally:
        con.execute("DROP TABLE IF EXISTS _rp_flows")
        for name in ("_rp_inside", "_rp_internal", "_rp_allowed", "_rp_ports", "_rp_servers"):
            con.unregister(name)

    out: list[StoppedFlow] = []
    for dst, port, proto, service, flows, sources, srv, days, first, last, nbytes in stopped:
        why: list[str] = []
        if days >= min_days:
            why.append("days")
        if srv:
            why.append("server")
        if port in HEALTH_PORTS:
            why.append("health_port")
        vital = ("days" in why and ("server" in why or port in (443, 22, 990))) or (
            "health_port" in why
        )
        out.append(
            StoppedFlow(
                dst_ip=dst,
                dst_port=port,
                protocol=proto,
                service=service,
                flows=flows,
                sources=sources,
                server_sources=tuple(srv or ()),
                days=days,
                first_seen=first,
                last_seen=last,
                bytes_total=int(nbytes or 0),
                looks_vital=vital,
                why=tuple(why),
            )
        )
    out.sort(key=lambda f: (not f.looks_vital,))  # stable: vital-looking first
    kept_by = {k: (n, d) for k, n, d in kept}
    return EgressReview(
        stopped=tuple(out[:limit]),
        kept=tuple(
            KeptPartner(
                partner=pid, flows=kept_by.get(pid, (0, 0))[0], days=kept_by.get(pid, (0, 0))[1]
            )
            for pid in cut.allow_partners
        ),
        observed_days=int(totals[2]),
        flows_considered=int(totals[0]),
        ipv6_not_judged=int(totals[1]),
    )
