"""The hospital as Rempart sees it: sites, zones, assets, care services, partners, doors.

Values are frozen pydantic models validated when built. Cross-references (a service that
depends on an unknown zone) are checked by `Hospital` itself so that any way of building
one (YAML, CSV import, the twin) gets the same guarantees.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

Loc = tuple[str | int, ...]
Ident = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ZoneKind(StrEnum):
    BUILDING = "building"
    SEGMENT = "segment"
    SERVER = "server"
    MEDICAL = "medical"
    WIFI = "wifi"
    DMZ = "dmz"
    ADMIN = "admin"


class AssetKind(StrEnum):
    WORKSTATION = "workstation"
    SERVER = "server"
    MEDICAL_DEVICE = "medical_device"
    NETWORK = "network"
    LAPTOP = "laptop"
    OTHER = "other"


class Criticality(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    VITAL = "vital"


class PartnerKind(StrEnum):
    BIOLOGY_LAB = "biology_lab"
    TREASURY = "treasury"
    HEALTH_DATA_HOST = "health_data_host"
    SAMU = "samu"
    SECURE_MESSAGING = "secure_messaging"
    PAYROLL = "payroll"
    VENDOR = "vendor"
    ISP = "isp"
    AUTHORITY = "authority"
    OTHER = "other"


class DoorKind(StrEnum):
    EMAIL_GATEWAY = "email_gateway"
    PROXY = "proxy"
    VPN = "vpn"
    REMOTE_MAINTENANCE = "remote_maintenance"
    WIFI = "wifi"
    PARTNER_LINK = "partner_link"
    WEB_PORTAL = "web_portal"
    OTHER = "other"


def _check_cidr(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value, strict=False))
    except ValueError as exc:
        raise ValueError(f"not a CIDR network: {value!r}") from exc


def _check_sender(value: str) -> str:
    """A mail address or shell pattern, lower-cased (addresses are compared lower-cased)."""
    local, at, domain = value.strip().lower().rpartition("@")
    if not at or not local or not domain or any(c.isspace() for c in value.strip()):
        raise ValueError(f"not a mail address or pattern (name@domain): {value!r}")
    return f"{local}@{domain}"


SenderPattern = Annotated[str, AfterValidator(_check_sender)]


def _check_domain(value: str) -> str:
    """A domain name, lower-cased, without a trailing dot."""
    domain = value.strip().lower().rstrip(".")
    if "." not in domain or any(c.isspace() or c in "@/:" for c in domain):
        raise ValueError(f"not a domain name (ch-exemple.fr): {value!r}")
    return domain


DomainName = Annotated[str, AfterValidator(_check_domain)]


class Site(Frozen):
    id: Ident
    name: str
    city: str | None = None


class Zone(Frozen):
    """A building, network segment or Wi-Fi: the unit containment isolates."""

    id: Ident
    name: str
    site: Ident | None = None
    kind: ZoneKind = ZoneKind.BUILDING
    building: str | None = None
    vlan: int | None = Field(default=None, ge=1, le=4094)
    cidrs: tuple[str, ...] = ()

    @field_validator("cidrs")
    @classmethod
    def _cidrs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_check_cidr(v) for v in value)


class Asset(Frozen):
    hostname: Annotated[str, Field(min_length=1, max_length=253)]
    ip: str | None = None
    zone: Ident | None = None
    kind: AssetKind = AssetKind.WORKSTATION
    os: str | None = None
    criticality: Criticality = Criticality.LOW
    role: str | None = None  # file_server, domain_controller, management, dpi, pacs...
    mac: str | None = None
    user: str | None = None  # main user's login or mail address (links a mail to a PC)

    @field_validator("ip")
    @classmethod
    def _ip(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return str(ipaddress.ip_address(value))
        except ValueError as exc:
            raise ValueError(f"not an IP address: {value!r}") from exc


class DependencyKind(StrEnum):
    ASSET = "asset"
    ZONE = "zone"
    PARTNER = "partner"
    SERVICE = "service"


class Dependency(Frozen):
    """What a care service needs to work; `vital` means care stops without it."""

    kind: DependencyKind
    ref: Ident | str
    vital: bool | None = None  # None: inherits the service's vital flag
    note: str | None = None


class CareService(Frozen):
    id: Ident
    name: str
    kind: str = "other"  # emergency, surgery, radiology, lab, pharmacy, samu, icu...
    vital: bool = False
    zones: tuple[Ident, ...] = ()
    depends_on: tuple[Dependency, ...] = ()
    degraded_procedure: str | None = None
    degraded_procedure_en: str | None = None  # the same in English, when written

    def procedure_in(self, lang: str) -> str | None:
        """The fallback procedure in `lang` (the French one when there is no translation)."""
        if lang == "en" and self.degraded_procedure_en:
            return self.degraded_procedure_en
        return self.degraded_procedure

    def dependency_is_vital(self, dep: Dependency) -> bool:
        return self.vital if dep.vital is None else dep.vital


class Partner(Frozen):
    """An external organisation the hospital exchanges with (lab, treasury, HDS...)."""

    id: Ident
    name: str
    kind: PartnerKind = PartnerKind.OTHER
    vital: bool = False
    addresses: tuple[str, ...] = ()
    ports: tuple[int, ...] = ()
    domains: tuple[str, ...] = ()

    @field_validator("addresses")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_check_cidr(v) for v in value)

    @field_validator("ports")
    @classmethod
    def _ports(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        for port in value:
            if not 0 < port < 65536:
                raise ValueError(f"port out of range: {port}")
        return value


class Door(Frozen):
    """An entrance from outside: email gateway, proxy, VPN, vendor remote access..."""

    id: Ident
    name: str
    kind: DoorKind = DoorKind.OTHER
    asset: str | None = None
    addresses: tuple[str, ...] = ()
    ports: tuple[int, ...] = ()
    partner: Ident | None = None

    @field_validator("addresses")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_check_cidr(v) for v in value)


class Person(Frozen):
    """Staff whose names attackers impersonate (directors, finance, IT)."""

    name: str
    role: str | None = None
    email: str | None = None


class Inventory(Frozen):
    """An asset inventory file referenced from hospital.yaml (relative to it)."""

    path: str
    format: str = "auto"  # auto / rempart / glpi


class HospitalInfo(Frozen):
    name: str
    finess: str | None = None  # French health-establishment id, used in the declaration
    domains: tuple[str, ...] = ()
    internal_ranges: tuple[str, ...] = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
    # internal senders whose mass mailings are expected (communication, IT, staff lists):
    # an address or a shell pattern ("*@info.ch-exemple.fr"); their bursts are reported only
    # when sent from a client address the account never used before
    broadcast_senders: tuple[SenderPattern, ...] = ()
    # the authserv-id the mail gateway writes at the head of its Authentication-Results
    # ("mx.ch-exemple.fr"): only those headers are then believed; unset, the topmost one is
    authserv_ids: tuple[str, ...] = ()
    # domains whose mail, once authenticated by the gateway (DMARC), the text model alone
    # does not make suspicious: the software vendors, agencies and groups the hospital
    # hears from (large notifiers such as microsoft.com or ameli.fr are known already)
    trusted_senders: tuple[DomainName, ...] = ()

    @field_validator("internal_ranges")
    @classmethod
    def _ranges(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_check_cidr(v) for v in value)


class Hospital(Frozen):
    """The whole model; cross-references are checked on construction."""

    hospital: HospitalInfo
    sites: tuple[Site, ...] = ()
    zones: tuple[Zone, ...] = ()
    assets: tuple[Asset, ...] = ()
    services: tuple[CareService, ...] = ()
    partners: tuple[Partner, ...] = ()
    doors: tuple[Door, ...] = ()
    people: tuple[Person, ...] = ()
    inventories: tuple[Inventory, ...] = ()

    @model_validator(mode="after")
    def _references(self, info: ValidationInfo) -> Self:
        if info.context and info.context.get("skip_references"):
            return self
        problems = self.reference_problems()
        if problems:
            raise ValueError("; ".join(msg for _, msg in problems))
        return self

    def reference_problems(self) -> list[tuple[Loc, str]]:
        """Duplicate ids and dangling references, each with the path of the culprit."""
        problems: list[tuple[Loc, str]] = []
        groups: tuple[tuple[str, tuple[Site | Zone | CareService | Partner | Door, ...]], ...] = (
            ("sites", self.sites),
            ("zones", self.zones),
            ("services", self.services),
            ("partners", self.partners),
            ("doors", self.doors),
        )
        for key, items in groups:
            seen: set[str] = set()
            for i, item in enumerate(items):
                if item.id in seen:
                    problems.append(((key, i, "id"), f"duplicate id {item.id!r} in {key}"))
                seen.add(item.id)
        sites = {s.id for s in self.sites}
        zones = {z.id for z in self.zones}
        known = {
            DependencyKind.ASSET: {a.hostname for a in self.assets},
            DependencyKind.ZONE: zones,
            DependencyKind.PARTNER: {p.id for p in self.partners},
            DependencyKind.SERVICE: {s.id for s in self.services},
        }
        for i, z in enumerate(self.zones):
            if z.site is not None and z.site not in sites:
                problems.append((("zones", i, "site"), f"zone {z.id!r}: unknown site {z.site!r}"))
        for i, a in enumerate(self.assets):
            if a.zone is not None and a.zone not in zones:
                msg = f"asset {a.hostname!r}: unknown zone {a.zone!r}"
                problems.append((("assets", i, "zone"), msg))
        for i, s in enumerate(self.services):
            for j, z_id in enumerate(s.zones):
                if z_id not in zones:
                    msg = f"service {s.id!r}: unknown zone {z_id!r}"
                    problems.append((("services", i, "zones", j), msg))
            for j, d in enumerate(s.depends_on):
                if d.ref not in known[d.kind]:
                    msg = f"service {s.id!r}: depends on unknown {d.kind.value} {d.ref!r}"
                    problems.append((("services", i, "depends_on", j, "ref"), msg))
        for i, door in enumerate(self.doors):
            if door.partner is not None and door.partner not in known[DependencyKind.PARTNER]:
                msg = f"door {door.id!r}: unknown partner {door.partner!r}"
                problems.append((("doors", i, "partner"), msg))
        return problems

    # --- lookups -------------------------------------------------------------------------
    def zone(self, zone_id: str) -> Zone:
        for z in self.zones:
            if z.id == zone_id:
                return z
        raise KeyError(zone_id)

    def partner(self, partner_id: str) -> Partner:
        for p in self.partners:
            if p.id == partner_id:
                return p
        raise KeyError(partner_id)
