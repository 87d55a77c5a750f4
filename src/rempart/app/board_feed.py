"""Machines put on the remediation board by other use cases: the hosts a triage run judges
compromised, the hosts an indicator was seen on (`intel_hunt`). Its own module so that triage
and detection can call it without a circle through `app.board` (which runs triage itself to
verify machines)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rempart.cases import CaseStore
from rempart.core.actors import SYSTEM_ACTOR
from rempart.core.clock import SYSTEM_CLOCK, Clock
from rempart.model import Hospital, load_hospital
from rempart.recover.board import Board, short_name
from rempart.store import Workspace

if TYPE_CHECKING:
    from rempart.detect.host import HostVerdict
    from rempart.store import Store

__all__ = [
    "BoardFeed",
    "BoardSource",
    "board_from_intel",
    "board_from_triage",
    "feed_board",
    "intel_sources",
    "triage_sources",
]


def _hospital(root: Path) -> Hospital | None:
    path = Workspace.at(root, create=False).hospital_path
    return load_hospital(path) if path.is_file() else None


@dataclass(frozen=True)
class BoardSource:
    """A machine some use case found implicated, and why: `source` is `triage` or `intel`,
    `note` names the verdict (and its rules) or the indicator seen."""

    host: str
    source: str
    note: str


@dataclass(frozen=True)
class BoardFeed:
    """Where the machines went: the incident whose board took them (None: no open incident
    to put them on), those added, and those already on a board (kept as they were)."""

    incident: str | None
    added: tuple[str, ...] = ()
    already: tuple[str, ...] = ()
    waiting: tuple[str, ...] = ()  # implicated, but no open incident to put them on


def feed_board(
    root: Path, found: Iterable[BoardSource], *, actor: str = SYSTEM_ACTOR,
    clock: Clock = SYSTEM_CLOCK,
) -> BoardFeed:  # fmt: skip
    """Put implicated machines on the board of the latest open incident as `suspect`, unless
    they already are on the board of an open incident (under the same name, their short name
    or, for an address, the hostname the model or an incident gives it). The note of each new
    item and the audit entry say where it came from."""
    items = list(found)
    if not items:
        return BoardFeed(None)
    cases = CaseStore.open(root, now=clock.now)
    open_ = [i for i in cases.incidents() if i.state != "closed"]
    hospital = _hospital(root)
    if not open_:
        return BoardFeed(None, waiting=tuple(dict.fromkeys(s.host for s in items)))
    target = Board(cases, open_[-1].id, hospital)
    on_boards = {
        short_name(target.canonical(row.host)): row.host
        for inc in open_
        for row in Board(cases, inc.id, hospital).rows()
    }
    # the incidents know which address each of their machines had
    names = {
        h.ip: h.hostname
        for inc in open_
        for h in cases.incident(inc.id).hosts
        if h.ip and h.hostname
    }
    notes: dict[str, list[str]] = {}
    sources: dict[str, str] = {}
    already: list[str] = []
    for s in items:
        host = target.canonical(names.get(s.host.strip(), s.host))
        if not host:
            continue
        known = on_boards.get(short_name(host))
        if known is not None:
            if known not in already:
                already.append(known)
            continue
        notes.setdefault(host, [])
        if s.note not in notes[host]:
            notes[host].append(s.note)
        sources.setdefault(host, s.source)
    if notes:
        target.add(
            [(h, target.zone_of(h)) for h in notes], actor=actor,
            notes={h: "; ".join(n) for h, n in notes.items()},
            source=",".join(sorted(set(sources.values()))),
        )  # fmt: skip
    return BoardFeed(target.case_id, tuple(notes), tuple(already))


def triage_sources(verdicts: Iterable[HostVerdict], lang: str = "fr") -> list[BoardSource]:
    """The machines a triage run judged compromised, with the rules that made the verdict
    (their titles in `lang`, the language of the command that ran the triage)."""
    out = []
    for v in verdicts:
        if v.verdict != "compromised":
            continue
        reasons = v.reasons_in(lang)
        rules = ", ".join(reasons[:3]) + ("…" if len(reasons) > 3 else "")
        out.append(BoardSource(v.host, "triage", f"triage: compromised ({rules})"))
    return out


def board_from_triage(
    workspace: Path | str | None, verdicts: Iterable[HostVerdict], *,
    clock: Clock = SYSTEM_CLOCK, lang: str = "fr",
) -> BoardFeed:  # fmt: skip
    """After `rempart triage` on a workspace: its compromised machines on the board."""
    root = Workspace.at(workspace, create=False).root
    return feed_board(root, triage_sources(verdicts, lang), clock=clock)


# The proxy's own sightings name the relay, not an infected machine (detect.intel).
_RELAY_REASON = "intel.reason_proxy"


def intel_sources(store: Store) -> list[BoardSource]:
    """The machines named by the retro-hunt's findings (detector `intel_hunt`, a host as the
    entity), with the indicator seen; the proxy's own sightings are left out."""
    from rempart.detect.intel import NAME

    if not store.count("finding"):
        return []
    rows = store.sql(
        """SELECT entity, params, reason_key FROM finding
           WHERE detector = $d AND entity_type = 'host' AND entity IS NOT NULL
           ORDER BY first_seen, entity""",
        {"d": NAME},
    ).to_pylist()
    out = []
    for r in rows:
        if r["reason_key"] == _RELAY_REASON:
            continue
        params = _params(r["params"])
        indicator = f"{params.get('type', '?')} {params.get('value', '?')}"
        out.append(BoardSource(str(r["entity"]), "intel", f"{NAME}: {indicator}"))
    return out


def _params(text: object) -> dict[str, object]:
    if not isinstance(text, str):
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def board_from_intel(root: Path, store: Store, *, clock: Clock = SYSTEM_CLOCK) -> BoardFeed:
    """After a detection or a hunt: the machines the indicators were seen on, on the board
    (call it with the store still open; the case store is another database)."""
    return feed_board(root, intel_sources(store), clock=clock)
