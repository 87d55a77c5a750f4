"""Use cases of the declarations: prepare one (prefilled, answers merged, versioned), render
it as JSON, HTML or PDF, and list what is due and when."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rempart.app.crisis import crisis_text, record_system, role_of
from rempart.cases import CaseStore
from rempart.cases.settings import ENV_CASES_DB, SQLITE_NAME
from rempart.core.actors import SYSTEM_ACTOR
from rempart.core.clock import SYSTEM_CLOCK, Clock
from rempart.core.errors import ConfigError
from rempart.core.i18n import Lang, t
from rempart.incidents import Incident
from rempart.model import Hospital, load_hospital
from rempart.recover import crisis as chain
from rempart.recover.board import Board
from rempart.recover.declare import (
    KINDS,
    STATUSES,
    VERSION_LABELS,
    VERSIONS,
    Deadline,
    Declaration,
    deadlines,
    fill,
    load_form,
    render_html,
    to_json,
)
from rempart.recover.prefill import context_for, events_for
from rempart.store import Workspace

__all__ = [
    "KINDS",
    "SYSTEM_ACTOR",
    "VERSIONS",
    "VERSION_LABELS",
    "Deadline",
    "Declaration",
    "DueItem",
    "Rendered",
    "declarations_due",
    "declare",
    "due",
    "due_items",
    "load_answers",
    "parse_answers",
    "record_awareness",
]

FORMATS = ("json", "html", "pdf")


@dataclass(frozen=True)
class Rendered:
    declaration: Declaration
    data: bytes
    fmt: str


def _hospital(root: Path) -> Hospital | None:
    path = Workspace.at(root, create=False).hospital_path
    return load_hospital(path) if path.is_file() else None


def _issued(cases: CaseStore, case_id: str) -> dict[tuple[str, str], datetime]:
    out: dict[tuple[str, str], datetime] = {}
    for r in cases.audit_trail("incident", case_id):
        if r.action == "declare.issue":
            key = (str(r.details.get("kind")), str(r.details.get("version")))
            out.setdefault(key, r.at)
    return out


AWARE_ACTION = "declare.awareness"


def record_awareness(
    workspace: Path | str | None,
    incident: str,
    at: datetime | None = None,
    *,
    actor: str = SYSTEM_ACTOR,
    clock: Clock = SYSTEM_CLOCK,
) -> datetime:
    """Record when the team became aware that personal data were breached (default: now):
    the CNIL's 72 hours run from it, not from the discovery. Audited and entered in the
    crisis log; a later record replaces it for the clocks, the earlier stays in the trail."""
    root = Workspace.at(workspace, create=False).root
    cases = CaseStore.open(root, now=clock.now)
    case_id = cases.case_id(incident)
    when = (at or clock.now()).astimezone(UTC)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    cases.audit(actor, AWARE_ACTION, "incident", case_id, {"at": stamp})
    record_system(
        root,
        crisis_text("crisis.aware", stamp=stamp, case=case_id),
        [f"incident:{case_id}"],
        actor=actor,
    )
    return when


def _events(
    cases: CaseStore, case_id: str, inc: Incident, answers: dict[str, Any] | None = None
) -> dict[str, datetime | None]:
    """The starting events of the clocks for one incident: its discovery; the awareness of
    a personal-data breach (these answers, else the latest recorded or CNIL-declared one,
    else the discovery); its resolution (when it was last closed, if it is)."""
    trail = cases.audit_trail("incident", case_id)
    given = dict(answers or {})
    if "awareness" not in given:
        for r in reversed(trail):
            if r.action == AWARE_ACTION and r.details.get("at"):
                given["awareness"] = r.details["at"]
                break
            cnil = r.action == "declare.issue" and r.details.get("kind") == "cnil"
            said = r.details.get("answers") if cnil else None
            if isinstance(said, dict) and said.get("awareness"):
                given["awareness"] = said["awareness"]
                break
    events = events_for(inc, given)
    resolution = None
    if cases.state(case_id) == "closed":
        closed = [
            r.at for r in trail if r.action == "incident.state" and r.details.get("to") == "closed"
        ]
        resolution = closed[-1] if closed else None
    return {**events, "resolution": resolution}


MAX_ANSWERS = 100_000  # characters of answers typed in the console


def parse_answers(text: str, where: str = "answers") -> dict[str, Any]:
    """Answers as typed (a JSON object, field id -> value); empty text is no answer."""
    if not text.strip():
        return {}
    if len(text) > MAX_ANSWERS:
        raise ConfigError(f"{where}: more than {MAX_ANSWERS} characters")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"{where}: not JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: the answers are a JSON object (field id: value)")
    return data


def load_answers(path: Path | None) -> dict[str, Any]:
    """The answers file: a JSON object, field id -> value."""
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: not a JSON file of answers ({exc})") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the answers are a JSON object (field id: value)")
    return data


def declare(
    workspace: Path | str | None,
    kind: str,
    incident: str,
    *,
    fmt: str = "json",
    version: str | None = None,
    lang: Lang = "fr",
    answers: dict[str, Any] | None = None,
    actor: str = SYSTEM_ACTOR,
    clock: Clock = SYSTEM_CLOCK,
    record: bool = True,
) -> Rendered:
    """Prepare a declaration. Without `version`: the first one not issued yet for this kind.
    With `record`, its issue goes to the audit trail and the crisis log (which feeds the
    `previous` clocks of the next version)."""
    if fmt not in FORMATS:
        raise ConfigError(
            key="error.unknown_format", params={"fmt": repr(fmt), "known": ", ".join(FORMATS)}
        )
    form = load_form(kind)
    root = Workspace.at(workspace, create=False).root
    cases = CaseStore.open(root, now=clock.now)
    case_id = cases.case_id(incident)
    inc = cases.incident(case_id)
    hospital = _hospital(root)
    issued = _issued(cases, case_id)
    if version is None:
        version = next((v for v in VERSIONS if (kind, v) not in issued), "final")
    # a CNIL answer `awareness` is the breach's; NIS 2's field of that name is the discovery
    events = _events(cases, case_id, inc, answers if kind == "cnil" else None)
    previous_version = VERSIONS[VERSIONS.index(version) - 1] if version in VERSIONS[1:] else None
    events_all: dict[str, datetime | None] = {
        **events,
        "previous": issued.get((kind, previous_version)) if previous_version else None,
    }
    board = Board(cases, case_id, hospital)
    counts: dict[str, int] = {}
    for row in board.rows():
        counts[row.state] = counts.get(row.state, 0) + 1
    manifests = [
        r.details.get("manifest_sha256")
        for r in cases.audit_trail("incident", case_id)
        if r.action == "evidence.export"
    ]
    context = context_for(
        inc, case_id=case_id, kind=kind, hospital=hospital, board=counts,
        crisis=chain.entries(cases), actor=actor, role=role_of(cases, actor),
        issued_kinds={k for k, _ in issued}, evidence_manifest=manifests[-1] if manifests else None,
        lang=lang,
    )  # fmt: skip
    context["incident.awareness"] = events["awareness"]  # recorded, answered or discovery
    d = fill(
        form, context, answers, version=version, lang=lang, incident=case_id,
        generated=clock.now(), events=events_all,
    )  # fmt: skip
    text = to_json(d)
    if fmt == "json":
        data = text.encode("utf-8")
    else:
        html = render_html(d)
        if fmt == "html":
            data = html.encode("utf-8")
        else:
            from rempart.report.pdf import html_to_pdf

            data = html_to_pdf(html, attachments=[(f"{kind}-{version}.json", text.encode("utf-8"))])
    if record:
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        details = {"kind": kind, "version": version, "sha256": digest, "answers": answers or {}}
        cases.audit(actor, "declare.issue", "incident", case_id, details)
        record_system(
            root,
            crisis_text(
                "crisis.declaration", kind=kind, version=version, case=case_id, digest=digest[:16]
            ),
            [f"incident:{case_id}", f"declaration:{kind}:{version}"],
            actor=actor,
        )
    return Rendered(d, data, fmt)


def due(
    workspace: Path | str | None,
    incident: str | None = None,
    *,
    lang: Lang = "fr",
) -> tuple[str, list[Deadline]]:
    """Each kind's next deadline for the incident (default: the latest open one)."""
    from rempart.app.board import default_incident

    root = Workspace.at(workspace, create=False).root
    cases = CaseStore.open(root)
    case_id = cases.case_id(incident) if incident else default_incident(cases)
    inc = cases.incident(case_id)
    return case_id, deadlines(_events(cases, case_id, inc), _issued(cases, case_id), lang)


@dataclass(frozen=True)
class DueItem:
    """One declaration still owed, as the dashboard and `rempart declare --due` show it:
    `status` is overdue, due, waiting or open; `when` says how long is left, or how late it
    is, in words of the language asked."""

    incident: str
    incident_title: str
    kind: str
    title: str
    version: str
    version_label: str
    start_event: str
    start: datetime | None
    due: datetime | None
    status: str
    status_label: str
    when: str
    rule: str

    @property
    def overdue(self) -> bool:
        return self.status == "overdue"


def _span(seconds: float, lang: Lang) -> str:
    hours = int(abs(seconds) // 3600)
    if hours >= 48:
        return t("recover.declare.days", lang, n=hours // 24)
    if hours >= 1:
        return t("recover.declare.hours", lang, n=hours)
    return t("recover.declare.minutes", lang, n=max(1, int(abs(seconds) // 60)))


def due_items(
    case_id: str,
    title: str,
    items: list[Deadline],
    *,
    now: datetime,
    lang: Lang = "fr",
    include_done: bool = False,
) -> list[DueItem]:
    """The deadlines of one incident as lines to show (the done ones left out unless asked),
    the most urgent first: overdue, then due by date, then waiting for their event, then
    open, then done."""
    out = []
    for d in items:
        status = d.status(now)
        if status == "done" and not include_done:
            continue
        when = ""
        if d.due is not None:
            left = (d.due - now).total_seconds()
            key = "recover.declare.late" if left < 0 else "recover.declare.left"
            when = t(key, lang, span=_span(left, lang))
        form = load_form(d.kind)
        item = DueItem(
            case_id, title, d.kind, form.title.get(lang), d.version,
            VERSION_LABELS[d.version][lang], d.start_event, d.start, d.due, status,
            t(f"recover.declare.status.{status}", lang), when, d.label,
        )  # fmt: skip
        out.append(item)
    rank = {s: i for i, s in enumerate(STATUSES)}
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(out, key=lambda x: (rank[x.status], x.due or far, x.kind))


def declarations_due(
    workspace: Path | str | None,
    *,
    incident: str | None = None,
    fixed_only: bool = True,
    include_done: bool = False,
    lang: Lang = "fr",
    clock: Clock = SYSTEM_CLOCK,
) -> list[DueItem]:
    """What is due and when, over every incident of the workspace (or one), overdue first.
    `fixed_only` (the dashboard) keeps the declarations with a date; otherwise those waiting
    for their event or owed as needed come too. A workspace without a case store owes
    nothing: the dashboard must not create one."""
    root = Workspace.at(workspace, create=False).root
    if not (root / SQLITE_NAME).is_file() and not os.environ.get(ENV_CASES_DB):
        return []
    cases = CaseStore.open(root)
    now = clock.now()
    out: list[DueItem] = []
    for summary in cases.incidents():
        if incident is not None and incident not in (summary.id, cases.case_id(incident)):
            continue
        inc = cases.incident(summary.id)
        items = deadlines(_events(cases, summary.id, inc), _issued(cases, summary.id), lang)
        out += [
            d
            for d in due_items(
                summary.id, summary.title, items, now=now, lang=lang, include_done=include_done
            )
            if d.due is not None or not fixed_only
        ]
    rank = {s: i for i, s in enumerate(STATUSES)}
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(out, key=lambda x: (rank[x.status], x.due or far, x.incident, x.kind))
