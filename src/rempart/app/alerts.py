"""The findings of the workspace, most severe first, as typed records the caller renders."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from rempart.app.session import Session
from rempart.store import Store

_QUERY = """
SELECT finding_uid, detector, detector_version AS version, severity, title, entity,
       entity_type, first_seen, last_seen, reason, evidence_count, score, attack, evidence,
       related
FROM finding
ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2
         WHEN 'low' THEN 3 ELSE 4 END, first_seen, detector, entity
"""


@dataclass(frozen=True)
class Alert:
    """One finding; times as ISO 8601 strings (as the JSON and CSV outputs show them)."""

    finding_uid: str
    detector: str
    version: str
    severity: str
    title: str
    entity: str
    entity_type: str
    first_seen: str
    last_seen: str
    reason: str
    evidence_count: int | None
    score: float | None
    attack: list[str] | None
    evidence: list[str] | None
    related: list[str] | None

    def as_dict(self) -> dict[str, Any]:
        """The record as plain data, keys in column order (for JSON and CSV)."""
        return asdict(self)


def _iso(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def alert_records(store: Store) -> list[Alert]:
    """The findings as records, most severe first."""
    out = []
    for row in store.sql(_QUERY).to_pylist():
        row["first_seen"] = _iso(row["first_seen"])
        row["last_seen"] = _iso(row["last_seen"])
        out.append(Alert(**row))
    return out


def alerts(workspace: Path | str | None, *, detector: str | None = None) -> list[Alert]:
    """`rempart alerts`: the workspace's findings (only `detector`'s when given)."""
    with Session.reader(workspace) as session:
        rows = alert_records(session.store)
    return [r for r in rows if r.detector == detector] if detector else rows


__all__ = ["Alert", "alert_records", "alerts"]
