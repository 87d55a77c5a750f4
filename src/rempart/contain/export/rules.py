"""A plan's network actions compiled once into an ordered, target-neutral rule list.

Exporters only render this list, so every firewall target says the same thing. Order is the
one care impact assumes: hard drops (quarantine, indicator addresses, lateral protocols
between zones), then the isolation carve-outs (accept), then the isolation drops, then the
egress cut (its allowlist first). Rules are for a routing firewall's forward path. A kept
flow's reply is accepted only for established connections, so a partner cannot open new
connections inwards through a carve-out.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from enum import StrEnum
from typing import Literal

from pydantic import Field, model_validator

from rempart.contain.actions import (
    LATERAL_PROTOCOLS,
    PROTOCOL_PORTS,
    Action,
    BlockIndicators,
    BlockProtocolsBetweenZones,
    CutEgressExcept,
    IsolateZones,
    Plan,
    QuarantineHosts,
)
from rempart.core.errors import ContainmentError
from rempart.model.hospital import Frozen, Hospital

Family = Literal[4, 6]
Proto = Literal["tcp", "udp"]
_COMMENT_OK = re.compile(r"[^A-Za-z0-9 _.:/,()+-]")


def safe_comment(text: str) -> str:
    """Comments end up inside firewall files: keep a small safe alphabet, 120 chars."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _COMMENT_OK.sub("_", ascii_text)[:120]


class Verdict(StrEnum):
    ACCEPT = "accept"
    DROP = "drop"


class Rule(Frozen):
    """One firewall rule: match on addresses, transport and ports, then a verdict."""

    id: str = Field(pattern=r"^r[0-9]{3,6}$")
    action: int = Field(ge=0)  # index of the plan action it comes from
    verdict: Verdict
    family: Family
    src: tuple[str, ...] = ()  # CIDRs; empty means any address of the family
    src_negate: bool = False
    dst: tuple[str, ...] = ()
    dst_negate: bool = False
    proto: Proto | None = None
    dports: tuple[int, ...] = ()
    sports: tuple[int, ...] = ()
    established: bool = False  # only packets of already established connections
    comment: str = ""

    @model_validator(mode="after")
    def _check(self) -> Rule:
        for cidr in (*self.src, *self.dst):
            net = ipaddress.ip_network(cidr, strict=False)
            if net.version != self.family:
                raise ValueError(f"{cidr} is not IPv{self.family}")
            if str(net) != cidr:
                raise ValueError(f"{cidr} is not in canonical form ({net})")
        if (self.dports or self.sports) and self.proto is None:
            raise ValueError("ports need a transport protocol")
        if any(not 0 < p < 65536 for p in (*self.dports, *self.sports)):
            raise ValueError("port out of range")
        if (self.src_negate and not self.src) or (self.dst_negate and not self.dst):
            raise ValueError("a negated match needs addresses")
        if safe_comment(self.comment) != self.comment:
            raise ValueError("comment has characters outside the safe alphabet")
        return self


class RuleSet(Frozen):
    """The compiled network side of a plan; `name` is the nft table / iptables chain."""

    plan_id: str
    plan_title: str
    name: str = Field(default="rempart", pattern=r"^[a-z][a-z0-9_]{0,15}$")
    rules: tuple[Rule, ...]

    def family(self, family: Family) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.family == family)


def _split(cidrs: tuple[str, ...]) -> dict[int, tuple[str, ...]]:
    """CIDRs per address family, merged so that no two overlap (nft sets refuse overlaps)."""
    v4: list[ipaddress.IPv4Network] = []
    v6: list[ipaddress.IPv6Network] = []
    for c in cidrs:
        net = ipaddress.ip_network(c, strict=False)
        if isinstance(net, ipaddress.IPv4Network):
            v4.append(net)
        else:
            v6.append(net)
    return {
        4: tuple(str(n) for n in ipaddress.collapse_addresses(v4)),
        6: tuple(str(n) for n in ipaddress.collapse_addresses(v6)),
    }


class _Builder:
    def __init__(self) -> None:
        self.rules: list[Rule] = []

    def add(
        self,
        action: int,
        verdict: Verdict,
        comment: str,
        *,
        src: tuple[str, ...] = (),
        src_negate: bool = False,
        dst: tuple[str, ...] = (),
        dst_negate: bool = False,
        proto: Proto | None = None,
        dports: tuple[int, ...] = (),
        sports: tuple[int, ...] = (),
        established: bool = False,
    ) -> None:
        """Add the rule once per address family that can match it."""
        s, d = _split(src), _split(dst)
        fam: Family
        for fam in (4, 6):
            s_f, d_f = s[fam], d[fam]
            if (src and not s_f and not src_negate) or (dst and not d_f and not dst_negate):
                continue  # a positive match with no address of this family matches nothing
            if not s_f and not d_f:
                continue  # would match every packet of the family: never wanted here
            self.rules.append(
                Rule(
                    id=f"r{len(self.rules) + 1:03d}",
                    action=action,
                    verdict=verdict,
                    family=fam,
                    src=s_f,
                    src_negate=src_negate and bool(s_f),
                    dst=d_f,
                    dst_negate=dst_negate and bool(d_f),
                    proto=proto,
                    dports=dports,
                    sports=sports,
                    established=established,
                    comment=safe_comment(comment),
                )
            )


def _zone_cidrs(hospital: Hospital, zone: str) -> tuple[str, ...]:
    try:
        return hospital.zone(zone).cidrs
    except KeyError:
        raise ContainmentError(f"unknown zone {zone!r} in plan") from None


def _host(ip: str) -> str:
    return str(ipaddress.ip_network(ip))


def _endpoint_rules(
    b: _Builder,
    idx: int,
    inside: tuple[str, ...],
    addrs: tuple[str, ...],
    ports: tuple[int, ...],
    comment: str,
) -> None:
    """Accept inside -> endpoint (on its ports) and the replies of those connections."""
    if not addrs:
        return
    protos: tuple[Proto | None, ...] = ("tcp", "udp") if ports else (None,)
    for proto in protos:
        b.add(idx, Verdict.ACCEPT, comment, src=inside, dst=addrs, proto=proto, dports=ports)
        b.add(
            idx,
            Verdict.ACCEPT,
            comment + " reply",
            src=addrs,
            dst=inside,
            proto=proto,
            sports=ports,
            established=True,
        )


def _lateral_ports() -> dict[Proto, tuple[int, ...]]:
    out: dict[Proto, tuple[int, ...]] = {}
    for name in LATERAL_PROTOCOLS:
        for proto, port in PROTOCOL_PORTS[name]:
            key: Proto = "tcp" if proto == "tcp" else "udp"
            if port not in out.get(key, ()):
                out[key] = (*out.get(key, ()), port)
    return out


def compile_plan(plan: Plan, hospital: Hospital, name: str = "rempart") -> RuleSet:
    """Compile the plan's network actions (others are ignored here: see the JSON export)."""
    b = _Builder()
    indexed = list(enumerate(plan.actions))

    def of(kind: type[object]) -> list[tuple[int, Action]]:
        return [(i, a) for i, a in indexed if isinstance(a, kind)]

    for i, a in of(QuarantineHosts):
        assert isinstance(a, QuarantineHosts)
        ips = tuple(_host(ip) for ip in a.ips)
        b.add(i, Verdict.DROP, f"quarantine {len(ips)} host(s) src", src=ips)
        b.add(i, Verdict.DROP, f"quarantine {len(ips)} host(s) dst", dst=ips)
    for i, a in of(BlockIndicators):
        assert isinstance(a, BlockIndicators)
        if a.ips:
            ips = tuple(_host(ip) for ip in a.ips)
            b.add(i, Verdict.DROP, "indicator dst", dst=ips)
            b.add(i, Verdict.DROP, "indicator src", src=ips)
    zone_ids = tuple(z.id for z in hospital.zones if z.cidrs)
    for i, a in of(BlockProtocolsBetweenZones):
        assert isinstance(a, BlockProtocolsBetweenZones)
        listed = a.zones or zone_ids
        by_proto: dict[str, tuple[int, ...]] = {}
        for proto, port in a.ports():
            by_proto[proto] = (*by_proto.get(proto, ()), port)
        for z in listed:
            mine = _zone_cidrs(hospital, z)
            others = tuple(c for o in zone_ids if o != z for c in _zone_cidrs(hospital, o))
            if not mine or not others:
                continue
            for proto, ports in by_proto.items():
                tag = f"block {'/'.join(a.protocols)} {z}"
                p: Proto = "tcp" if proto == "tcp" else "udp"
                b.add(i, Verdict.DROP, tag + " out", src=mine, dst=others, proto=p, dports=ports)
                if a.zones:  # all zones listed covers both directions already
                    b.add(i, Verdict.DROP, tag + " in", src=others, dst=mine, proto=p, dports=ports)
    isolations = of(IsolateZones)
    assets = {x.hostname: x for x in hospital.assets}
    for i, a in isolations:
        assert isinstance(a, IsolateZones)
        for z in a.zones:
            mine = _zone_cidrs(hospital, z)
            for host in a.keep_assets:
                asset = assets.get(host)
                if asset is None or asset.ip is None:
                    raise ContainmentError(f"kept asset {host!r} has no known address")
                _endpoint_rules(b, i, mine, (_host(asset.ip),), (), f"isolate {z} keep {host}")
            for kz in a.keep_zones:
                theirs = _zone_cidrs(hospital, kz)
                tag = f"isolate {z} keep zone {kz}"
                for proto, ports in _lateral_ports().items():
                    for s_, d_ in ((mine, theirs), (theirs, mine)):
                        b.add(
                            i,
                            Verdict.DROP,
                            tag + " lateral",
                            src=s_,
                            dst=d_,
                            proto=proto,
                            dports=ports,
                        )
                b.add(i, Verdict.ACCEPT, tag, src=mine, dst=theirs)
                b.add(i, Verdict.ACCEPT, tag, src=theirs, dst=mine)
            for pid in a.keep_partners:
                try:
                    partner = hospital.partner(pid)
                except KeyError:
                    raise ContainmentError(f"unknown partner {pid!r} in plan") from None
                _endpoint_rules(
                    b, i, mine, partner.addresses, partner.ports, f"isolate {z} keep {pid}"
                )
    for i, a in isolations:
        assert isinstance(a, IsolateZones)
        for z in a.zones:
            mine = _zone_cidrs(hospital, z)
            b.add(i, Verdict.DROP, f"isolate {z} out", src=mine, dst=mine, dst_negate=True)
            b.add(i, Verdict.DROP, f"isolate {z} in", src=mine, src_negate=True, dst=mine)
    internal = hospital.hospital.internal_ranges
    for i, a in of(CutEgressExcept):
        assert isinstance(a, CutEgressExcept)
        inside = (
            tuple(c for z in a.from_zones for c in _zone_cidrs(hospital, z))
            if a.from_zones
            else internal
        )
        for pid in a.allow_partners:
            try:
                partner = hospital.partner(pid)
            except KeyError:
                raise ContainmentError(f"unknown partner {pid!r} in plan") from None
            _endpoint_rules(b, i, inside, partner.addresses, partner.ports, f"egress keep {pid}")
        for n, extra in enumerate(a.allow_extra):
            _endpoint_rules(b, i, inside, (extra.cidr,), extra.ports, f"egress keep extra{n}")
        b.add(i, Verdict.DROP, "egress cut", src=inside, dst=internal, dst_negate=True)
    return RuleSet(
        plan_id=plan.id, plan_title=safe_comment(plan.title), name=name, rules=tuple(b.rules)
    )
