"""Exports of the indicator store: an nftables set and an ipset of the addresses to block, a
Zeek Intel file for the sensors, and a STIX 2.1 bundle of the sightings to share back.

Renderers are pure (rows in, text out); `write_atomic` writes a file through a temporary
file in the target's folder and `os.replace`, and refuses a target that is a symbolic link.
The STIX bundle respects TLP: indicators marked TLP:RED (or above `tlp_max`) are left out
with their sightings, and the bundle names no internal host, only counts and times.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from rempart.core.errors import ConfigError

FORMATS = ("nftables", "ipset", "zeek", "stix")
TLP_RANK = {"clear": 0, "green": 1, "amber": 2, "amber+strict": 3, "red": 4}
_NAMESPACE = uuid.UUID("6f1f3b8e-5d2a-4c1e-9a55-2f8d7c0e4b11")  # stable STIX ids
_TLP_IDS = {  # TLP 2.0 marking definitions (STIX 2.1 extension)
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
}
_ZEEK_TYPES = {
    "ip": "Intel::ADDR", "cidr": "Intel::SUBNET", "domain": "Intel::DOMAIN",
    "url": "Intel::URL", "email": "Intel::EMAIL", "md5": "Intel::FILE_HASH",
    "sha1": "Intel::FILE_HASH", "sha256": "Intel::FILE_HASH", "filename": "Intel::FILE_NAME",
    "user_agent": "Intel::SOFTWARE", "ja3": "Intel::JA3",
}  # fmt: skip
_STIX_PATHS = {
    "ip": "ipv4-addr:value", "cidr": "ipv4-addr:value", "domain": "domain-name:value",
    "url": "url:value", "email": "email-addr:value", "md5": "file:hashes.MD5",
    "sha1": "file:hashes.'SHA-1'", "sha256": "file:hashes.'SHA-256'", "filename": "file:name",
    "command_line": "process:command_line", "uri": "url:value", "ja3": "x-ja3:value",
    "ja3s": "x-ja3s:value",
    "user_agent": "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'",
}  # fmt: skip


def _clean(text: object) -> str:
    """A field for a tab-separated or quoted line: no control characters."""
    return "".join(c if c.isprintable() else " " for c in str(text or ""))


def blocklist(rows: Iterable[Mapping[str, Any]]) -> tuple[list[str], list[str]]:
    """IPv4 and IPv6 addresses and blocks to block (ip and cidr indicators)."""
    v4: set[str] = set()
    v6: set[str] = set()
    for r in rows:
        if r["type"] in ("ip", "cidr") and not r.get("allowlisted"):
            (v6 if ":" in str(r["value"]) else v4).add(str(r["value"]))
    return sorted(v4), sorted(v6)


def render_nftables(rows: Iterable[Mapping[str, Any]], name: str = "rempart_intel") -> str:
    """An nftables table with two interval sets and a chain dropping traffic to and from
    them (the file is written, never applied: `nft -f` is the operator's decision)."""
    v4, v6 = blocklist(rows)
    lines = [
        f"# Rempart: {len(v4) + len(v6)} indicator address(es) to block",
        f"table inet {name} {{",
    ]
    for setname, kind, values in (("block_v4", "ipv4_addr", v4), ("block_v6", "ipv6_addr", v6)):
        lines += [f"\tset {setname} {{", f"\t\ttype {kind}", "\t\tflags interval", "\t\tauto-merge"]
        if values:
            lines.append("\t\telements = { " + ", ".join(values) + " }")
        lines.append("\t}")
    lines += [
        "\tchain forward {",
        "\t\ttype filter hook forward priority -5; policy accept;",
        "\t\tip daddr @block_v4 counter drop",
        "\t\tip saddr @block_v4 counter drop",
        "\t\tip6 daddr @block_v6 counter drop",
        "\t\tip6 saddr @block_v6 counter drop",
        "\t}",
        "}",
    ]
    return "\n".join(lines) + "\n"


def render_ipset(rows: Iterable[Mapping[str, Any]], name: str = "rempart-intel") -> str:
    """`ipset restore` input: one hash:net set per family."""
    v4, v6 = blocklist(rows)
    lines = [f"create {name} hash:net family inet -exist", f"flush {name}"]
    lines += [f"add {name} {v} -exist" for v in v4]
    lines += [f"create {name}-v6 hash:net family inet6 -exist", f"flush {name}-v6"]
    lines += [f"add {name}-v6 {v} -exist" for v in v6]
    return "\n".join(lines) + "\n"


def render_zeek(rows: Iterable[Mapping[str, Any]]) -> str:
    """A Zeek Intel framework file (tab-separated, `#fields` header)."""
    lines = ["#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc"]
    for r in rows:
        kind = _ZEEK_TYPES.get(str(r["type"]))
        if kind is None or r.get("allowlisted"):
            continue
        value = str(r["value"])
        if r["type"] == "url":  # Zeek's URLs have no scheme
            value = value.split("://", 1)[-1]
        sources = r.get("sources") or []
        source = "; ".join(sources) if isinstance(sources, list) else str(sources)
        lines.append("\t".join(_clean(x) or "-" for x in (value, kind, source[:200], "rempart")))
    return "\n".join(lines) + "\n"


def _stix_id(kind: str, key: str) -> str:
    return f"{kind}--{uuid.uuid5(_NAMESPACE, key)}"


def _pattern(kind: str, value: str, port: int | None = None) -> str | None:
    path = _STIX_PATHS.get(kind)
    if path is None:
        return None
    if kind == "ip" and port is not None:  # the address and its port, as one connection
        return (
            f"[network-traffic:dst_ref.value = '{value}' "
            f"AND network-traffic:dst_port = {int(port)}]"
        )
    if kind == "cidr" and ":" in value:
        path = "ipv6-addr:value"
    if kind == "ip" and ":" in value:
        path = "ipv6-addr:value"
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    if kind == "uri":
        return f"[url:value LIKE '%{escaped}%']"
    return f"[{path} = '{escaped}']"


def _ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def render_stix(
    indicators: Iterable[Mapping[str, Any]],
    sightings: Iterable[Mapping[str, Any]],
    *,
    organisation: str,
    now: datetime,
    tlp_max: str = "amber",
) -> tuple[str, int, int]:
    """A STIX 2.1 bundle: the hospital's identity, each sighted indicator (TLP kept) and one
    sighting per indicator (count, first and last seen). Returns (json, shared, withheld)."""
    if tlp_max not in TLP_RANK or tlp_max == "red":
        raise ConfigError(
            f"TLP maximum must be one of clear, green, amber, amber+strict: {tlp_max}"
        )
    limit = TLP_RANK[tlp_max]
    identity = {
        "type": "identity",
        "spec_version": "2.1",
        "id": _stix_id("identity", organisation),
        "created": _ts(now),
        "modified": _ts(now),
        "name": organisation,
        "identity_class": "organization",
        "sectors": ["healthcare"],
    }
    objects: list[dict[str, Any]] = [identity]
    by_uid = {str(r["indicator_uid"]): r for r in indicators}
    shared = withheld = 0
    for s in sightings:
        ind = by_uid.get(str(s["uid"]))
        if ind is None:
            continue
        tlp = str(ind.get("tlp") or "clear")
        port = ind.get("port")
        pattern = _pattern(str(ind["type"]), str(ind["value"]), int(port) if port else None)
        if TLP_RANK.get(tlp, 4) > limit or pattern is None:
            withheld += 1
            continue
        shared += 1
        marking = [_TLP_IDS[tlp]]
        ind_id = _stix_id("indicator", f"{ind['type']}|{ind['value']}|{ind.get('port')}")
        objects.append(
            {
                "type": "indicator",
                "spec_version": "2.1",
                "id": ind_id,
                "created": _ts(now),
                "modified": _ts(now),
                "name": f"{ind['value']} ({ind['type']})",
                "pattern": pattern,
                "pattern_type": "stix",
                "valid_from": _ts(ind.get("first_seen") or s["first_seen"]),
                "indicator_types": ["malicious-activity"],
                "object_marking_refs": marking,
            }
        )
        objects.append(
            {
                "type": "sighting",
                "spec_version": "2.1",
                "id": _stix_id("sighting", f"{ind_id}|{organisation}"),
                "created": _ts(now),
                "modified": _ts(now),
                "created_by_ref": identity["id"],
                "sighting_of_ref": ind_id,
                "first_seen": _ts(s["first_seen"]),
                "last_seen": _ts(s["last_seen"]),
                "count": int(s["count"]),
                "where_sighted_refs": [identity["id"]],
                "object_marking_refs": marking,
            }
        )
    bundle = {"type": "bundle", "id": _stix_id("bundle", f"{organisation}|{_ts(now)}"),
              "objects": objects}  # fmt: skip
    return json.dumps(bundle, indent=1, ensure_ascii=False) + "\n", shared, withheld


def write_atomic(path: Path, text: str) -> Path:
    """Write `text` to `path` at once: a temporary file in the same folder, then
    `os.replace`; a symbolic link at `path` is refused (it could point anywhere)."""
    target = Path(path)
    if target.is_symlink():
        raise ConfigError(f"{target}: refusing to write through a symbolic link")
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return target


__all__ = [
    "FORMATS",
    "blocklist",
    "render_ipset",
    "render_nftables",
    "render_stix",
    "render_zeek",
    "write_atomic",
]
