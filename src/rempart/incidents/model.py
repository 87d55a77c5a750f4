"""What an incident is: hosts (infected or suspected), the entry email, a timeline.

Values only; `build.py` makes them from the findings, `render`-side code shows them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class IncidentHost:
    ip: str
    hostname: str | None
    zone: str | None
    status: str  # infected / suspected
    first_seen: datetime
    infected_by: str | None = None  # ip of the probable source (spread tree), if known
    detectors: tuple[str, ...] = ()
    detected_at: datetime | None = None  # first alert on this host (None: only inferred)


@dataclass(frozen=True)
class EntryEmail:
    """The message that probably opened the door, and who else received it."""

    message_id: str | None
    subject: str | None
    sender: str | None
    received: datetime | None
    score: float | None
    recipients: tuple[str, ...]
    reasons: str
    finding_uid: str
    reasons_en: str = ""  # `reasons` is French; the English text when there is one

    def reasons_in(self, lang: str) -> str:
        return self.reasons_en if lang == "en" and self.reasons_en else self.reasons


@dataclass(frozen=True)
class TimelineEntry:
    time: datetime
    kind: str  # email / alert / spread
    text: str
    detector: str | None = None
    finding_uid: str | None = None
    text_en: str = ""  # `text` is French; the English text when there is one

    def in_lang(self, lang: str) -> str:
        return self.text_en if lang == "en" and self.text_en else self.text


@dataclass(frozen=True)
class Incident:
    id: str
    title: str  # French
    severity: str
    first_seen: datetime
    last_seen: datetime
    patient_zero: IncidentHost | None
    entry_email: EntryEmail | None
    hosts: tuple[IncidentHost, ...]
    timeline: tuple[TimelineEntry, ...]
    attack: tuple[str, ...] = ()
    confidence: float = 0.0
    finding_uids: tuple[str, ...] = field(default=())
    title_en: str = ""  # the title in English, when there is one

    def title_in(self, lang: str) -> str:
        return self.title_en if lang == "en" and self.title_en else self.title

    @property
    def first_detection(self) -> datetime | None:
        """Earliest alert on a host of the incident."""
        times = [h.detected_at for h in self.hosts if h.detected_at is not None]
        return min(times) if times else None

    def hosts_by_zone(self) -> dict[str, list[IncidentHost]]:
        out: dict[str, list[IncidentHost]] = defaultdict(list)
        for h in self.hosts:
            out[h.zone or "?"].append(h)
        return dict(sorted(out.items()))

    @property
    def affected_zones(self) -> tuple[str, ...]:
        return tuple(sorted({h.zone for h in self.hosts if h.zone}))

    def to_json(self) -> str:
        return json.dumps(asdict(self), default=_default, ensure_ascii=False, indent=2)

    def save(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.id}.json"
        path.write_text(self.to_json(), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: Path) -> Incident:
        data = json.loads(path.read_text(encoding="utf-8"))
        return incident_from_dict(data)


def _default(value: object) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _dt(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _host(d: dict[str, Any]) -> IncidentHost:
    return IncidentHost(
        ip=d["ip"],
        hostname=d.get("hostname"),
        zone=d.get("zone"),
        status=d["status"],
        first_seen=datetime.fromisoformat(d["first_seen"]),
        infected_by=d.get("infected_by"),
        detectors=tuple(d.get("detectors", ())),
        detected_at=_dt(d.get("detected_at")),
    )


def incident_from_dict(d: dict[str, Any]) -> Incident:
    email = d.get("entry_email")
    return Incident(
        id=d["id"],
        title=d["title"],
        severity=d["severity"],
        first_seen=datetime.fromisoformat(d["first_seen"]),
        last_seen=datetime.fromisoformat(d["last_seen"]),
        patient_zero=_host(d["patient_zero"]) if d.get("patient_zero") else None,
        entry_email=None
        if not email
        else EntryEmail(
            message_id=email.get("message_id"),
            subject=email.get("subject"),
            sender=email.get("sender"),
            received=_dt(email.get("received")),
            score=email.get("score"),
            recipients=tuple(email.get("recipients", ())),
            reasons=email.get("reasons", ""),
            finding_uid=email["finding_uid"],
            reasons_en=email.get("reasons_en", ""),
        ),
        hosts=tuple(_host(h) for h in d.get("hosts", ())),
        timeline=tuple(
            TimelineEntry(
                time=datetime.fromisoformat(t["time"]),
                kind=t["kind"],
                text=t["text"],
                detector=t.get("detector"),
                finding_uid=t.get("finding_uid"),
                text_en=t.get("text_en", ""),
            )
            for t in d.get("timeline", ())
        ),
        attack=tuple(d.get("attack", ())),
        confidence=float(d.get("confidence", 0.0)),
        finding_uids=tuple(d.get("finding_uids", ())),
        title_en=d.get("title_en", ""),
    )
