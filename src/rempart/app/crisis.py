"""Use cases of the crisis log: add, list, verify, situation report; system events.

Other use cases (plan confirmed, export written, bulk move, declaration) call
`record_system` so the log keeps what the tools did, in the system account's name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rempart.cases import CaseStore
from rempart.core.actors import SYSTEM_ACTOR
from rempart.core.clock import SYSTEM_CLOCK, Clock
from rempart.core.i18n import Lang, t
from rempart.recover import crisis as chain
from rempart.recover.crisis import ChainReport, Entry
from rempart.recover.situation import Situation, build_situation, render_situation
from rempart.store import Workspace

__all__ = [
    "CRISIS_LANG",
    "SYSTEM_ACTOR",
    "ChainReport",
    "Entry",
    "SituationReport",
    "add",
    "board_counts",
    "crisis_text",
    "head",
    "keygen",
    "list_entries",
    "record_system",
    "sign",
    "signatures",
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


CRISIS_LANG: Lang = "fr"  # the crisis log is written in the hospital's language


def crisis_text(key: str, **params: object) -> str:
    """An automatic entry's text from the catalogue, in the crisis log's language (the text
    is stored as written: an entry is evidence, hash-chained, never re-rendered)."""
    return t(key, CRISIS_LANG, **params)


def record_system(
    root: Path, text: str, links: Sequence[str] = (), *, actor: str = SYSTEM_ACTOR
) -> Entry:
    """An automatic entry (kind `action`) for what a tool did (bulk move, export written,
    plan retained, declaration issued), in the name of whoever made the tool do it."""
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
    root = _root(workspace)
    cases = cases_for(root)
    items = chain.entries(cases)
    head_hash = items[-1].hash if items else chain.GENESIS
    hospital = _hospital_name(root)
    incidents = tuple((i.id, i.title, i.state) for i in cases.incidents())
    s = build_situation(
        items, hospital=hospital, generated=clock.now(), author=actor, incidents=incidents,
        board=board_counts(cases, root), next_meeting=next_meeting, head_hash=head_hash,
    )  # fmt: skip
    html = render_situation(s, lang)
    if record:
        chain.append(
            cases, crisis_text("crisis.situation", digest=head_hash[:16], n=len(items)),
            author=actor, role=role_of(cases, actor), kind="point",
        )  # fmt: skip
    return SituationReport(s, html)


def _hospital_name(root: Path) -> str:
    from rempart.model import load_hospital

    path = Workspace.at(root, create=False).hospital_path
    if path.is_file():
        return load_hospital(path).hospital.name
    return root.name


def board_counts(cases: CaseStore, root: Path) -> dict[str, int]:
    """Machines per state over every incident of the workspace."""
    from rempart.model import load_hospital
    from rempart.recover.board import BOARD_STATES, Board

    path = Workspace.at(root, create=False).hospital_path
    hospital = load_hospital(path) if path.is_file() else None
    totals = dict.fromkeys(BOARD_STATES, 0)
    for inc in cases.incidents():
        for row in Board(cases, inc.id, hospital).rows():
            totals[row.state] += 1
    return totals


def keygen(path: Path) -> str:
    """A new Ed25519 key for an author (PEM at `path`); returns the public key (hex)."""
    from rempart.recover.signing import generate_key

    return generate_key(path)


def sign(
    workspace: Path | str | None, seq: int, key_file: Path, *, actor: str = SYSTEM_ACTOR
) -> Entry:
    """Sign entry `seq` with the author's key: a new entry carrying the signature."""
    from rempart.cases import CaseError
    from rempart.recover.signing import load_key, sign_link

    cases = cases_for(workspace)
    target = next((e for e in chain.entries(cases) if e.seq == seq), None)
    if target is None:
        raise CaseError(f"no crisis log entry #{seq} to sign")
    link = sign_link(load_key(key_file), target.hash)
    return chain.append(
        cases, crisis_text("crisis.signature", seq=seq), author=actor,
        role=role_of(cases, actor), kind="information", links=[f"crisis:{seq}", link],
    )  # fmt: skip


def signatures(workspace: Path | str | None) -> list[Any]:
    """Every signature in the log, checked (`valid`)."""
    from rempart.recover.signing import check_signatures

    return list(check_signatures(chain.entries(cases_for(workspace))))
