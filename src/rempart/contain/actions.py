"""Containment actions and plans: frozen, typed values that say what they block and keep.

An action is data; nothing here touches a firewall. Network actions (isolate zones, block
protocols between zones, cut egress, quarantine hosts, block indicator addresses) compile to
firewall rules in `rempart.contain.export`; the others (senders, domains, accounts, e-mail
campaigns) are exported as JSON/CSV for the mail gateway, the directory and the proxy.
Every action carries the `reason` it was proposed for, and `describe()` says in French or
English (from the catalogue, `core/locale/contain.yaml`) what it blocks and what it keeps,
so a plan is explainable without reading code.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from rempart.core.i18n import CATALOG, Lang, msg, t
from rempart.model.hospital import Frozen, Ident

# Application protocols a worm uses to move between machines, with their transport ports.
PROTOCOL_PORTS: dict[str, tuple[tuple[str, int], ...]] = {
    "smb": (("tcp", 445), ("tcp", 139), ("udp", 137), ("udp", 138)),
    "rdp": (("tcp", 3389), ("udp", 3389)),
    "winrm": (("tcp", 5985), ("tcp", 5986)),
    "rpc": (("tcp", 135),),
    "ssh": (("tcp", 22),),
    "vnc": (("tcp", 5900),),
    "wmi": (("tcp", 135),),
}
LATERAL_PROTOCOLS: tuple[str, ...] = ("smb", "rdp", "winrm", "rpc")


# A zone as incidents name it: a declared zone id, or a /24 derived from an address when the
# model declares none. Only declared zones reach an action that isolates or blocks.
ZoneRef = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:/-]+$")]


def _ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError as exc:
        raise ValueError(f"not an IP address: {value!r}") from exc


def _nonempty(value: tuple[str, ...], what: str) -> tuple[str, ...]:
    if not value:
        raise ValueError(f"at least one {what} is needed")
    return tuple(dict.fromkeys(value))  # de-duplicated, order kept


class ActionText(Frozen):
    """What an action blocks and keeps, in one language (for tables and reports)."""

    title: str
    blocks: str
    keeps: str


class _Action(Frozen):
    # why the action is proposed: a catalogue key (`contain.reason.*`, rendered per language
    # with `reason_params` by `reason_in`), or a free text a person typed (shown as is)
    reason: str = Field(min_length=1)
    reason_params: tuple[tuple[str, str], ...] = ()

    def reason_in(self, lang: Lang = "fr") -> str:
        """The reason in `lang`: the catalogue's text for a key, else the text given."""
        if self.reason in CATALOG:
            return t(self.reason, lang, **dict(self.reason_params))
        return self.reason

    @property
    def network(self) -> bool:
        """True when the action compiles to firewall rules."""
        return False

    def describe(self, lang: Lang = "fr") -> ActionText:  # pragma: no cover - abstract
        raise NotImplementedError


def _text(kind: str, lang: Lang, **values: object) -> ActionText:
    """The action's title, what it blocks and what it keeps, from the catalogue
    (`core/locale/contain.yaml`, keys `action.<kind>.title|blocks|keeps`)."""
    return ActionText(
        title=t(f"action.{kind}.title", lang, **values),
        blocks=t(f"action.{kind}.blocks", lang, **values),
        keeps=t(f"action.{kind}.keeps", lang, **values),
    )


def _list(items: tuple[str, ...], limit: int = 6) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" (+{len(items) - limit})" if len(items) > limit else "")


class IsolateZones(_Action):
    """Cut every flow between the zones and the rest (other zones and the internet).

    `keep_assets` (hostnames) and `keep_partners` (partner ids, on their declared ports)
    stay reachable from the isolated zones; `keep_zones` stay connected both ways except
    for lateral-movement protocols: the carve-outs that keep care running.
    """

    kind: Literal["isolate_zones"] = "isolate_zones"
    zones: tuple[Ident, ...]
    keep_assets: tuple[str, ...] = ()
    keep_partners: tuple[Ident, ...] = ()
    keep_zones: tuple[Ident, ...] = ()

    @field_validator("zones")
    @classmethod
    def _zones(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return _nonempty(v, "zone")

    @property
    def network(self) -> bool:
        return True

    def describe(self, lang: Lang = "fr") -> ActionText:
        zones = _list(self.zones)
        kept = _list(self.keep_assets + self.keep_partners + self.keep_zones) or "—"
        return _text("isolate_zones", lang, zones=zones, kept=kept)


class BlockProtocolsBetweenZones(_Action):
    """Block lateral-movement protocols (SMB, RDP, WinRM...) between different zones.

    `zones` empty means between every pair of zones of the hospital; otherwise between each
    listed zone and every other zone. Traffic inside one
    zone (same subnet) never crosses the firewall, so it is not blocked by this action.
    """

    kind: Literal["block_protocols"] = "block_protocols"
    protocols: tuple[str, ...]
    zones: tuple[Ident, ...] = ()

    @field_validator("protocols")
    @classmethod
    def _protocols(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        v = tuple(p.lower() for p in _nonempty(v, "protocol"))
        unknown = [p for p in v if p not in PROTOCOL_PORTS]
        if unknown:
            raise ValueError(f"unknown protocol(s) {unknown}; known: {sorted(PROTOCOL_PORTS)}")
        return v

    def ports(self) -> tuple[tuple[str, int], ...]:
        """(transport, port) pairs blocked, de-duplicated, in a stable order."""
        return tuple(dict.fromkeys(pp for p in self.protocols for pp in PROTOCOL_PORTS[p]))

    @property
    def network(self) -> bool:
        return True

    def describe(self, lang: Lang = "fr") -> ActionText:
        protos = "/".join(p.upper() for p in self.protocols)
        where = _list(self.zones) if self.zones else None
        where_ = where if where else msg("action.all_zones")
        return _text("block_protocols", lang, protocols=protos, where=where_)


class BlockProtocolsWithinZones(_Action):
    """Block lateral-movement protocols between workstations *inside* the given zones.

    Traffic inside a zone never crosses the firewall, so this is not a firewall rule: it is
    applied by the Windows firewall through a GPO (inbound SMB/RDP/WinRM refused on
    workstations) or by private VLANs on the switches. Servers keep serving their shares, so
    no care dependency is cut; it stops a worm inside a building, which isolating the
    building from the others cannot do.
    """

    kind: Literal["block_protocols_within"] = "block_protocols_within"
    protocols: tuple[str, ...]
    zones: tuple[Ident, ...]

    @field_validator("protocols")
    @classmethod
    def _protocols(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return BlockProtocolsBetweenZones._protocols(v)

    @field_validator("zones")
    @classmethod
    def _zones(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return _nonempty(v, "zone")

    def ports(self) -> tuple[tuple[str, int], ...]:
        return tuple(dict.fromkeys(pp for p in self.protocols for pp in PROTOCOL_PORTS[p]))

    def describe(self, lang: Lang = "fr") -> ActionText:
        protos = "/".join(p.upper() for p in self.protocols)
        zones = _list(self.zones)
        return _text("block_protocols_within", lang, protocols=protos, zones=zones)


class AllowedEndpoint(Frozen):
    """An external address kept by an egress cut without being a declared partner."""

    cidr: str
    ports: tuple[int, ...] = ()
    note: str | None = None

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, v: str) -> str:
        try:
            return str(ipaddress.ip_network(v, strict=False))
        except ValueError as exc:
            raise ValueError(f"not a CIDR network: {v!r}") from exc

    @field_validator("ports")
    @classmethod
    def _ports(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if any(not 0 < p < 65536 for p in v):
            raise ValueError(f"port out of range in {v}")
        return v


class CutEgressExcept(_Action):
    """Cut connections from inside to the internet, except to an allowlist of partners.

    `from_zones` empty means the whole hospital (its internal ranges). Partners are kept on
    their declared addresses and ports; `allow_extra` holds reviewed, undeclared endpoints.
    """

    kind: Literal["cut_egress"] = "cut_egress"
    allow_partners: tuple[Ident, ...] = ()
    allow_extra: tuple[AllowedEndpoint, ...] = ()
    from_zones: tuple[Ident, ...] = ()

    @property
    def network(self) -> bool:
        return True

    def describe(self, lang: Lang = "fr") -> ActionText:
        kept = _list(self.allow_partners + tuple(e.cidr for e in self.allow_extra)) or "—"
        where = _list(self.from_zones) if self.from_zones else None
        where_ = where if where else msg("action.whole_hospital")
        return _text("cut_egress", lang, where=where_, kept=kept)


class HostRef(Frozen):
    """A machine named by its address (and hostname/zone when known)."""

    ip: str
    hostname: str | None = None
    zone: ZoneRef | None = None  # a declared zone, or a derived one ("10.1.2.0/24")

    @field_validator("ip")
    @classmethod
    def _ip(cls, v: str) -> str:
        return _ip(v)


class QuarantineHosts(_Action):
    """Drop every flow to and from the hosts (the network side of pulling the cable)."""

    kind: Literal["quarantine_hosts"] = "quarantine_hosts"
    hosts: tuple[HostRef, ...]

    @field_validator("hosts")
    @classmethod
    def _hosts(cls, v: tuple[HostRef, ...]) -> tuple[HostRef, ...]:
        if not v:
            raise ValueError("at least one host is needed")
        return tuple({h.ip: h for h in v}.values())

    @property
    def ips(self) -> tuple[str, ...]:
        return tuple(h.ip for h in self.hosts)

    @property
    def network(self) -> bool:
        return True

    def describe(self, lang: Lang = "fr") -> ActionText:
        names = _list(tuple(h.hostname or h.ip for h in self.hosts))
        return _text("quarantine_hosts", lang, n=len(self.hosts), names=names)


class BlockSenders(_Action):
    """Block e-mail senders at the mail gateway."""

    kind: Literal["block_senders"] = "block_senders"
    addresses: tuple[str, ...]

    @field_validator("addresses")
    @classmethod
    def _addresses(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        v = tuple(a.strip().lower() for a in _nonempty(v, "address"))
        bad = [a for a in v if "@" not in a or any(c.isspace() for c in a)]
        if bad:
            raise ValueError(f"not e-mail addresses: {bad}")
        return v

    def describe(self, lang: Lang = "fr") -> ActionText:
        who = _list(self.addresses)
        return _text("block_senders", lang, who=who)


_DOMAIN = r"^([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$"


class BlockDomains(_Action):
    """Block domains at the mail gateway, the proxy and the DNS resolver."""

    kind: Literal["block_domains"] = "block_domains"
    domains: tuple[Annotated[str, Field(max_length=253, pattern=_DOMAIN)], ...]

    @field_validator("domains", mode="before")
    @classmethod
    def _domains(cls, v: object) -> object:
        if isinstance(v, list | tuple):
            return _nonempty(tuple(str(d).strip().lower().rstrip(".") for d in v), "domain")
        return v

    def describe(self, lang: Lang = "fr") -> ActionText:
        doms = _list(self.domains)
        return _text("block_domains", lang, domains=doms)


class BlockIndicators(_Action):
    """Block indicators of compromise: addresses at the firewall, URLs and hashes elsewhere."""

    kind: Literal["block_indicators"] = "block_indicators"
    ips: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    hashes: tuple[str, ...] = ()

    @field_validator("ips")
    @classmethod
    def _ips(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(_ip(i) for i in v))

    @model_validator(mode="after")
    def _some(self) -> BlockIndicators:
        if not (self.ips or self.urls or self.hashes):
            raise ValueError("at least one indicator is needed")
        return self

    @property
    def network(self) -> bool:
        return bool(self.ips)

    def describe(self, lang: Lang = "fr") -> ActionText:
        n = len(self.ips) + len(self.urls) + len(self.hashes)
        return _text(
            "block_indicators",
            lang,
            n=n,
            ips=len(self.ips),
            urls=len(self.urls),
            hashes=len(self.hashes),
        )


class DisableAccounts(_Action):
    """Disable accounts in the directory (and revoke their sessions)."""

    kind: Literal["disable_accounts"] = "disable_accounts"
    accounts: tuple[str, ...]

    @field_validator("accounts")
    @classmethod
    def _accounts(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return _nonempty(tuple(a.strip() for a in v if a.strip()), "account")

    def describe(self, lang: Lang = "fr") -> ActionText:
        who = _list(self.accounts)
        return _text("disable_accounts", lang, who=who)


class PurgeEmailCampaign(_Action):
    """Remove a phishing campaign's messages from every mailbox."""

    kind: Literal["purge_email"] = "purge_email"
    message_ids: tuple[str, ...]

    @field_validator("message_ids")
    @classmethod
    def _ids(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return _nonempty(v, "message id")

    def describe(self, lang: Lang = "fr") -> ActionText:
        n = len(self.message_ids)
        return _text("purge_email", lang, n=n)


Action = Annotated[
    IsolateZones
    | BlockProtocolsBetweenZones
    | BlockProtocolsWithinZones
    | CutEgressExcept
    | QuarantineHosts
    | BlockSenders
    | BlockDomains
    | BlockIndicators
    | DisableAccounts
    | PurgeEmailCampaign,
    Field(discriminator="kind"),
]


class Confirmation(Frozen):
    """A vital cut accepted by a named person, with the reason, at a given time.

    `target` names what is accepted: a care service id, a dependency ref (asset hostname,
    zone or partner id) or `service:ref` for one dependency of one service.
    """

    target: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    by: str = Field(min_length=1)
    at: datetime


class Plan(Frozen):
    """A containment plan: ordered actions, why, and the vital cuts confirmed so far."""

    id: Ident
    title: str
    actions: tuple[Action, ...]
    rationale: str = ""
    confirmations: tuple[Confirmation, ...] = ()
    # catalogue keys of the title and the rationale (the planner's plans); a plan written
    # by hand has none and shows its own text
    title_key: str | None = None
    rationale_key: str | None = None

    def title_in(self, lang: Lang = "fr") -> str:
        return t(self.title_key, lang) if self.title_key else self.title

    def rationale_in(self, lang: Lang = "fr") -> str:
        return t(self.rationale_key, lang) if self.rationale_key else self.rationale

    def with_actions(self, *actions: Action) -> Plan:
        return self.model_copy(update={"actions": self.actions + actions})

    @property
    def network_actions(self) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.network)
