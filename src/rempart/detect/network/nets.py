"""Address knowledge for network detections: internal ranges, zones, roles, partners.

The hospital model (when there is one) becomes small lookup tables registered on the
engine; every distinct address seen in the flows is classified once into `_rempart_hosts`
(internal or not, zone, building, role, partner), and detectors join flows to it on the
address string, a plain hash join on either backend. Without a hospital.yaml, internal
means RFC 1918 (plus configured ranges) and a zone is the address's /24 network.
"""

from __future__ import annotations

import ipaddress
import weakref
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from rempart.model import AssetKind, Hospital, ZoneKind
from rempart.schema.flowsql import FLOW_KINDS as FLOW_KINDS  # (re-exported: detectors)
from rempart.store.engine import Engine

RFC1918 = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
# Never a peer: multicast, broadcast, loopback, link-local, "this network".
SPECIAL = ("224.0.0.0/4", "255.255.255.255/32", "127.0.0.0/8", "169.254.0.0/16", "0.0.0.0/8")

# Roles whose fan-out over admin protocols is their job (Asset.role in hospital.yaml).
FANOUT_ROLES = (
    "file_server",
    "domain_controller",
    "dc",
    "management",
    "backup",
    "sccm",
    "wsus",
    "antivirus",
    "monitoring",
    "jump_host",
    "print_server",
)

# Roles whose probing is their job (a vulnerability scanner, a network monitor sweeping for
# devices): a declared one is not reported as a scanner, every other host still is.
SCANNER_ROLES = ("scanner", "vulnerability_scanner", "network_monitor", "nms", "discovery")

ADMIN_PORTS = (135, 139, 445, 3389, 5985, 5986)

# Services that must never answer the internet unless declared: remote shells and desktops,
# file sharing, databases, device management (what mass scanners and worms look for).
EXPOSED_PORTS = (
    21, 22, 23, 135, 139, 445, 1433, 1521, 2323, 2375, 3306, 3389, 5432, 5555, 5800, 5900,
    5901, 5985, 5986, 6379, 9200, 11211, 27017,
)  # fmt: skip

# Internal hosts whose job is to talk to the internet on behalf of others (Asset.role): their
# periodic or failing outbound connections are everyone's, not a bot's.
RELAY_ROLES = ("proxy", "dns", "resolver", "ntp", "mail", "mail_relay", "smtp", "mx", "gateway")


_IPV4 = r"'^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$'"


def ip_number_sql(col: str) -> str:
    """SQL for an IPv4 address as a number (NULL for anything else); portable SQL."""
    parts = " + ".join(
        f"CAST(split_part({col}, '.', {i + 1}) AS BIGINT) * {256 ** (3 - i)}" for i in range(4)
    )
    return f"CASE WHEN regexp_matches({col}, {_IPV4}) THEN {parts} END"


@dataclass(frozen=True)
class NetParams:
    """Knobs shared by the network detectors (defaults documented in docs/network.md)."""

    extra_internal: tuple[str, ...] = ()
    # Threshold random walk (Jung et al. 2004): P(success) for benign and scanning hosts,
    # wanted false-positive and detection rates.
    theta0: float = 0.8
    theta1: float = 0.2
    alpha: float = 0.01
    beta: float = 0.99
    scan_min_failures: int = 5
    # Lateral spread: new internal peers over admin ports within a sliding window.
    admin_ports: tuple[int, ...] = ADMIN_PORTS
    window_seconds: int = 600
    min_peers: int = 10
    alike_peers: int = 4
    learn_seconds: int = 3600
    role_factor: int = 10
    learnt_factor: int = 5
    # Inbound exposure: unsolicited attempts from the internet to internal hosts.
    exposed_ports: tuple[int, ...] = EXPOSED_PORTS
    inbound_min_sources: int = 3  # distinct internet sources per host and day to report
    inbound_server_sources: int = 10  # a port answering this many sources...
    inbound_server_share: float = 0.5  # ...on at least this share of attempts is a server
    inbound_max_related: int = 20_000  # sources listed in `related` (all counted)
    # Command and control: a rare external destination reached over and over.
    c2_max_hosts: int = 3  # internal hosts reaching a destination; more = infrastructure
    # periodic by design (DNS, NTP polling, NetBIOS, SSDP, mDNS, DHCP): never judged
    c2_quiet_ports: tuple[int, ...] = (53, 67, 68, 123, 137, 138, 1900, 5353)
    c2_dead_min_failures: int = 20  # failed attempts to one address:port...
    c2_dead_min_seconds: int = 1800  # ...spread over at least this span
    c2_dead_fail_share: float = 0.9  # and (almost) never answered (TCP only)
    c2_beacon_min_conns: int = 24  # connections to one address:port to judge regularity
    c2_beacon_min_seconds: int = 3600  # over at least this span
    c2_beacon_score: float = 0.8  # RITA-style score (0..1) to report
    # ...or, for a series under that hour, fewer answered connections at a stricter score
    c2_short_min_conns: int = 12
    c2_short_min_seconds: int = 300
    c2_short_score: float = 0.9
    # Bot behaviour judged on minutes (docs/network.md, "Short captures"): within any
    # `burst_seconds`, an internal host reaching this many distinct...
    burst_seconds: int = 600
    http_fanout_min_servers: int = 10  # ...web servers with one URI shape
    http_fanout_max_shapes: int = 5  # shapes asked of a server, beyond: a site browsed
    udp_fanout_min_peers: int = 20  # ...internet addresses over UDP on high ports
    dns_fail_min_domains: int = 10  # ...domains that do not resolve (NXDOMAIN, SERVFAIL)
    dns_servfail_hosts: int = 3  # SERVFAIL to this many hosts at once: the resolver's fault
    # Outbound abuse: spam straight to internet mail servers, floods of one address.
    spam_min_servers: int = 25  # distinct internet SMTP servers (TCP 25) in a day
    flood_min_conns: int = 1000  # connections to one internet address in a day...
    flood_min_rate: float = 1.0  # ...at this many per second over the span they cover


def _ranges(hospital: Hospital | None, params: NetParams) -> pa.Table:
    rows: list[tuple[str, str, int, int, int]] = []

    def add(kind: str, ref: str, cidr: str) -> None:
        net = ipaddress.ip_network(cidr, strict=False)
        if net.version == 4:
            lo = int(net.network_address)
            rows.append((kind, ref, lo, lo + net.num_addresses - 1, net.prefixlen))

    internal = hospital.hospital.internal_ranges if hospital else RFC1918
    for cidr in (*internal, *params.extra_internal):
        add("internal", "", cidr)
    for cidr in SPECIAL:
        add("special", "", cidr)
    if hospital:
        for z in hospital.zones:
            for cidr in z.cidrs:
                add("zone", z.id, cidr)
        for p in hospital.partners:
            for cidr in p.addresses:
                add("partner", p.id, cidr)
    kinds, refs, los, his, plens = zip(*rows, strict=True) if rows else ((), (), (), (), ())
    return pa.table(
        {
            "kind": pa.array(kinds, pa.string()),
            "ref": pa.array(refs, pa.string()),
            "lo": pa.array(los, pa.int64()),
            "hi": pa.array(his, pa.int64()),
            "plen": pa.array(plens, pa.int64()),
        }
    )


def _doors(hospital: Hospital | None) -> pa.Table:
    """Declared entrances (not Wi-Fi): address ranges and ports (-1 = any) open to outside."""
    rows: list[tuple[str, int, int, int]] = []
    if hospital:
        ip_of = {a.hostname: a.ip for a in hospital.assets if a.ip}
        for d in hospital.doors:
            if d.kind.value == "wifi":
                continue
            cidrs = [*d.addresses]
            if d.asset and ip_of.get(d.asset):
                cidrs.append(f"{ip_of[d.asset]}/32")
            for cidr in cidrs:
                net = ipaddress.ip_network(cidr, strict=False)
                if net.version != 4:
                    continue
                lo = int(net.network_address)
                for port in d.ports or (-1,):
                    rows.append((d.id, lo, lo + net.num_addresses - 1, port))
    ids, los, his, ports = zip(*rows, strict=True) if rows else ((), (), (), ())
    return pa.table(
        {
            "door": pa.array(ids, pa.string()),
            "lo": pa.array(los, pa.int64()),
            "hi": pa.array(his, pa.int64()),
            "port": pa.array(ports, pa.int64()),
        }
    )


def _zones(hospital: Hospital | None) -> pa.Table:
    zones = hospital.zones if hospital else ()
    return pa.table(
        {
            "zone": pa.array([z.id for z in zones], pa.string()),
            "building": pa.array([z.building or z.id for z in zones], pa.string()),
            "zone_kind": pa.array([z.kind.value for z in zones], pa.string()),
        }
    )


def _assets(hospital: Hospital | None) -> pa.Table:
    assets = [a for a in (hospital.assets if hospital else ()) if a.ip]
    return pa.table(
        {
            "ip": pa.array([a.ip for a in assets], pa.string()),
            "hostname": pa.array([a.hostname for a in assets], pa.string()),
            "role": pa.array([a.role for a in assets], pa.string()),
            "asset_kind": pa.array([a.kind.value for a in assets], pa.string()),
            "asset_zone": pa.array([a.zone for a in assets], pa.string()),
        }
    )


def _partner_ports(hospital: Hospital | None) -> pa.Table:
    pairs = [(p.id, port) for p in (hospital.partners if hospital else ()) for port in p.ports]
    return pa.table(
        {
            "partner": pa.array([p for p, _ in pairs], pa.string()),
            "port": pa.array([q for _, q in pairs], pa.int64()),
        }
    )


# Every address of the flows, when the backend keeps no inventory of them.
_ADDRESSES_SQL = f"""
    SELECT DISTINCT src_ip AS ip FROM {{flows}} WHERE {FLOW_KINDS}
    UNION SELECT DISTINCT dst_ip AS ip FROM {{flows}} WHERE {FLOW_KINDS}"""

_HOSTS_SQL = f"""
WITH ips AS ({{addresses}}
), num AS (
    SELECT ip, {ip_number_sql("ip")} AS n FROM ips
), hit AS (
    SELECT num.ip, r.kind, r.ref,
           row_number() OVER (PARTITION BY num.ip, r.kind ORDER BY r.plen DESC, r.ref) AS rk
    FROM num JOIN _rempart_ranges r ON num.n BETWEEN r.lo AND r.hi
), best AS (
    SELECT ip,
        max(CASE WHEN kind = 'internal' THEN 1 ELSE 0 END) AS is_internal,
        max(CASE WHEN kind = 'special' THEN 1 ELSE 0 END) AS is_special,
        max(CASE WHEN kind = 'zone' THEN ref END) AS zone,
        max(CASE WHEN kind = 'partner' THEN ref END) AS partner
    FROM hit WHERE rk = 1 GROUP BY ip
)
SELECT num.ip,
    (coalesce(best.is_internal, 0) = 1 OR lower(num.ip) LIKE 'fd%' OR lower(num.ip) LIKE 'fc%'
        OR lower(num.ip) LIKE 'fe80:%') AS internal,
    (coalesce(best.is_special, 0) = 1 OR lower(num.ip) LIKE 'ff%:%') AS special,
    coalesce(best.zone, a.asset_zone,
        CASE WHEN coalesce(best.is_internal, 0) = 1
             THEN regexp_replace(num.ip, '\\.[0-9]+$', '.0/24') END) AS zone,
    z.building, z.zone_kind, a.hostname, a.role, a.asset_kind, best.partner
FROM num
LEFT JOIN best ON best.ip = num.ip
LEFT JOIN _rempart_assets a ON a.ip = num.ip
LEFT JOIN _rempart_zones z ON z.zone = coalesce(best.zone, a.asset_zone)
"""


def hosts_sql(addresses: str) -> str:
    """The host table (`_rempart_hosts`' columns) of the addresses a query lists (column
    `ip`): for detectors reading other tables than the flows (`network_event`, dns
    records), on an engine `prepare` has given the lookups."""
    return _HOSTS_SQL.replace("{addresses}", addresses)


# The host table of the last prepared (backend, flow count, model, params): the detectors of
# one `rempart detect` run share it instead of each re-reading every address.
# The backend is held by a weak reference and compared by identity: a new connection may get
# the id of a closed one, and must not be served that one's hosts.
_CACHE: dict[tuple[int, str, int, int, NetParams], tuple[weakref.ref[Any], pa.Table]] = {}


# The lookup tables of the last (model, params), with the model's hash: every detector of a
# run prepares its engine, and rebuilding them (and hashing the model) each time added up.
# The model is frozen and held here, so its identity stands for its content.
_LOOKUPS: dict[tuple[int, NetParams], tuple[Hospital | None, int, dict[str, pa.Table]]] = {}


def _lookups(hospital: Hospital | None, params: NetParams) -> tuple[int, dict[str, pa.Table]]:
    hit = _LOOKUPS.get((id(hospital), params))
    if hit is not None and hit[0] is hospital:
        return hit[1], hit[2]
    tables = {
        "_rempart_ranges": _ranges(hospital, params),
        "_rempart_zones": _zones(hospital),
        "_rempart_assets": _assets(hospital),
        "_rempart_partner_ports": _partner_ports(hospital),
        "_rempart_doors": _doors(hospital),
    }
    _LOOKUPS.clear()
    _LOOKUPS[(id(hospital), params)] = (hospital, hash(hospital), tables)
    return hash(hospital), tables


def prepare(engine: Engine, hospital: Hospital | None, params: NetParams) -> None:
    """Register the lookups and `_rempart_hosts` (one row per distinct address seen)."""
    model_hash, tables = _lookups(hospital, params)
    for name, table in tables.items():
        engine.register(name, table)
    rows = engine.count_flows()
    key = (id(engine.backend), engine.flows, rows, model_hash, params)
    hit = _CACHE.get(key)
    if hit is not None and hit[0]() is engine.backend:
        hosts = hit[1]
    else:
        listed = engine.addresses(FLOW_KINDS) if engine.addresses else _ADDRESSES_SQL
        hosts = engine.query(_HOSTS_SQL.replace("{addresses}", listed))
        _CACHE.clear()
        _CACHE[key] = (weakref.ref(engine.backend), hosts)
    engine.register("_rempart_hosts", hosts)
    engine.hosts = hosts


def medical_zone_kinds() -> tuple[str, ...]:
    return (ZoneKind.MEDICAL.value,)


def medical_asset_kind() -> str:
    return AssetKind.MEDICAL_DEVICE.value


def sql_list(values: tuple[int, ...] | tuple[str, ...]) -> str:
    """A literal SQL list for IN (...) from trusted constants (ports, roles)."""
    return "(" + ", ".join(repr(v) if isinstance(v, str) else str(int(v)) for v in values) + ")"
