"""Suricata EVE JSON beyond flows: `alert`, `dns`, `http`, `tls`, `smb`, `fileinfo` and
`anomaly` events, one `network_event` row each.

The same eve.json is read by `suricata_eve_flow` for its `flow`/`netflow` events: both
sources share the file (`SHARES_LINES`), each keeps its own event types and skips the
others, and only the flow source rejects a line that is not JSON (so it counts once).
An alert keeps its signature, category, severity (1 = highest) and the ATT&CK techniques
its rule's metadata names (`mitre_technique_id`); `app_proto: failed` (Suricata could not
tell the protocol) is stored as `unknown`, not as a service called "failed".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from rempart.sources.base import HEAD_BYTES, ParseContext, Source
from rempart.sources.gzipcut import is_gzip
from rempart.sources.suricata_eve import SuricataEveFlowSource

KINDS = ("alert", "dns", "http", "tls", "smb", "fileinfo", "anomaly")
_BATCH = 5000
_KIND = re.compile(rb'"event_type"\s*:\s*"(' + b"|".join(k.encode() for k in KINDS) + rb')"')
_TECHNIQUE = re.compile(r"^T\d{4}(?:\.\d{3})?$")


def eve_time(text: object) -> datetime | None:
    """An EVE timestamp (`2019-03-11T09:00:00.500000+0100`) in UTC, None if unreadable."""
    if not isinstance(text, str):
        return None
    fixed = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", text.strip())
    try:
        when = datetime.fromisoformat(fixed.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _text(value: object, limit: int = 500) -> str | None:
    if value is None or value == "":
        return None
    return str(value)[:limit]


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _port(value: object) -> int | None:
    port = _int(value)
    return port if port is not None and 0 <= port <= 65535 else None


def app_proto(value: object) -> str | None:
    """The protocol Suricata named; `failed` (it could not tell) is `unknown`."""
    text = _text(value, 40)
    return "unknown" if text == "failed" else (text.lower() if text else None)


def ja3_hash(value: object) -> str | None:
    """A JA3/JA3S fingerprint: Suricata's `{"hash": ..., "string": ...}` or Zeek's text."""
    if isinstance(value, dict):
        value = value.get("hash")
    text = _text(value, 64)
    return text.lower() if text and re.fullmatch(r"[0-9A-Fa-f]{32}", text) else None


def http_url(host: object, uri: object, port: object = None) -> str | None:
    """The URL a request names: `uri` when it is absolute already (a proxy's request),
    else `http://host[:port]/uri` (the port only when not 80). None without a host."""
    target = _text(uri, 2000)
    if target and re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", target):
        return target
    name = _text(host, 255)
    if not name:
        return None
    p = _port(port)
    where = name if p in (None, 80) or ":" in name else f"{name}:{p}"
    path = target if target and target.startswith("/") else "/" + (target or "")
    return f"http://{where}{path}"[:2000]


def _attack(alert: dict[str, Any]) -> list[str]:
    meta = alert.get("metadata")
    if not isinstance(meta, dict):
        return []
    found: list[str] = []
    for key in ("mitre_technique_id", "mitre_attack", "attack_id"):
        values = meta.get(key)
        for v in values if isinstance(values, list) else [values]:
            if isinstance(v, str) and _TECHNIQUE.match(v.strip().upper()):
                found.append(v.strip().upper())
    return sorted(set(found))


def describe(kind: str, rec: dict[str, Any]) -> dict[str, Any]:
    """name / detail / status / severity / signature / attack of one EVE record."""
    body = rec.get(kind)
    body = body if isinstance(body, dict) else {}
    out: dict[str, Any] = {"name": None, "detail": None, "status": None, "severity": None,
                           "signature_id": None, "attack": [], "url": None,
                           "user_agent": None, "ja3": None, "ja3s": None}  # fmt: skip
    if kind == "alert":
        out.update(
            name=_text(body.get("signature")),
            detail=_text(body.get("category")),
            severity=_int(body.get("severity")),
            signature_id=_int(body.get("signature_id")),
            attack=_attack(body),
            status=_text(body.get("action"), 40),
        )
    elif kind == "dns":
        queries = body.get("queries")
        first = queries[0] if isinstance(queries, list) and queries else body
        first = first if isinstance(first, dict) else {}
        out.update(
            name=_text(first.get("rrname") or body.get("rrname")),
            detail=_text(first.get("rrtype") or body.get("rrtype"), 40),
            status=_text(body.get("rcode"), 40),
        )
    elif kind == "http":
        method, url = body.get("http_method"), body.get("url")
        out.update(
            name=_text(body.get("hostname")),
            detail=_text(" ".join(str(x) for x in (method, url) if x)),
            status=_text(body.get("status"), 40),
            url=http_url(body.get("hostname"), url, rec.get("dest_port")),
            user_agent=_text(body.get("http_user_agent")),
        )
    elif kind == "tls":
        out.update(
            name=_text(body.get("sni")),
            detail=_text(body.get("version") or body.get("subject")),
            status=_text(body.get("ja3", {}).get("hash") if isinstance(body.get("ja3"), dict)
                         else None, 64),
            ja3=ja3_hash(body.get("ja3")),
            ja3s=ja3_hash(body.get("ja3s")),
        )  # fmt: skip
    elif kind == "smb":
        out.update(
            name=_text(body.get("command"), 80),
            detail=_text(body.get("share") or body.get("filename") or body.get("dialect")),
            status=_text(body.get("status"), 80),
        )
    elif kind == "fileinfo":
        out.update(
            name=_text(body.get("filename")),
            detail=_text(body.get("magic") or body.get("sha256")),
            status=_text(body.get("state"), 40),
        )
    elif kind == "anomaly":
        out.update(
            name=_text(body.get("event") or body.get("code")),
            detail=_text(" ".join(str(x) for x in (body.get("type"), body.get("layer")) if x)),
        )
    return out


def _raw_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    import gzip

    opener = gzip.open if is_gzip(path) else open
    with opener(path, "rb") as fh:
        yield from enumerate(fh, start=1)


class SuricataEveEventSource(Source):
    NAME = "suricata_eve_events"
    VERSION = "1.0"
    EVENT_CLASS = "network_event"
    SHARES_LINES = True
    DESCRIPTION = (
        "Suricata EVE JSON, event_type alert, dns, http, tls, smb, fileinfo and anomaly "
        "(flows are suricata_eve_flow's)"
    )

    def sniff(self, head: bytes, path: Path) -> bool:
        """An EVE file, unless the head is the whole file and holds none of these events
        (a flow-only file is `suricata_eve_flow`'s alone; a longer one may hold them later)."""
        if len(head) < HEAD_BYTES and _KIND.search(head) is None:
            return False
        return SuricataEveFlowSource().sniff(head, path)

    def parse(self, path: Path, ctx: ParseContext) -> None:
        rows: list[dict[str, Any]] = []
        schema = self.schema()
        for number, raw in _raw_lines(path):
            m = _KIND.search(raw)
            if m is None:
                continue  # a flow, stats or other event: not this source's
            try:
                rec = json.loads(raw)
            except ValueError:
                continue  # rejected once, by suricata_eve_flow
            if not isinstance(rec, dict):
                continue
            kind = rec.get("event_type")
            if kind not in KINDS:
                continue
            when = eve_time(rec.get("timestamp"))
            if when is None:
                ctx.reject(number, "no timestamp")
                continue
            row = describe(str(kind), rec)
            proto = _text(rec.get("proto"), 20)
            row.update(
                time=when,
                src_ip=_text(rec.get("src_ip"), 64),
                src_port=_port(rec.get("src_port")),
                dst_ip=_text(rec.get("dest_ip"), 64),
                dst_port=_port(rec.get("dest_port")),
                protocol=proto.lower() if proto else None,
                app_proto=app_proto(rec.get("app_proto")) or (kind if kind != "alert" else None),
                kind=kind,
                flow_uid=_text(rec.get("flow_id"), 40),
                raw=raw.decode("utf-8", errors="replace").rstrip("\r\n")[:4000],
                event_uid=f"{ctx.file_id}:{number}",
                source_file=str(ctx.path),
                source_line=number,
                source_format=self.NAME,
            )
            rows.append(row)
            if len(rows) >= _BATCH:
                ctx.emit(pa.Table.from_pylist(rows, schema=schema))
                rows = []
        if rows:
            ctx.emit(pa.Table.from_pylist(rows, schema=schema))
