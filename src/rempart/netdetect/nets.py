"""Address knowledge for network detections: internal ranges, zones, roles, partners.

The hospital model (when there is one) becomes small lookup tables registered on the
engine; every distinct address seen in the flows is classified once into `_rempart_hosts`
(internal or not, zone, building, role, partner), and detectors join flows to it on the
address string, a plain hash join on either backend. Without a hospital.yaml, internal
means RFC 1918 (plus configured ranges) and a zone is the address's /24 network.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pyarrow as pa

from rempart.model import AssetKind, Hospital, ZoneKind
from rempart.netdetect.engine import Engine

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

ADMIN_PORTS = (135, 139, 445, 3389, 5985, 5986)

FLOW_KINDS = "coalesce(record_kind, 'flow') IN ('flow', 'firewall')"

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


_HOSTS_SQL = f"""
WITH ips AS (
    SELECT DISTINCT src_ip AS ip FROM {{flows}} WHERE {FLOW_KINDS}
    UNION SELECT DISTINCT dst_ip AS ip FROM {{flows}} WHERE {FLOW_KINDS}
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


# The host table of the last prepared (backend, flow count, model, params): the detectors of
# one `rempart detect` run share it instead of each re-reading every address.
_CACHE: dict[tuple[int, str, int, int, NetParams], pa.Table] = {}


def prepare(engine: Engine, hospital: Hospital | None, params: NetParams) -> None:
    """Register the lookups and `_rempart_hosts` (one row per distinct address seen)."""
    engine.register("_rempart_ranges", _ranges(hospital, params))
    engine.register("_rempart_zones", _zones(hospital))
    engine.register("_rempart_assets", _assets(hospital))
    engine.register("_rempart_partner_ports", _partner_ports(hospital))
    rows = engine.query("SELECT count(*) AS n FROM {flows}").column("n")[0].as_py()
    key = (id(engine.backend), engine.flows, int(rows), hash(hospital), params)
    hosts = _CACHE.get(key)
    if hosts is None:
        hosts = engine.query(_HOSTS_SQL)
        _CACHE.clear()
        _CACHE[key] = hosts
    engine.register("_rempart_hosts", hosts)
    engine.hosts = hosts


def medical_zone_kinds() -> tuple[str, ...]:
    return (ZoneKind.MEDICAL.value,)


def medical_asset_kind() -> str:
    return AssetKind.MEDICAL_DEVICE.value


def sql_list(values: tuple[int, ...] | tuple[str, ...]) -> str:
    """A literal SQL list for IN (...) from trusted constants (ports, roles)."""
    return "(" + ", ".join(repr(v) if isinstance(v, str) else str(int(v)) for v in values) + ")"
