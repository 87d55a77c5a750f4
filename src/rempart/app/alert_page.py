"""Alerts for the console: filtered and paginated in the store (bounded on 20 M flows), and
one alert with the evidence records as they were read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from rempart.app.alerts import Alert
from rempart.app.webcache import memo
from rempart.app.webread import reading

PAGE_SIZE = 50
EVIDENCE_SHOWN = 20
SEVERITIES = ("critical", "high", "medium", "low", "info")

_ORDER = """ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2
         WHEN 'low' THEN 3 ELSE 4 END, first_seen, detector, entity, finding_uid"""
_COLUMNS = """finding_uid, detector, detector_version AS version, severity, title, entity,
       entity_type, first_seen, last_seen, reason, evidence_count, score, attack, evidence,
       related"""


@dataclass(frozen=True)
class AlertFilter:
    detector: str = ""
    severity: str = ""
    zone: str = ""
    host: str = ""
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AlertPage:
    alerts: tuple[Alert, ...]
    total: int
    page: int
    pages: int
    detectors: tuple[str, ...]
    zones: tuple[tuple[str, str], ...]  # (id, name)


@dataclass(frozen=True)
class EvidenceRecord:
    """One record behind an alert, field by field as it was stored from the source."""

    uid: str
    fields: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class AlertDetail:
    alert: Alert
    evidence: tuple[EvidenceRecord, ...]
    evidence_class: str


def _iso(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _alert(row: dict[str, Any]) -> Alert:
    row["first_seen"] = _iso(row["first_seen"])
    row["last_seen"] = _iso(row["last_seen"])
    return Alert(**row)


def alert_page(workspace: Path | str, flt: AlertFilter, page: int = 1) -> AlertPage:
    """One page of alerts matching the filter, most severe first (kept per filter and page
    until the store or the hospital model changes)."""
    return memo(
        workspace,
        "alert_page",
        (flt, page),
        lambda: _alert_page(workspace, flt, page),
        depends=("store", "model"),
    )


def _alert_page(workspace: Path | str, flt: AlertFilter, page: int) -> AlertPage:
    where = ["TRUE"]
    params: dict[str, Any] = {}
    with reading(workspace) as r:
        zones: tuple[tuple[str, str], ...] = ()
        if r.hospital is not None:
            zones = tuple((z.id, z.name) for z in r.hospital.zones)
        if r.store is None:
            return AlertPage((), 0, 1, 1, (), zones)
        if flt.detector:
            where.append("detector = $detector")
            params["detector"] = flt.detector
        if flt.severity:
            where.append("severity = $severity")
            params["severity"] = flt.severity
        if flt.host:
            where.append("(entity = $host OR list_contains(related, $host))")
            params["host"] = flt.host
        if flt.zone and r.hospital is not None:
            members = [a.ip for a in r.hospital.assets if a.zone == flt.zone and a.ip]
            members += [a.hostname for a in r.hospital.assets if a.zone == flt.zone]
            where.append("list_contains($members, entity)")
            params["members"] = members
        if flt.since is not None:
            where.append("last_seen >= $since")
            params["since"] = flt.since
        if flt.until is not None:
            where.append("first_seen <= $until")
            params["until"] = flt.until
        cond = " AND ".join(where)
        total = int(
            r.store.sql(f"SELECT count(*) AS n FROM finding WHERE {cond}", params).to_pylist()[0][
                "n"
            ]
        )
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(1, page), pages)
        rows = r.store.sql(
            f"SELECT {_COLUMNS} FROM finding WHERE {cond} {_ORDER} LIMIT {PAGE_SIZE} "
            f"OFFSET {(page - 1) * PAGE_SIZE}",
            params,
        ).to_pylist()
        detectors = tuple(
            str(x["detector"])
            for x in r.store.sql("SELECT DISTINCT detector FROM finding ORDER BY 1").to_pylist()
        )
    return AlertPage(tuple(_alert(x) for x in rows), total, page, pages, detectors, zones)


_EVIDENCE_QUERIES = {
    "network_flow": (
        "SELECT * EXCLUDE (record_kind) FROM network_flow "
        "WHERE flow_uid IN (SELECT unnest($ids)) ORDER BY time LIMIT $k"
    ),
    "email": (
        "SELECT time, message_id, subject, from_addr, from_display, reply_to, return_path, "
        "to_addrs, cc_addrs, auth_results, urls, attachments, source_file, source_line "
        "FROM email WHERE message_id IN (SELECT unnest($ids)) OR event_uid IN "
        "(SELECT unnest($ids)) ORDER BY time LIMIT $k"
    ),
}


_BY_EVENT_UID = ("authentication", "process", "mailbox_activity", "mail_transfer")
"""Event tables whose evidence is named by event_uid; each keeps the record as read (raw)."""


def _text(value: object) -> str:
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    return _iso(value)


def alert_detail(workspace: Path | str, uid: str) -> AlertDetail | None:
    """The alert and up to EVIDENCE_SHOWN of its evidence records (None: no such alert)."""
    return memo(
        workspace, "alert_detail", uid, lambda: _alert_detail(workspace, uid), depends=("store",)
    )


def _alert_detail(workspace: Path | str, uid: str) -> AlertDetail | None:
    with reading(workspace) as r:
        if r.store is None:
            return None
        rows = r.store.sql(
            f"SELECT {_COLUMNS}, evidence_class FROM finding WHERE finding_uid = $uid",
            {"uid": uid},
        ).to_pylist()
        if not rows:
            return None
        row = rows[0]
        klass = str(row.pop("evidence_class") or "")
        alert = _alert(row)
        ids = list(alert.evidence or ())[:EVIDENCE_SHOWN]
        if klass == "email" and alert.entity_type == "email":
            ids.append(alert.entity)
        records: list[EvidenceRecord] = []
        query = _EVIDENCE_QUERIES.get(klass)
        if query is None and klass in _BY_EVENT_UID:  # a known table name, never input
            query = (
                f"SELECT * FROM {klass} WHERE event_uid IN (SELECT unnest($ids)) "
                "ORDER BY time LIMIT $k"
            )
        if query is not None and ids:
            for rec in r.store.sql(query, {"ids": ids, "k": EVIDENCE_SHOWN}).to_pylist():
                uid_ = str(
                    rec.get("flow_uid") or rec.get("message_id") or rec.get("event_uid") or ""
                )
                fields = tuple((k, _text(v)) for k, v in rec.items() if v not in (None, [], b""))
                records.append(EvidenceRecord(uid_, fields))
    return AlertDetail(alert, tuple(records), klass)


__all__ = [
    "PAGE_SIZE",
    "SEVERITIES",
    "AlertDetail",
    "AlertFilter",
    "AlertPage",
    "EvidenceRecord",
    "alert_detail",
    "alert_page",
]
