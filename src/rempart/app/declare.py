"""Use cases of the declarations: prepare one (prefilled, answers merged, versioned), render
it as JSON, HTML or PDF, and list what is due and when."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from rempart.app.crisis import record_system, role_of
from rempart.cases import CaseStore
from rempart.core.actors import SYSTEM_ACTOR
from rempart.core.clock import SYSTEM_CLOCK, Clock
from rempart.core.errors import ConfigError
from rempart.core.i18n import Lang
from rempart.model import Hospital, load_hospital
from rempart.recover import crisis as chain
from rempart.recover.board import Board
from rempart.recover.declare import (
    KINDS,
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
    "Deadline",
    "Declaration",
    "Rendered",
    "declare",
    "due",
    "load_answers",
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
        raise ConfigError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    form = load_form(kind)
    root = Workspace.at(workspace, create=False).root
    cases = CaseStore.open(root, now=clock.now)
    case_id = cases.case_id(incident)
    inc = cases.incident(case_id)
    hospital = _hospital(root)
    issued = _issued(cases, case_id)
    if version is None:
        version = next((v for v in VERSIONS if (kind, v) not in issued), "final")
    events = events_for(inc, answers)
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
            f"Déclaration {kind} ({version}) établie pour {case_id} (empreinte {digest[:16]}…)",
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
    return case_id, deadlines(events_for(inc), _issued(cases, case_id), lang)
