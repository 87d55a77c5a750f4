"""MISP events: an event JSON (`{"Event": ...}`, or a REST search's `{"response": [...]}`)
and MISP feed folders (`manifest.json` listing `<uuid>.json` events).

Each attribute (and each attribute of an object) of a type Rempart can hunt becomes an
indicator; composite types (`domain|ip`, `filename|sha256`, `ip-dst|port`) give their parts.
The event's `info`, its creator and date name the source; `tlp:` tags (event or attribute)
give the TLP; `to_ids` raises the confidence. Other types (text, links, registry keys,
mutexes...) are rejects with their type, so the counts show what was left out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from rempart.sources.intel.base import IntelBatch, IntelFormat, parse_time, tlp_of

# MISP attribute type -> Rempart type (composite types are split first)
MISP_TYPES: dict[str, str] = {
    "ip-src": "ip",
    "ip-dst": "ip",
    "domain": "domain",
    "hostname": "domain",
    "url": "url",
    "uri": "uri",
    "email": "email",
    "email-src": "email",
    "email-dst": "email",
    "md5": "md5",
    "sha1": "sha1",
    "sha256": "sha256",
    "filename": "filename",
    "user-agent": "user_agent",
    "ja3-fingerprint-md5": "ja3",
}
_COMPOSITE: dict[str, tuple[str, str]] = {
    "domain|ip": ("domain", "ip"),
    "hostname|ip": ("domain", "ip"),
    "filename|md5": ("filename", "md5"),
    "filename|sha1": ("filename", "sha1"),
    "filename|sha256": ("filename", "sha256"),
}
_WITH_PORT = ("ip-dst|port", "ip-src|port", "domain|port", "hostname|port")


def _dicts(value: object) -> list[dict[str, Any]]:
    """The dict items of a JSON list (anything else: none); feeds are not trusted."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _tags(obj: dict[str, Any]) -> list[str]:
    return [str(t.get("name", "")) for t in _dicts(obj.get("Tag"))]


def _tlp(tags: list[str]) -> str | None:
    for tag in tags:
        if tag.lower().startswith("tlp:"):
            found = tlp_of(tag)
            if found:
                return found
    return None


def parse_event(event: dict[str, Any], batch: IntelBatch, where: str) -> None:
    """Add one MISP event's attributes to `batch` (its source is the event)."""
    orgc = event.get("Orgc")
    org = (orgc.get("name") if isinstance(orgc, dict) else None) or "MISP"
    org = str(event.get("event_creator_email") or org) if org == "MISP" else str(org)
    source = f"MISP {org}: {event.get('info', '')} ({event.get('date', '')})".strip()
    event_tlp = _tlp(_tags(event))
    date = parse_time(event.get("date"))
    attrs: list[tuple[str, dict[str, Any]]] = [
        (f"{where}.Attribute[{i}]", a) for i, a in enumerate(_dicts(event.get("Attribute")))
    ]
    for j, obj in enumerate(_dicts(event.get("Object"))):
        for i, a in enumerate(_dicts(obj.get("Attribute"))):
            attrs.append((f"{where}.Object[{j}].Attribute[{i}]", a))
    for path, attr in attrs:
        if attr.get("deleted"):
            continue
        kind = str(attr.get("type", ""))
        raw = str(attr.get("value", ""))
        tlp = _tlp(_tags(attr)) or event_tlp
        seen = parse_time(attr.get("first_seen")) or date
        last = parse_time(attr.get("last_seen")) or parse_time(attr.get("timestamp")) or seen
        fields: dict[str, Any] = {
            "source": source,
            "tlp": tlp,
            "confidence": 80 if attr.get("to_ids") else 50,
            "first_seen": seen,
            "last_seen": last,
            "context": " ".join(x for x in (attr.get("category"), attr.get("comment")) if x),
            "where": path,
        }
        if kind in MISP_TYPES:
            batch.add(MISP_TYPES[kind], raw, **fields)
        elif kind in _COMPOSITE:
            left, _, right = raw.partition("|")
            for part_type, part in zip(_COMPOSITE[kind], (left, right), strict=True):
                batch.add(part_type, part, **fields)
        elif kind in _WITH_PORT:
            host, _, port = raw.partition("|")
            target = "ip" if kind.startswith("ip") else "domain"
            if target == "domain":
                batch.add(target, host, **fields)
            elif port.isdigit():
                batch.add(target, host, port=int(port), **fields)
            else:
                batch.add(target, host, **fields)
        else:
            batch.reject("intel.misp_type", kind, where=path)


def events_of(data: Any) -> list[dict[str, Any]]:
    """The events of a MISP JSON document (single event, REST response, list of events)."""
    if isinstance(data, dict) and isinstance(data.get("Event"), dict):
        return [data["Event"]]
    if isinstance(data, dict) and isinstance(data.get("response"), list):
        return [e["Event"] for e in _dicts(data["response"]) if isinstance(e.get("Event"), dict)]
    if isinstance(data, list):
        return [
            e["Event"] for e in data if isinstance(e, dict) and isinstance(e.get("Event"), dict)
        ]
    return []


class MispEventFormat(IntelFormat):
    NAME: ClassVar[str] = "misp"
    VERSION: ClassVar[str] = "1"
    DESCRIPTION: ClassVar[str] = "MISP event JSON (export or REST response)"

    def sniff(self, head: bytes, path: Path) -> bool:
        text = head.lstrip()[:4096]
        return text[:1] in (b"{", b"[") and (b'"Event"' in text or b'"response"' in text)

    def parse(self, path: Path) -> list[IntelBatch]:
        try:
            data = json.loads(path.read_bytes())
        except (ValueError, UnicodeDecodeError) as exc:
            batch = IntelBatch(path, self.NAME, str(path.name))
            batch.reject("intel.bad_json", str(exc), offset=getattr(exc, "pos", None))
            return [batch]
        events = events_of(data)
        batch = IntelBatch(path, self.NAME, f"MISP {path.name}")
        if not events:
            batch.reject("intel.misp_no_event", path.name)
        for i, event in enumerate(events):
            parse_event(event, batch, f"Event[{i}]" if len(events) > 1 else "Event")
        return [batch]


def parse_feed(folder: Path) -> list[IntelBatch]:
    """A MISP feed folder: `manifest.json` names the events, one `<uuid>.json` each."""
    manifest = folder / "manifest.json"
    batches: list[IntelBatch] = []
    listing = IntelBatch(manifest, "misp-feed", f"MISP feed {folder.name}")
    try:
        entries = json.loads(manifest.read_bytes())
    except (OSError, ValueError) as exc:
        listing.reject("intel.bad_json", str(exc))
        return [listing]
    for uuid in entries if isinstance(entries, dict) else []:
        event_path = folder / f"{uuid}.json"
        if not event_path.is_file() or Path(uuid).name != uuid:
            listing.reject("intel.feed_missing", f"{uuid}.json", where=f"manifest[{uuid}]")
            continue
        batches.extend(MispEventFormat().parse(event_path))
    if listing.rejects:
        batches.append(listing)
    return batches
