"""Use cases of the crisis log: add, list, verify, situation report; system events.

Other use cases (plan confirmed, export written, bulk move, declaration) call
`record_system` so the log keeps what the tools did, in the system account's name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rempart.cases import CaseStore
from rempart.cases.store import SYSTEM_ACTOR
from rempart.core.clock import SYSTEM_CLOCK, Clock
from rempart.core.i18n import Lang
from rempart.recover import crisis as chain
from rempart.recover.crisis import ChainReport, Entry
from rempart.recover.situation import Situation, build_situation, render_situation
from rempart.store import Workspace

__all__ = [
    "SYSTEM_ACTOR",
    "ChainReport",
    "Entry",
    "SituationReport",
    "add",
    "head",
    "list_entries",
    "record_system",
    "situation_report",
    "verify",
]


def _root(workspace: Path | str | None) -> Path:
    return Workspace.at(workspace, create=False).root


def cases_for(workspace: Path | str | None, origin: str = "cli") -> CaseStore:
    return CaseStore.open(_root(workspace), origin=origin)


def role_of(cases: CaseStore, actor: str) -> str:
    if actor == SYSTEM_ACTOR:
        return "système"
    try:
        return cases.role(actor)
    except Exception:
        return ""


def add(
    workspace: Path | str | None,
    text: str,
    *,
    kind: str = "information",
    links: Sequence[str] = (),
    corrects: int | None = None,
    actor: str = SYSTEM_ACTOR,
    origin: str = "cli",
) -> Entry:
    cases = cases_for(workspace, origin)
    return chain.append(
        cases, text, author=actor, role=role_of(cases, actor), kind=kind, links=links,
        corrects=corrects,
    )  # fmt: skip


def record_system(
    root: Path, text: str, links: Sequence[str] = (), *, actor: str = SYSTEM_ACTOR
) -> Entry:
    """An automatic entry (kind `action`) for what a tool did: never fails the caller's work
    for a log problem it cannot fix, but a broken store raises like any write."""
    cases = CaseStore.open(root)
    return chain.append(
        cases, text, author=actor, role=role_of(cases, actor), kind="action", links=links
    )


def list_entries(workspace: Path | str | None) -> list[Entry]:
    return chain.entries(cases_for(workspace))


def verify(workspace: Path | str | None, anchor: str | None = None) -> ChainReport:
    return chain.verify(cases_for(workspace), anchor=anchor)


def head(workspace: Path | str | None) -> str:
    return chain.head(cases_for(workspace))


@dataclass(frozen=True)
class SituationReport:
    situation: Situation
    html: str

    def pdf(self) -> bytes:
        from rempart.report.pdf import html_to_pdf

        return html_to_pdf(self.html)


def situation_report(
    workspace: Path | str | None,
    *,
    next_meeting: str = "",
    actor: str = SYSTEM_ACTOR,
    lang: Lang = "fr",
    clock: Clock = SYSTEM_CLOCK,
    record: bool = True,
) -> SituationReport:
    """Build the report; with `record`, a `point` entry says it was issued (and its head hash
    is the one printed: the hash of the chain just before that entry)."""
    from rempart.app.board import board_counts_all

    root = _root(workspace)
    cases = cases_for(root)
    items = chain.entries(cases)
    head_hash = items[-1].hash if items else chain.GENESIS
    hospital = _hospital_name(root)
    incidents = tuple((i.id, i.title, i.state) for i in cases.incidents())
    s = build_situation(
        items, hospital=hospital, generated=clock.now(), author=actor, incidents=incidents,
        board=board_counts_all(root), next_meeting=next_meeting, head_hash=head_hash,
    )  # fmt: skip
    html = render_situation(s, lang)
    if record:
        chain.append(
            cases, f"Point de situation émis (empreinte {head_hash[:16]}…, {len(items)} entrées)",
            author=actor, role=role_of(cases, actor), kind="point",
        )  # fmt: skip
    return SituationReport(s, html)


def _hospital_name(root: Path) -> str:
    from rempart.model import load_hospital

    path = Workspace.at(root, create=False).hospital_path
    if path.is_file():
        return load_hospital(path).hospital.name
    return root.name
