"""What is known of an attack when a plan is asked for: the planner's only input.

The lead builds a `Situation` from an incident; an analyst can also write it by hand as JSON
(`rempart plan --situation FILE`). The JSON format is the model itself::

    {
      "incident_id": "INC-2019-03-11",                  # optional
      "observed_at": "2019-03-11T09:40:00Z",
      "infected":  [{"ip": "10.1.0.23", "hostname": "pc-a-0023", "zone": "bat-a"}],
      "suspected": [{"ip": "10.1.0.40"}],               # hostname and zone optional
      "affected_zones": ["bat-a"],
      "senders": ["rh@ch-exemp1e.fr"], "domains": ["ch-exemp1e.fr"],
      "urls": ["http://ch-exemp1e.fr/paie.doc"], "indicators": ["203.0.113.66", "<sha256>"],
      "compromised_accounts": ["jdupont"], "campaign_message_ids": ["<abc@x>"]
    }

Every list may be omitted. Unknown keys are refused (a typo must not silently drop data).
"""

from __future__ import annotations

import ipaddress
import json
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from rempart.contain.actions import HostRef, ZoneRef
from rempart.core.errors import ConfigError
from rempart.model.hospital import Frozen, Hospital
from rempart.model.inventory import zone_for_ip


class Situation(Frozen):
    """Infected and suspected hosts, affected zones, malicious artefacts, and when."""

    observed_at: datetime
    incident_id: str | None = None
    infected: tuple[HostRef, ...] = ()
    suspected: tuple[HostRef, ...] = ()
    affected_zones: tuple[ZoneRef, ...] = ()
    # hosts known only by name (Windows logs) that no asset of the model resolves to an
    # address: no firewall rule can hold them, they are isolated by hand (EDR, cable)
    unresolved_hosts: tuple[str, ...] = ()
    senders: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()  # IP addresses and file hashes
    compromised_accounts: tuple[str, ...] = ()
    campaign_message_ids: tuple[str, ...] = ()

    def with_zones(self, hospital: Hospital) -> Situation:
        """Hosts without a zone get it from the model (asset, then CIDR); zones are merged."""
        by_ip = {a.ip: a for a in hospital.assets if a.ip}

        def fill(h: HostRef) -> HostRef:
            if h.zone and h.hostname:
                return h
            asset = by_ip.get(h.ip)
            zone = h.zone or (asset.zone if asset else None) or zone_for_ip(h.ip, hospital.zones)
            name = h.hostname or (asset.hostname if asset else None)
            return HostRef(ip=h.ip, hostname=name, zone=zone)

        infected = tuple(fill(h) for h in self.infected)
        suspected = tuple(fill(h) for h in self.suspected)
        zones = self.affected_zones + tuple(h.zone for h in infected if h.zone)
        return self.model_copy(
            update={
                "infected": infected,
                "suspected": suspected,
                "affected_zones": tuple(dict.fromkeys(zones)),
            }
        )

    @property
    def indicator_ips(self) -> tuple[str, ...]:
        out: list[str] = []
        for value in self.indicators:
            try:
                out.append(str(ipaddress.ip_address(value.strip())))
            except ValueError:
                continue
        return tuple(dict.fromkeys(out))

    @property
    def indicator_hashes(self) -> tuple[str, ...]:
        ips = set(self.indicator_ips)
        return tuple(v for v in self.indicators if v.strip() not in ips)


def load_situation(path: Path | str) -> Situation:
    """Read a situation JSON file; errors name the file and the field (or the line)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}@{exc.start}: not UTF-8 text") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from exc
    try:
        return Situation.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"{path}: invalid situation: {problems}") from exc


def dump_situation(situation: Situation) -> str:
    """The JSON form read by `load_situation` (round-trips)."""
    return situation.model_dump_json(indent=2, exclude_defaults=True)
