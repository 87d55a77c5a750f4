"""Microsoft 365 unified audit log and Entra ID (Azure AD) audit events, as JSON.

Accepts the Management Activity API / Purview export records (`CreationTime`, `Operation`,
`UserId`, `ClientIP`), the Sentinel `OfficeActivity` shape (`TimeGenerated`,
`Client_IPAddress`) and Entra audit records (`OperationName`, `InitiatedBy`), as a JSON
array, JSON lines, or the CSV that the Purview portal's audit search exports and
`Search-UnifiedAuditLog | Export-Csv` writes (one record per row, its JSON in the
`AuditData` column; PowerShell's `#TYPE` line allowed). Each record becomes one
`mailbox_activity` row: logins, mailbox reads, rules, forwarding, permission grants.
Records are few (thousands a day), so they are read with `json` and `csv`.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from rempart.sources.base import ParseContext, Source

_BATCH = 2000
_RULE_PARAMS = (
    *("ForwardTo", "ForwardAsAttachmentTo", "RedirectTo", "ForwardingSmtpAddress"),
    *("ForwardingAddress", "DeliverToMailboxAndForward", "DeleteMessage", "MoveToFolder"),
    *("MarkAsRead", "Name", "SubjectContainsWords", "BodyContainsWords", "From"),
)


def _csv_header(head: bytes) -> bytes | None:
    """The header line of an audit CSV export (after PowerShell's `#TYPE` line), if any."""
    for line in head.lstrip(b"\xef\xbb\xbf").splitlines()[:3]:
        if line.startswith(b"#"):
            continue
        return line if b"AuditData" in line and b"CreationDate" in line else None
    return None


def _csv_records(text: str) -> Iterator[tuple[int, Any]]:
    """(line, record) of each CSV row: its `AuditData` JSON (a row's JSON may hold quoted
    newlines; the line is where the row starts)."""
    lines = text.splitlines(keepends=True)
    skip = 1 if lines and lines[0].startswith("#") else 0
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # one record's JSON can be long
    reader = csv.DictReader(io.StringIO("".join(lines[skip:])))
    start = skip + 2  # the first row's line (after the header)
    for row in reader:
        line = start
        start = skip + reader.line_num + 1
        data = row.get("AuditData")
        if not data:
            yield line, ValueError("no AuditData in this row")
            continue
        try:
            yield line, json.loads(data)
        except json.JSONDecodeError as exc:
            yield line, exc


def _records(path: Path) -> Iterator[tuple[int, Any]]:
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    if _csv_header(text[:65536].encode("utf-8", errors="replace")) is not None:
        yield from _csv_records(text)
        return
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            yield exc.lineno, exc
            return
        yield from enumerate(data if isinstance(data, list) else [], start=1)
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, exc


def _time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        try:
            when = datetime.fromisoformat(text[:19])
        except ValueError:
            return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _loads(value: object) -> Any:
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _ip(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    ip = value.strip()
    if ip.startswith("[") and "]" in ip:  # [2001:db8::1]:443
        return ip[1 : ip.index("]")]
    if ip.count(":") == 1:  # 203.0.113.5:443
        return ip.split(":", 1)[0]
    return ip


def _item_count(folders: object) -> int | None:
    folders = _loads(folders)
    if not isinstance(folders, list):
        return None
    total = 0
    for folder in folders:
        if isinstance(folder, dict):
            items = folder.get("FolderItems")
            total += len(items) if isinstance(items, list) else 0
    return total


def _parameters(rec: dict[str, Any]) -> str | None:
    parts: list[str] = []
    params = _loads(rec.get("Parameters"))
    if isinstance(params, list):
        for p in params:
            if (
                isinstance(p, dict)
                and p.get("Name") in _RULE_PARAMS
                and p.get("Value") not in (None, "")
            ):
                parts.append(f"{p['Name']}={p['Value']}")
    targets = _loads(rec.get("TargetResources"))
    if isinstance(targets, list):
        for t in targets:
            if not isinstance(t, dict):
                continue
            for mp in t.get("modifiedProperties") or []:
                if isinstance(mp, dict) and mp.get("newValue"):
                    parts.append(f"{mp.get('displayName')}={str(mp.get('newValue'))[:200]}")
            if t.get("displayName"):
                parts.append(f"target={t['displayName']}")
    return "; ".join(parts)[:2000] or None


def normalise(rec: dict[str, Any]) -> dict[str, Any] | None:
    """One audit record as a `mailbox_activity` row (without provenance), or None."""
    operation = rec.get("Operation") or rec.get("OperationName") or rec.get("operationName")
    when = _time(rec.get("CreationTime") or rec.get("TimeGenerated") or rec.get("activityDateTime"))
    if not operation or when is None:
        return None
    initiated = _loads(rec.get("InitiatedBy"))
    user = rec.get("UserId") or rec.get("UserPrincipalName")
    ip = rec.get("ClientIP") or rec.get("Client_IPAddress") or rec.get("ClientIPAddress")
    if isinstance(initiated, dict):
        who = initiated.get("user") or initiated.get("app") or {}
        if isinstance(who, dict):
            user = user or who.get("userPrincipalName") or who.get("displayName")
            ip = ip or who.get("ipAddress")
    result = str(rec.get("ResultStatus") or rec.get("Result") or "").lower()
    status = (
        "failure"
        if result in ("failed", "failure") or operation == "UserLoginFailed"
        else "success"
    )
    return {
        "time": when,
        "user": str(user).lower() if user else None,
        "src_ip": _ip(ip),
        "operation": str(operation).strip(),
        "workload": rec.get("Workload") or rec.get("OfficeWorkload") or rec.get("Category"),
        "status": status,
        "mailbox": (rec.get("MailboxOwnerUPN") or rec.get("ObjectId") or None),
        "client": rec.get("ClientInfoString") or rec.get("UserAgent"),
        "app_id": rec.get("ClientAppId") or rec.get("AppId") or None,
        "parameters": _parameters(rec),
        "item_count": _item_count(rec.get("Folders")),
        "raw": json.dumps(rec, ensure_ascii=False)[:20000],
    }


class M365AuditSource(Source):
    NAME = "m365_audit"
    VERSION = "1.0"
    EVENT_CLASS = "mailbox_activity"
    DESCRIPTION = "Microsoft 365 unified audit log / Entra ID audit (JSON, or Purview CSV)"

    def sniff(self, head: bytes, path: Path) -> bool:
        if _csv_header(head) is not None:
            return True
        text = head.lstrip(b"\xef\xbb\xbf \r\n\t[")
        if not text.startswith(b"{"):
            return False
        has_op = b'"Operation"' in head or b'"OperationName"' in head
        m365 = (b'"Workload"' in head or b'"OfficeWorkload"' in head or b'"RecordType"' in head
                or b'"InitiatedBy"' in head or b'"AADTenantId"' in head)  # fmt: skip
        return has_op and m365

    def parse(self, path: Path, ctx: ParseContext) -> None:
        rows: list[dict[str, Any]] = []
        for number, rec in _records(path):
            if isinstance(rec, json.JSONDecodeError):
                ctx.reject(number, f"invalid JSON: {rec}")
                continue
            if isinstance(rec, Exception):
                ctx.reject(number, str(rec))
                continue
            row = normalise(rec) if isinstance(rec, dict) else None
            if row is None:
                ctx.reject(number, "not an audit record (no operation or time)")
                continue
            row.update(
                event_uid=f"{ctx.file_id}:{number}",
                source_file=str(ctx.path),
                source_line=number,
                source_format=self.NAME,
            )
            rows.append(row)
            if len(rows) >= _BATCH:
                ctx.emit(pa.Table.from_pylist(rows, schema=self.schema()))
                rows = []
        if rows:
            ctx.emit(pa.Table.from_pylist(rows, schema=self.schema()))
