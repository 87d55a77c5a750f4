"""Asset inventories from CSV: Rempart's own columns, or a GLPI computer export.

Rempart CSV columns (header required, `,` or `;`): ``hostname, ip, zone, kind, os,
criticality, role, mac, user``; only ``hostname`` is mandatory. A GLPI export of the Computers
list (French or English headers: ``Nom``/``Name``, ``Lieu``/``Location``, ``Type``,
``Système d'exploitation - Nom``/``Operating system - Name``, ``Adresse IP``/``IP address``
or ``Ports réseau - Adresse IP``) is recognised by its headers. A GLPI location is matched to a
zone by id, name or building; otherwise the zone is taken from the IP address.
"""

from __future__ import annotations

import csv
import ipaddress
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from rempart.core.errors import Location
from rempart.model.hospital import Asset, AssetKind, Zone

_ALIASES: dict[str, str] = {
    "hostname": "hostname",
    "nom": "hostname",
    "name": "hostname",
    "ip": "ip",
    "adresse ip": "ip",
    "ip address": "ip",
    "adresses ip": "ip",
    "ports reseau - adresse ip": "ip",
    "ports reseau - adresses ip": "ip",
    "network port - ip": "ip",
    "network ports - ip addresses": "ip",
    "zone": "zone",
    "lieu": "location",
    "location": "location",
    "kind": "kind",
    "type": "type",
    "os": "os",
    "systeme d'exploitation - nom": "os",
    "operating system - name": "os",
    "criticality": "criticality",
    "criticite": "criticality",
    "role": "role",
    "mac": "mac",
    "user": "user",
    "usager": "user",
    "utilisateur": "user",
    "adresse mac": "mac",
}

_GLPI_TYPES: dict[str, AssetKind] = {
    "serveur": AssetKind.SERVER,
    "server": AssetKind.SERVER,
    "portable": AssetKind.LAPTOP,
    "ordinateur portable": AssetKind.LAPTOP,
    "laptop": AssetKind.LAPTOP,
    "notebook": AssetKind.LAPTOP,
    "desktop": AssetKind.WORKSTATION,
    "poste fixe": AssetKind.WORKSTATION,
    "poste de travail": AssetKind.WORKSTATION,
    "equipement medical": AssetKind.MEDICAL_DEVICE,
    "dispositif medical": AssetKind.MEDICAL_DEVICE,
    "medical device": AssetKind.MEDICAL_DEVICE,
}


def _norm(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(folded.strip().lower().replace("’", "'").split())


@dataclass(frozen=True)
class InventoryResult:
    assets: tuple[Asset, ...]
    locations: tuple[Location, ...]  # where each asset came from
    problems: tuple[tuple[Location, str], ...]


def zone_for_ip(ip: str | None, zones: tuple[Zone, ...]) -> str | None:
    """The zone whose CIDR holds `ip` (most specific wins), if any."""
    if not ip:
        return None
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return None
    best: tuple[int, str] | None = None
    for z in zones:
        for cidr in z.cidrs:
            net = ipaddress.ip_network(cidr)
            if addr in net and (best is None or net.prefixlen > best[0]):
                best = (net.prefixlen, z.id)
    return None if best is None else best[1]


MAX_ROW_LINES = 20  # a quoted value spanning more lines is a stray quote, not a value


def _rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str] | None]]:
    """(line, cells) of each CSV row; a row whose quote never closes (a stray `"` would
    take the rest of the file as one value) is (its line, None), and reading goes on at
    the next line."""
    lines = text.splitlines(keepends=True)
    at = 0
    while at < len(lines):
        reader = csv.reader(iter(lines[at:]), delimiter=delimiter)
        done = 0  # lines of `lines[at:]` consumed by the rows given so far
        restart = None
        try:
            for row in reader:
                if reader.line_num - done > MAX_ROW_LINES or (
                    reader.line_num == len(lines) - at
                    and reader.line_num - done > 1
                    and not lines[-1].rstrip("\r\n").endswith('"')
                ):
                    restart = done + 1
                    break
                done = reader.line_num
                yield at + done, row
        except csv.Error:
            restart = done + 1
        if restart is None:
            return
        yield at + restart, None
        at += restart


def read_inventory(path: Path, zones: tuple[Zone, ...], fmt: str = "auto") -> InventoryResult:
    """Read a CSV inventory; bad rows are reported with their line and the rest is kept."""
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    first = text.splitlines()[0] if text else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = _rows(text, delimiter)
    try:
        _, header = next(reader)
    except StopIteration:
        return InventoryResult((), (), ((Location(str(path), 1), "empty inventory"),))
    header = header or []
    columns = [_ALIASES.get(_norm(h)) for h in header]
    if "hostname" not in columns:
        loc = Location(str(path), 1)
        return InventoryResult((), (), ((loc, "no hostname/Nom/Name column in header"),))
    is_glpi = fmt == "glpi" or (fmt == "auto" and ("location" in columns or "type" in columns))
    by_name = {_norm(z.id): z.id for z in zones}
    by_name.update({_norm(z.name): z.id for z in zones})
    by_name.update({_norm(z.building): z.id for z in zones if z.building})
    assets: list[Asset] = []
    locations: list[Location] = []
    problems: list[tuple[Location, str]] = []
    for line, row in reader:
        if row is None:
            problems.append((Location(str(path), line), "unbalanced quote: line skipped"))
            continue
        if not any(cell.strip() for cell in row):
            continue
        record = {c: v.strip() for c, v in zip(columns, row, strict=False) if c and v.strip()}
        if "ip" in record:  # GLPI lists several addresses; keep the first IPv4 one
            candidates = [p.strip() for p in record["ip"].replace(",", " ").split()]
            v4 = [c for c in candidates if c.count(".") == 3]
            record["ip"] = (v4 or candidates or [""])[0]
        if is_glpi:
            if "type" in record:
                record.setdefault("kind", _GLPI_TYPES.get(_norm(record["type"]), "workstation"))
            if "location" in record and "zone" not in record:
                zone_id = by_name.get(_norm(record["location"].split(">")[-1]))
                if zone_id:
                    record["zone"] = zone_id
        record.pop("type", None)
        record.pop("location", None)
        if "zone" not in record:
            zone_id = zone_for_ip(record.get("ip"), zones)
            if zone_id:
                record["zone"] = zone_id
        try:
            assets.append(Asset.model_validate(record))
            locations.append(Location(str(path), line))
        except ValidationError as exc:
            for err in exc.errors():
                field = ".".join(str(p) for p in err["loc"])
                problems.append((Location(str(path), line), f"{field}: {err['msg']}"))
    return InventoryResult(tuple(assets), tuple(locations), tuple(problems))
