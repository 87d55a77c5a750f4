"""Squid's `access.log` in its native format: who asked the web proxy for what.

    1552291200.123    532 10.2.3.4 TCP_TUNNEL/200 4521 CONNECT 203.0.113.66:443 -
        HIER_DIRECT/203.0.113.66 -
    1552291260.456     87 10.2.3.4 TCP_MISS/200 1432 GET http://dl.example/a.zip -
        HIER_DIRECT/198.51.100.7 application/zip

(one line each in the file).
Fields: time (seconds with milliseconds), elapsed ms, client, result code / HTTP status,
bytes, method, URL (`host:port` for CONNECT), user (ident or proxy login), hierarchy / peer
address, content type. One `network_event` row each, kind `proxy`: the client is
`src_ip` (the machine behind the proxy, which a flow log only shows as the proxy), the peer
address `dst_ip`, the URL's port `dst_port`, the host `name`, method and URL `detail`, the
result `status`, the URL `url` (none for a CONNECT: the path is encrypted). A line that
does not have the fields, or whose time is not a number, is one reject.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from rempart.sources.base import ParseContext, Source
from rempart.sources.gzipcut import is_gzip

_LINE = re.compile(
    rb"^\d{9,11}\.\d{3} +-?\d+ \S+ [A-Z_]+/\d{3} \d+ [A-Za-z_-]+ \S+ \S+ [A-Z_]+/\S+"
)
_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://(?:[^@/?#]*@)?(\[[^\]]*\]|[^/:?#]*)(?::(\d+))?")
_HOST_PORT = re.compile(r"^(\[[^\]]*\]|[^/:]+):(\d+)$")
_IP = re.compile(r"^[0-9]{1,3}(\.[0-9]{1,3}){3}$|^[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*$")
_DEFAULT_PORT = {"http": 80, "https": 443, "ftp": 21, "ws": 80, "wss": 443}
_BATCH = 5000


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    opener = gzip.open if is_gzip(path) else open
    with opener(path, "rb") as fh:
        yield from enumerate(fh, start=1)


def _target(method: str, url: str) -> tuple[str | None, int | None, str | None]:
    """(host, port, url) of a request: `host:port` for a CONNECT, else the URL's parts."""
    if method.upper() == "CONNECT":
        m = _HOST_PORT.match(url)
        if m is None:
            return url[:255] or None, None, None
        return m.group(1).strip("[]").lower()[:255], int(m.group(2)), None
    m = _URL.match(url)
    if m is None:
        return None, None, url[:2000]
    port = int(m.group(3)) if m.group(3) else _DEFAULT_PORT.get(m.group(1).lower())
    return m.group(2).strip("[]").lower()[:255] or None, port, url[:2000]


class SquidAccessSource(Source):
    NAME = "squid_access"
    VERSION = "1.0"
    EVENT_CLASS = "network_event"
    DESCRIPTION = "Squid access.log (native format): client, method, URL, result, peer"

    def sniff(self, head: bytes, path: Path) -> bool:
        lines = [ln for ln in head.split(b"\n")[:5] if ln.strip()]
        return bool(lines) and _LINE.match(lines[0].strip()) is not None

    def parse(self, path: Path, ctx: ParseContext) -> None:
        rows: list[dict[str, Any]] = []
        schema = self.schema()
        for number, raw in _lines(path):
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            if not line.strip():
                continue
            parts = line.split()
            if len(parts) < 9:
                ctx.reject(number, "not a squid access.log line")
                continue
            try:
                seconds = float(parts[0])
                when = datetime.fromtimestamp(seconds, tz=UTC)
            except (ValueError, OverflowError, OSError):
                ctx.reject(number, "no timestamp")
                continue
            code, _, status = parts[3].partition("/")
            method, url = parts[5], parts[6]
            host, port, full = _target(method, url)
            peer = parts[8].partition("/")[2]
            rows.append(
                {
                    "time": when,
                    "src_ip": parts[2][:64],
                    "src_port": None,
                    "dst_ip": peer[:64] if _IP.match(peer) else None,
                    "dst_port": port if port is not None and 0 <= port <= 65535 else None,
                    "protocol": "tcp",
                    "app_proto": "http",
                    "kind": "proxy",
                    "name": host,
                    "detail": f"{method} {url}"[:500],
                    "status": f"{code}/{status}"[:80] if status else code[:80],
                    "severity": None,
                    "signature_id": None,
                    "attack": [],
                    "flow_uid": None,
                    "raw": line[:4000],
                    "url": full,
                    "user_agent": None,
                    "ja3": None,
                    "ja3s": None,
                    "event_uid": f"{ctx.file_id}:{number}",
                    "source_file": str(ctx.path),
                    "source_line": number,
                    "source_format": self.NAME,
                }
            )
            if len(rows) >= _BATCH:
                ctx.emit(pa.Table.from_pylist(rows, schema=schema))
                rows = []
        if rows:
            ctx.emit(pa.Table.from_pylist(rows, schema=schema))
