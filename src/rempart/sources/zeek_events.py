"""Zeek's application logs as `network_event` rows: `http`, `ssl`, `smb_cmd`, `notice` and
`weird` (TSV with their header, or JSON lines; gzip too).

One row per log line with the same columns as Suricata's events (`suricata_events`): the
HTTP host and request, the TLS server name, the SMB command and its status (MS17-010's
TRANS2_SECONDARY and NT_TRANS), a notice's note and message, a weird's name. `dns.log` and
the SMB file and share logs stay in `network_flow` (`zeek_logs`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa

from rempart.sources.base import ParseContext, Source
from rempart.sources.gzipcut import is_gzip
from rempart.sources.suricata_events import http_url, ja3_hash
from rempart.sources.zeek_conn import zeek_json_head, zeek_sniff

_BATCH = 5000


def _raw_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    import gzip

    opener = gzip.open if is_gzip(path) else open
    with opener(path, "rb") as fh:
        yield from enumerate(fh, start=1)


def _value(v: object, limit: int = 500) -> str | None:
    if v is None or v in ("-", "(empty)", ""):
        return None
    if isinstance(v, list):
        v = ",".join(str(x) for x in v)
    return str(v)[:limit]


def _port(v: object) -> int | None:
    try:
        port = int(str(v))
    except (TypeError, ValueError):
        return None
    return port if 0 <= port <= 65535 else None


class _ZeekEvents(Source):
    EVENT_CLASS = "network_event"
    VERSION = "1.0"
    PATH: ClassVar[str]
    # column -> Zeek fields joined by a space (first non-empty for `status`)
    NAME_FIELDS: ClassVar[tuple[str, ...]]
    DETAIL_FIELDS: ClassVar[tuple[str, ...]]
    STATUS_FIELDS: ClassVar[tuple[str, ...]] = ()
    APP: ClassVar[str | None] = None

    def sniff(self, head: bytes, path: Path) -> bool:
        if zeek_sniff(head, self.PATH):
            return True
        record = zeek_json_head(head)
        return record is not None and record.get("_path") == self.PATH

    def parse(self, path: Path, ctx: ParseContext) -> None:
        rows: list[dict[str, Any]] = []
        schema = self.schema()
        fields: list[str] = []
        sep = "\t"
        unset = "-"
        for number, raw in _raw_lines(path):
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            if not line.strip():
                continue
            if line.startswith("#"):
                if line.startswith("#separator"):
                    code = line.split(" ", 1)[-1].strip()
                    sep = bytes(code, "ascii").decode("unicode_escape") if code else "\t"
                elif line.startswith(f"#fields{sep}"):
                    fields = line.split(sep)[1:]
                elif line.startswith(f"#unset_field{sep}"):
                    unset = line.split(sep, 1)[1]
                continue
            rec: dict[str, Any]
            if line.startswith("{"):
                try:
                    obj = json.loads(line)
                except ValueError:
                    ctx.reject(number, "not valid JSON")
                    continue
                if not isinstance(obj, dict):
                    ctx.reject(number, "not a JSON object")
                    continue
                if obj.get("_path", self.PATH) != self.PATH:
                    continue
                nested = obj.get("id")
                if isinstance(nested, dict):
                    obj = {**{f"id.{k}": v for k, v in nested.items()}, **obj}
                rec = obj
            else:
                if not fields:
                    ctx.reject(number, "no #fields header")
                    continue
                values = line.split(sep)
                if len(values) != len(fields):
                    ctx.reject(number, "wrong number of fields")
                    continue
                rec = {k: (None if v == unset else v) for k, v in zip(fields, values, strict=True)}
            when = self._time(rec.get("ts"))
            if when is None:
                ctx.reject(number, "no timestamp")
                continue
            name = " ".join(x for x in (_value(rec.get(f)) for f in self.NAME_FIELDS) if x)
            detail = " ".join(x for x in (_value(rec.get(f)) for f in self.DETAIL_FIELDS) if x)
            status = next(
                (x for x in (_value(rec.get(f), 80) for f in self.STATUS_FIELDS) if x), None
            )
            rows.append(
                {
                    "time": when,
                    "src_ip": _value(rec.get("id.orig_h") or rec.get("src"), 64),
                    "src_port": _port(rec.get("id.orig_p")),
                    "dst_ip": _value(rec.get("id.resp_h") or rec.get("dst"), 64),
                    "dst_port": _port(rec.get("id.resp_p")),
                    "protocol": _value(rec.get("proto"), 10),
                    "app_proto": self.APP,
                    "kind": self.PATH,
                    "name": name[:500] or None,
                    "detail": detail[:500] or None,
                    "status": status,
                    "severity": None,
                    "signature_id": None,
                    "attack": [],
                    "flow_uid": _value(rec.get("uid"), 40),
                    "raw": line[:4000],
                    **self._extra(rec),
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

    def _extra(self, rec: dict[str, Any]) -> dict[str, str | None]:
        """The columns the retro-hunt matches (URL, user agent, JA3/JA3S)."""
        if self.PATH == "http":
            return {
                "url": http_url(rec.get("host"), rec.get("uri"), rec.get("id.resp_p")),
                "user_agent": _value(rec.get("user_agent")),
                "ja3": None,
                "ja3s": None,
            }
        if self.PATH == "ssl":
            return {"url": None, "user_agent": None, "ja3": ja3_hash(rec.get("ja3")),
                    "ja3s": ja3_hash(rec.get("ja3s"))}  # fmt: skip
        return {"url": None, "user_agent": None, "ja3": None, "ja3s": None}

    @staticmethod
    def _time(ts: object) -> datetime | None:
        try:
            seconds = float(str(ts))
        except (TypeError, ValueError):
            if isinstance(ts, str):
                try:
                    return datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(UTC)
                except ValueError:
                    return None
            return None
        if seconds > 1e11:  # milliseconds
            seconds /= 1000
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None


class ZeekHttpSource(_ZeekEvents):
    NAME = "zeek_http"
    DESCRIPTION = "Zeek http.log (TSV or JSON): host, method and URI, status"
    PATH = "http"
    APP = "http"
    NAME_FIELDS = ("host",)
    DETAIL_FIELDS = ("method", "uri")
    STATUS_FIELDS = ("status_code",)


class ZeekSslSource(_ZeekEvents):
    NAME = "zeek_ssl"
    DESCRIPTION = "Zeek ssl.log (TSV or JSON): server name and version"
    PATH = "ssl"
    APP = "tls"
    NAME_FIELDS = ("server_name",)
    DETAIL_FIELDS = ("version",)
    STATUS_FIELDS = ("validation_status", "established")


class ZeekSmbCmdSource(_ZeekEvents):
    NAME = "zeek_smb_cmd"
    DESCRIPTION = "Zeek smb_cmd.log (TSV or JSON): SMB commands and their status"
    PATH = "smb_cmd"
    APP = "smb"
    NAME_FIELDS = ("command", "sub_command")
    DETAIL_FIELDS = ("argument", "tree", "version")
    STATUS_FIELDS = ("status",)


class ZeekNoticeSource(_ZeekEvents):
    NAME = "zeek_notice"
    DESCRIPTION = "Zeek notice.log (TSV or JSON): the notes Zeek's scripts raised"
    PATH = "notice"
    NAME_FIELDS = ("note",)
    DETAIL_FIELDS = ("msg", "sub")


class ZeekWeirdSource(_ZeekEvents):
    NAME = "zeek_weird"
    DESCRIPTION = "Zeek weird.log (TSV or JSON): protocol oddities"
    PATH = "weird"
    NAME_FIELDS = ("name",)
    DETAIL_FIELDS = ("addl",)
