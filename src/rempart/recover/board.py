"""The remediation board: one item per machine of an incident, moved along a guarded diagram.

`suspect → isole → remediation (nettoyage | reinstallation) → verifie → remis`, and `ecarte`
(a false positive, with its reason) from `suspect` or `isole`. Every move is a `BoardMove`
row (who, when, note) and an audit entry, written in one transaction; a bulk move is one move
per machine, all or nothing. Items live in the case store (`rempart.cases`); buildings and care
services come from the hospital model at read time (zone → building, zone → services).

Fallback equipment lent to care services (laptops on Wi-Fi) is kept as audit entries
(`loan.issue`, `loan.return`, object type `loan`): append-only, and no table of its own.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from rempart.cases import CaseStore, InvalidTransition, InvalidValue
from rempart.core.i18n import Lang, t
from rempart.incidents import Incident
from rempart.model import Hospital

__all__ = [
    "BOARD_METHODS",
    "BOARD_STATES",
    "BOARD_TRANSITIONS",
    "DONE_STATES",
    "STATE_ALIASES",
    "Board",
    "BoardRefused",
    "BoardRow",
    "Burndown",
    "HostList",
    "Loan",
    "MoveRecord",
    "Verification",
    "check_move",
    "csv_safe",
    "plausible_host",
    "read_hosts",
    "refusal",
    "short_name",
    "state_of",
]

# The diagram of issue 24, the same as `rempart.cases.models` (which needs Django configured
# to import; a test keeps the two equal).
BOARD_STATES = ("suspect", "isole", "remediation", "verifie", "remis", "ecarte")
BOARD_TRANSITIONS: dict[str, frozenset[str]] = {
    "suspect": frozenset({"isole", "ecarte"}),
    "isole": frozenset({"remediation", "ecarte"}),
    "remediation": frozenset({"verifie"}),
    "verifie": frozenset({"remis"}),
    "remis": frozenset(),
    "ecarte": frozenset(),
}
BOARD_METHODS = ("nettoyage", "reinstallation")
DONE_STATES = frozenset({"remis", "ecarte"})
# What people type: the diagram's French words, with or without accents, or English.
STATE_ALIASES: dict[str, str] = {
    "suspect": "suspect",
    "suspected": "suspect",
    "isole": "isole",
    "isolé": "isole",
    "isolated": "isole",
    "remediation": "remediation",
    "remédiation": "remediation",
    "en remédiation": "remediation",
    "en remediation": "remediation",
    "verifie": "verifie",
    "vérifié": "verifie",
    "verified": "verifie",
    "remis": "remis",
    "remis en service": "remis",
    "restored": "remis",
    "ecarte": "ecarte",
    "écarté": "ecarte",
    "dismissed": "ecarte",
}
METHOD_ALIASES = {
    "nettoyage": "nettoyage",
    "cleaning": "nettoyage",
    "reinstallation": "reinstallation",
    "réinstallation": "reinstallation",
    "reinstall": "reinstallation",
}


def state_of(text: str) -> str:
    """The board state named by `text` (French or English, accents optional)."""
    key = text.strip().lower()
    if key not in STATE_ALIASES:
        raise InvalidValue(f"unknown board state {text!r} (one of {', '.join(BOARD_STATES)})")
    return STATE_ALIASES[key]


@dataclass(frozen=True)
class Verification:
    """What allows `verifie`: a clean triage run on logs of the host collected after it went
    into remediation, or a note naming the check made (`check`)."""

    check: str = ""
    triage_clean: bool | None = None
    logs_from: datetime | None = None  # earliest log the triage run read

    def problem(self, remediation_since: datetime | None) -> str | None:
        """Why this is not enough for `verifie` (a message key), None when it is."""
        if self.triage_clean is not None:
            if not self.triage_clean:
                return "recover.refuse.triage_not_clean"
            if self.logs_from is None or (
                remediation_since is not None and self.logs_from < remediation_since
            ):
                return "recover.refuse.triage_not_fresh"
            return None
        if not self.check.strip():
            return "recover.refuse.need_evidence"
        return None


Refusal = tuple[str, dict[str, str]]  # a message key and its values


def refusal(
    current: str,
    to: str,
    *,
    note: str = "",
    method: str | None = None,
    verification: Verification | None = None,
    remediation_since: datetime | None = None,
) -> Refusal | None:
    """Why this move is refused, as a message key and its values (None: allowed). The
    diagram and its guards, nothing else."""
    if to not in BOARD_STATES:
        return "recover.refuse.unknown_state", {"state": to}
    if to not in BOARD_TRANSITIONS.get(current, frozenset()):
        return "recover.refuse.not_in_diagram", {"from": current, "to": to}
    if to == "ecarte" and not note.strip():
        return "recover.refuse.need_reason", {}
    if to == "remediation" and method not in BOARD_METHODS:
        return "recover.refuse.need_method", {}
    if to == "verifie":
        proof = verification or Verification(check=note)
        key = proof.problem(remediation_since)
        return (key, {}) if key else None
    return None


def check_move(
    current: str,
    to: str,
    *,
    note: str = "",
    method: str | None = None,
    verification: Verification | None = None,
    remediation_since: datetime | None = None,
) -> str | None:
    """Why this move is refused, in English (None: allowed)."""
    found = refusal(
        current, to, note=note, method=method, verification=verification,
        remediation_since=remediation_since,
    )  # fmt: skip
    return None if found is None else t(found[0], "en", **found[1])


class BoardRefused(InvalidTransition):
    """A move refused, for one machine or several (a bulk move is all or nothing): each
    refusal with its machine, as a key and values, to be said in the reader's language."""

    def __init__(self, problems: Sequence[tuple[str, Refusal]]) -> None:
        self.problems = tuple(problems)
        super().__init__(self.text("en"))

    def text(self, lang: Lang) -> str:
        return "; ".join(
            f"{host}: {t(key, lang, **values)}" for host, (key, values) in self.problems
        )


@dataclass(frozen=True)
class MoveRecord:
    host: str
    from_state: str
    to_state: str
    who: str
    at: datetime
    note: str


@dataclass(frozen=True)
class BoardRow:
    host: str
    zone: str
    building: str
    services: tuple[str, ...]
    state: str
    method: str
    note: str
    updated_by: str
    updated_at: datetime


@dataclass(frozen=True)
class Loan:
    """A piece of fallback equipment lent to a care service, and its return."""

    ref: str
    service: str
    issued_by: str
    issued_at: datetime
    note: str = ""
    returned_at: datetime | None = None
    returned_by: str = ""


@dataclass(frozen=True)
class Burndown:
    """Open machines over time, the recent rate (machines per hour) and the estimated end."""

    points: tuple[tuple[datetime, int], ...]
    rate_per_hour: float
    window_hours: float
    open_now: int
    estimated_end: datetime | None
    svg: str = field(default="", repr=False)


def csv_safe(value: object) -> str:
    """A cell a spreadsheet will not run: text starting with = + - @ (or tab, CR) gets a '."""
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


class Board:
    """The board of one incident in the case store of a workspace."""

    def __init__(
        self, cases: CaseStore, incident_ref: str, hospital: Hospital | None = None
    ) -> None:
        self.cases = cases
        self.case_id = cases.case_id(incident_ref)
        self.hospital = hospital
        zones = hospital.zones if hospital else ()
        self._building = {z.id: (z.building or z.id) for z in zones}
        self._services: dict[str, list[str]] = {}
        for s in hospital.services if hospital else ():
            for z in s.zones:
                self._services.setdefault(z, []).append(s.name)
        self._asset_zone = {
            a.hostname.lower(): a.zone or "" for a in (hospital.assets if hospital else ())
        }
        self._asset_ip = {a.ip: a.hostname for a in (hospital.assets if hospital else ()) if a.ip}
        self._asset_short = {
            short_name(a.hostname): a.hostname for a in (hospital.assets if hospital else ())
        }

    # -- reading -----------------------------------------------------------------------------

    def _incident_row(self) -> Any:
        from rempart.cases import models

        return models.Incident.objects.get(case_id=self.case_id)

    def rows(
        self,
        *,
        state: str | None = None,
        zone: str | None = None,
        building: str | None = None,
        service: str | None = None,
    ) -> list[BoardRow]:
        from rempart.cases import models

        self.cases.activate()
        items = models.BoardItem.objects.filter(incident__case_id=self.case_id).order_by(
            "zone", "host"
        )
        out = []
        for it in items:
            row = BoardRow(
                it.host,
                it.zone,
                self._building.get(it.zone, it.zone),
                tuple(self._services.get(it.zone, ())),
                it.state,
                it.method or "",
                it.note,
                it.updated_by,
                it.updated_at,
            )
            if state and row.state != state:
                continue
            if zone and row.zone != zone:
                continue
            if building and row.building != building:
                continue
            if service and service not in row.services:
                continue
            out.append(row)
        return out

    def history(self) -> list[MoveRecord]:
        from rempart.cases import models

        self.cases.activate()
        moves = models.BoardMove.objects.filter(
            item__incident__case_id=self.case_id
        ).select_related("item")
        return [
            MoveRecord(m.item.host, m.from_state, m.to_state, m.who, m.at, m.note) for m in moves
        ]

    def counts(self, by: str = "building") -> dict[str, dict[str, int]]:
        """Counts per state, per building (`by="building"`), care service or zone."""
        table: dict[str, Counter[str]] = {}
        for row in self.rows():
            keys: Iterable[str]
            if by == "service":
                keys = row.services or ("—",)
            elif by == "zone":
                keys = (row.zone or "—",)
            else:
                keys = (row.building or "—",)
            for key in keys:
                table.setdefault(key, Counter())[row.state] += 1
        return {k: {s: c[s] for s in BOARD_STATES} for k, c in sorted(table.items())}

    # -- writing -----------------------------------------------------------------------------

    def zone_of(self, host: str) -> str:
        return self._asset_zone.get(host.lower(), "")

    def canonical(self, host: str) -> str:
        """The name a machine goes by in the hospital model: an address of a known asset
        gives its hostname, `PC-12.chu.local` or `pc-12` the model's `PC-12`; else as given."""
        host = host.strip()
        if host in self._asset_ip:
            return self._asset_ip[host]
        return self._asset_short.get(short_name(host), host)

    def add(
        self,
        hosts: Sequence[tuple[str, str]],
        *,
        actor: str,
        note: str = "",
        state: str = "suspect",
        notes: dict[str, str] | None = None,
        source: str = "",
    ) -> int:
        """Put machines (host, zone) on the board as `suspect`; those already on it are kept.
        Returns how many were added. One move ("" → suspect) per machine; `notes` gives a
        machine its own note (why it is there), else `note`; `source` (detectors, triage,
        intel, inventory) goes to the audit entry with each machine's note."""
        from django.db import transaction

        from rempart.cases import models

        self.cases.activate()
        added = 0
        with transaction.atomic():
            incident = self._incident_row()
            known = set(
                models.BoardItem.objects.filter(incident=incident).values_list("host", flat=True)
            )
            now = self.cases.timestamp()
            fresh: list[str] = []
            for host, zone in hosts:
                host = host.strip()
                if not host or host in known or not plausible_host(host):
                    continue
                known.add(host)
                fresh.append(host)
                own = (notes or {}).get(host, note)
                item = models.BoardItem.objects.create(
                    incident=incident,
                    host=host,
                    zone=zone or self.zone_of(host),
                    state=state,
                    note=own,
                    updated_by=actor,
                    updated_at=now,
                )
                models.BoardMove.objects.create(
                    item=item, from_state="", to_state=state, who=actor, at=now, note=own
                )
                added += 1
            if added:
                details: dict[str, Any] = {"added": added, "note": note}
                if source:
                    details["source"] = source
                    details["hosts"] = {h: (notes or {}).get(h, note) for h in fresh}
                self.cases.audit(actor, "board.add", "incident", self.case_id, details)
        return added

    def move(
        self,
        hosts: Sequence[str],
        to: str,
        *,
        actor: str,
        note: str = "",
        method: str | None = None,
        verification: Verification | None = None,
    ) -> list[MoveRecord]:
        """Move machines to `to`, one move and one audit entry per machine, all or nothing:
        one refused move refuses the lot (`InvalidTransition` naming every refusal)."""
        from django.db import transaction

        from rempart.cases import models

        to = state_of(to)
        if method is not None:
            key = method.strip().lower()
            if key not in METHOD_ALIASES:
                raise InvalidValue(f"unknown method {method!r} (nettoyage or reinstallation)")
            method = METHOD_ALIASES[key]
        wanted = list(dict.fromkeys(h.strip() for h in hosts if h.strip()))
        if not wanted:
            raise InvalidValue("no machine to move")
        self.cases.activate()
        done: list[MoveRecord] = []
        with transaction.atomic():
            items = {
                it.host: it
                for it in models.BoardItem.objects.filter(
                    incident__case_id=self.case_id, host__in=wanted
                )
            }
            problems: list[tuple[str, Refusal]] = [
                (h, ("recover.refuse.not_on_board", {})) for h in wanted if h not in items
            ]
            for host in wanted:
                item = items.get(host)
                if item is None:
                    continue
                since = None
                if to == "verifie":
                    last = item.moves.filter(to_state="remediation").order_by("-at").first()
                    since = last.at if last is not None else None
                why = refusal(
                    item.state,
                    to,
                    note=note,
                    method=method or item.method,
                    verification=verification,
                    remediation_since=since,
                )
                if why:
                    problems.append((host, why))
            if problems:
                raise BoardRefused(problems)
            now = self.cases.timestamp()
            for host in wanted:
                item = items[host]
                before = item.state
                item.state = to
                if to == "remediation":
                    item.method = method or item.method
                if note:
                    item.note = note
                item.updated_by = actor
                item.updated_at = now
                item.save()
                detail = note
                if verification is not None and verification.triage_clean is not None:
                    detail = (note + " " if note else "") + "(triage clean, fresh logs)"
                models.BoardMove.objects.create(
                    item=item, from_state=before, to_state=to, who=actor, at=now, note=detail
                )
                details: dict[str, Any] = {"host": host, "from": before, "to": to}
                if note:
                    details["note"] = note
                if to == "remediation":
                    details["method"] = item.method
                self.cases.audit(actor, "board.move", "incident", self.case_id, details)
                done.append(MoveRecord(host, before, to, actor, now, detail))
        return done

    # -- loans -------------------------------------------------------------------------------

    def loans(self) -> list[Loan]:
        """Fallback equipment issued for this incident, with its return when it came back."""
        out: dict[str, Loan] = {}
        for rec in self.cases.audit_trail("loan"):
            if rec.details.get("incident") != self.case_id:
                continue
            if rec.action == "loan.issue":
                out[rec.object_id] = Loan(
                    rec.object_id,
                    str(rec.details.get("service", "")),
                    rec.actor,
                    rec.at,
                    str(rec.details.get("note", "")),
                )
            elif rec.action == "loan.return" and rec.object_id in out:
                old = out[rec.object_id]
                out[rec.object_id] = Loan(
                    old.ref, old.service, old.issued_by, old.issued_at, old.note, rec.at, rec.actor
                )
        return list(out.values())

    def issue(self, ref: str, service: str, *, actor: str, note: str = "") -> None:
        ref, service = ref.strip(), service.strip()
        if not ref or not service:
            raise InvalidValue("a loan needs the equipment's reference and the care service")
        current = {loan.ref: loan for loan in self.loans()}
        if ref in current and current[ref].returned_at is None:
            raise InvalidValue(f"{ref} is already lent to {current[ref].service}")
        self.cases.audit(
            actor,
            "loan.issue",
            "loan",
            ref,
            {"incident": self.case_id, "service": service, "note": note},
        )

    def give_back(self, ref: str, *, actor: str) -> None:
        current = {loan.ref: loan for loan in self.loans()}
        if ref not in current or current[ref].returned_at is not None:
            raise InvalidValue(f"{ref} is not out on loan")
        self.cases.audit(actor, "loan.return", "loan", ref, {"incident": self.case_id})

    # -- exports -----------------------------------------------------------------------------

    def to_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(
            [
                "host",
                "zone",
                "building",
                "services",
                "state",
                "method",
                "note",
                "updated_by",
                "updated_at",
            ]
        )
        for r in self.rows():
            w.writerow(
                [
                    csv_safe(v)
                    for v in (
                        r.host,
                        r.zone,
                        r.building,
                        " | ".join(r.services),
                        r.state,
                        r.method,
                        r.note,
                        r.updated_by,
                        r.updated_at.isoformat(),
                    )
                ]
            )
        return buf.getvalue()

    def to_json(self) -> str:
        return json.dumps(
            [
                {
                    "host": r.host,
                    "zone": r.zone,
                    "building": r.building,
                    "services": list(r.services),
                    "state": r.state,
                    "method": r.method,
                    "note": r.note,
                    "updated_by": r.updated_by,
                    "updated_at": r.updated_at.isoformat(),
                }
                for r in self.rows()
            ],
            ensure_ascii=False,
            indent=2,
        )

    def burndowns(
        self, by: str = "building", *, now: datetime, window_hours: float = 6.0
    ) -> dict[str, Burndown]:
        """One burndown per building (`by="building"`), care service or zone: its machines'
        open count, recent rate and estimated end (no SVG: a table line each)."""
        groups: dict[str, set[str]] = {}
        for row in self.rows():
            if by == "service":
                keys: Iterable[str] = row.services or ("—",)
            elif by == "zone":
                keys = (row.zone or "—",)
            else:
                keys = (row.building or "—",)
            for key in keys:
                groups.setdefault(key, set()).add(row.host)
        history = self.history()
        return {
            key: self.burndown(
                now=now, window_hours=window_hours, hosts=hosts, history=history, svg=False
            )
            for key, hosts in sorted(groups.items())
        }

    def burndown(
        self,
        *,
        now: datetime,
        window_hours: float = 6.0,
        hosts: set[str] | None = None,
        history: Sequence[MoveRecord] | None = None,
        svg: bool = True,
    ) -> Burndown:
        """Open machines (neither remis nor écarté) after every move; the rate of the last
        `window_hours` and the end it points to at that pace; of `hosts` only if given."""
        open_hosts: set[str] = set()
        points: list[tuple[datetime, int]] = []
        closed_at: list[datetime] = []
        moves = self.history() if history is None else history
        for m in moves:
            if hosts is not None and m.host not in hosts:
                continue
            if m.to_state in DONE_STATES:
                if m.host in open_hosts:
                    closed_at.append(m.at)
                open_hosts.discard(m.host)
            else:
                open_hosts.add(m.host)
            if points and points[-1][0] == m.at:
                points[-1] = (m.at, len(open_hosts))
            else:
                points.append((m.at, len(open_hosts)))
        start = now - timedelta(hours=window_hours)
        recent = sum(1 for t in closed_at if t >= start)
        rate = recent / window_hours
        left = len(open_hosts)
        end = (
            now + timedelta(hours=left / rate) if rate > 0 and left else (now if not left else None)
        )
        result = Burndown(tuple(points), rate, window_hours, left, end)
        if not svg:
            return result
        return Burndown(
            result.points, rate, window_hours, left, end, svg=burndown_svg(result, now=now)
        )


def burndown_svg(b: Burndown, *, now: datetime, width: int = 640, height: int = 200) -> str:
    """The burndown as inline SVG (classes, no style attributes: the console's CSP)."""
    from html import escape

    pts = list(b.points) or [(now, 0)]
    t0 = pts[0][0]
    t1 = max(now, b.estimated_end or now, pts[-1][0])
    span = max((t1 - t0).total_seconds(), 1.0)
    top = max(max(n for _, n in pts), 1)
    pad = 30

    def x(t: datetime) -> float:
        return pad + (width - 2 * pad) * (t - t0).total_seconds() / span

    def y(n: float) -> float:
        return height - pad - (height - 2 * pad) * n / top

    line = " ".join(f"{x(t):.1f},{y(n):.1f}" for t, n in pts)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="burndown" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" role="img" aria-label="burndown">',
        f'<line class="axis" x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}"'
        ' stroke="#555"/>',
        f'<line class="axis" x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="#555"/>',
        f'<polyline class="open" fill="none" stroke="#b03030" stroke-width="2" points="{line}"/>',
        f'<text x="{pad}" y="{pad - 8}" font-size="11">{top}</text>',
        f'<text x="{pad}" y="{height - 8}" font-size="11">'
        f"{escape(t0.strftime('%d/%m %H:%M'))}</text>",
    ]
    if b.estimated_end is not None and b.open_now:
        parts.append(
            f'<line class="forecast" x1="{x(pts[-1][0]):.1f}" y1="{y(b.open_now):.1f}"'
            f' x2="{x(b.estimated_end):.1f}" y2="{y(0):.1f}" stroke="#3060b0"'
            ' stroke-dasharray="4 3"/>'
        )
        parts.append(
            f'<text x="{width - pad}" y="{height - 8}" font-size="11" text-anchor="end">'
            f"{escape(b.estimated_end.strftime('%d/%m %H:%M'))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def short_name(host: str) -> str:
    """A machine's name for matching: lower case, without its domain (an address as is)."""
    text = host.strip().lower()
    if text.replace(".", "").isdigit() or ":" in text:
        return text
    return text.split(".", 1)[0]


def hosts_from_incident(incident: Incident) -> list[tuple[str, str, str]]:
    """(host, zone, why) for every machine of an incident: its name when known, else its IP."""
    out = []
    for h in incident.hosts:
        why = h.status + (f" ({', '.join(h.detectors)})" if h.detectors else "")
        out.append((h.hostname or h.ip, h.zone or "", why))
    return out


_HOST = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,252}$")


def plausible_host(name: str) -> bool:
    """A host name or an address (RFC 1123 letters, digits, '-', '.', '_', ':' for IPv6):
    anything else in a list or an inventory is a bad line, not a machine."""
    return bool(_HOST.match(name))


@dataclass(frozen=True)
class HostList:
    """Machines read from a list or an inventory, and the lines refused with their reason."""

    hosts: tuple[tuple[str, str], ...]  # (host, zone)
    rejected: tuple[str, ...]


def read_hosts(path: Path, hospital: Hospital | None) -> HostList:
    """(host, zone) from a GLPI-style or Rempart inventory CSV, or a plain list (one a line,
    `#` comments); names that are not host names are refused, with their line."""
    from rempart.model.inventory import read_inventory

    text = path.read_text("utf-8", errors="replace")
    first = text.splitlines()[0] if text.strip() else ""
    found: list[tuple[str, str, str]] = []  # host, zone, where
    rejected: list[str] = []
    if "," in first or ";" in first:
        result = read_inventory(path, hospital.zones if hospital else ())
        rejected += [f"{loc}: {why}" for loc, why in result.problems]
        found += [
            (a.hostname, a.zone or "", str(loc))
            for a, loc in zip(result.assets, result.locations, strict=False)
        ]
    else:
        for n, line in enumerate(text.splitlines(), start=1):
            name = line.strip()
            if name and not name.startswith("#"):
                found.append((name, "", f"{path.name}:{n}"))
    hosts = []
    for host, zone, where in found:
        if plausible_host(host):
            hosts.append((host, zone))
        else:
            rejected.append(f"{where}: not a host name: {host[:40]!r}")
    return HostList(tuple(hosts), tuple(rejected))


def hosts_from_inventory(path: Path, hospital: Hospital | None) -> list[tuple[str, str]]:
    """(host, zone) from a GLPI-style or Rempart inventory CSV, or a plain list (one a line)."""
    return list(read_hosts(path, hospital).hosts)
