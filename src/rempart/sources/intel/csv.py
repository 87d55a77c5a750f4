"""Indicators as CSV, with a header line naming the columns (documented in docs/intel.md):

    value,type,tlp,confidence,first_seen,last_seen,expiry,source,port,comment

Only `value` (or `indicator`) is required; a missing or empty `type` is guessed from the
value; `source` defaults to the file's name. `;` or tab separators are accepted.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, ClassVar

from rempart.sources.intel.base import IntelBatch, IntelFormat, parse_time, tlp_of

COLUMNS = ("value", "type", "tlp", "confidence", "first_seen", "last_seen", "expiry",
           "source", "port", "comment")  # fmt: skip
_ALIASES = {"indicator": "value", "ioc": "value", "kind": "type", "description": "comment"}
_TYPE_ALIASES = {
    "ipv4": "ip", "ip-dst": "ip", "ip-src": "ip", "ipv6": "ip", "hostname": "domain",
    "fqdn": "domain", "sha-256": "sha256", "sha-1": "sha1", "user-agent": "user_agent",
    "file": "filename", "file_name": "filename", "mail": "email",
}  # fmt: skip


def _header(line: str) -> tuple[str, list[str]] | None:
    for sep in (",", ";", "\t"):
        cols = [c.strip().lower() for c in line.split(sep)]
        cols = [_ALIASES.get(c, c) for c in cols]
        if "value" in cols and len(cols) > 1 and all(c in COLUMNS for c in cols if c):
            return sep, cols
    return None


class CsvFormat(IntelFormat):
    NAME: ClassVar[str] = "csv"
    VERSION: ClassVar[str] = "1"
    DESCRIPTION: ClassVar[str] = "CSV with a header (value,type,tlp,confidence,...)"

    def sniff(self, head: bytes, path: Path) -> bool:
        first = head.decode("utf-8-sig", "replace").splitlines()[:1]
        return bool(first) and _header(first[0]) is not None

    def parse(self, path: Path) -> list[IntelBatch]:
        batch = IntelBatch(path, self.NAME, f"CSV {path.name}")
        text = path.read_text("utf-8-sig", errors="replace")
        lines = text.splitlines()
        found = _header(lines[0]) if lines else None
        if found is None:
            batch.reject("intel.csv_header", ",".join(COLUMNS), line=1)
            return [batch]
        sep, cols = found
        reader = csv.reader(io.StringIO(text), delimiter=sep)
        next(reader, None)
        for row in reader:
            number = reader.line_num
            if not any(c.strip() for c in row):
                continue
            if len(row) > len(cols):
                batch.reject("intel.csv_columns", str(len(row)), line=number)
                continue
            rec = dict(zip(cols, (c.strip() for c in row), strict=False))
            kind = rec.get("type", "").lower()
            kind = _TYPE_ALIASES.get(kind, kind)
            conf = rec.get("confidence", "")
            port = rec.get("port", "")
            fields: dict[str, Any] = {
                "source": rec.get("source") or batch.source,
                "tlp": tlp_of(rec.get("tlp")),
                "confidence": int(conf) if conf.isdigit() and int(conf) <= 100 else None,
                "first_seen": parse_time(rec.get("first_seen")),
                "last_seen": parse_time(rec.get("last_seen")),
                "expiry": parse_time(rec.get("expiry")),
                "port": int(port) if port.isdigit() else None,
            }
            if rec.get("tlp") and fields["tlp"] is None:
                batch.reject("intel.bad_tlp", rec["tlp"], line=number)
                continue
            batch.add(kind, rec.get("value", ""), context=rec.get("comment", ""), line=number,
                      **fields)  # fmt: skip
        return [batch]
