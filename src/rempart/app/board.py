"""Use cases of the remediation board: show, move (one or in bulk), add, import, loans,
burndown, and filling the board from an incident's findings."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rempart.app.crisis import record_system
from rempart.cases import CaseStore, InvalidValue
from rempart.cases.store import SYSTEM_ACTOR
from rempart.core.clock import SYSTEM_CLOCK, Clock
from rempart.incidents import Incident
from rempart.model import Hospital, load_hospital
from rempart.recover.board import (
    BOARD_STATES,
    Board,
    BoardRow,
    Burndown,
    Loan,
    MoveRecord,
    Verification,
    hosts_from_incident,
    hosts_from_inventory,
    state_of,
)
from rempart.store import Workspace

__all__ = [
    "BOARD_STATES",
    "BoardRow",
    "Burndown",
    "Loan",
    "MoveRecord",
    "Verification",
    "add_hosts",
    "board_counts_all",
    "fill_from_incident",
    "import_inventory",
    "issue_loan",
    "move",
    "open_board",
    "return_loan",
    "select_hosts",
]


def _root(workspace: Path | str | None) -> Path:
    return Workspace.at(workspace, create=False).root


def _hospital(root: Path) -> Hospital | None:
    path = Workspace.at(root, create=False).hospital_path
    return load_hospital(path) if path.is_file() else None


def default_incident(cases: CaseStore) -> str:
    """The most recent open incident, else the most recent one."""
    items = cases.incidents()
    if not items:
        raise InvalidValue("no incident in this workspace (run rempart incident or rempart demo)")
    open_ = [i for i in items if i.state != "closed"]
    return (open_ or items)[-1].id


def open_board(
    workspace: Path | str | None, incident: str | None = None, *, origin: str = "cli",
    clock: Clock = SYSTEM_CLOCK,
) -> Board:  # fmt: skip
    root = _root(workspace)
    cases = CaseStore.open(root, origin=origin, now=clock.now)
    return Board(cases, incident or default_incident(cases), _hospital(root))


def select_hosts(
    board: Board,
    hosts: Sequence[str] = (),
    *,
    zone: str | None = None,
    state: str | None = None,
    building: str | None = None,
    service: str | None = None,
    list_file: Path | None = None,
) -> list[str]:
    """The machines named, plus those of a zone/building/service/state filter, plus a list."""
    wanted = list(hosts)
    if list_file is not None:
        wanted += [h for h, _ in hosts_from_inventory(list_file, board.hospital)]
    if zone or state or building or service:
        rows = board.rows(
            zone=zone, state=state_of(state) if state else None, building=building,
            service=service,
        )  # fmt: skip
        wanted += [r.host for r in rows]
    return list(dict.fromkeys(wanted))


def move(
    board: Board,
    hosts: Sequence[str],
    to: str,
    *,
    actor: str = SYSTEM_ACTOR,
    note: str = "",
    method: str | None = None,
    verification: Verification | None = None,
) -> list[MoveRecord]:
    """Move machines; a bulk move (more than one) is also entered in the crisis log."""
    done = board.move(hosts, to, actor=actor, note=note, method=method, verification=verification)
    if len(done) > 1 and board.cases.root is not None:
        names = ", ".join(m.host for m in done[:10]) + ("…" if len(done) > 10 else "")
        record_system(
            board.cases.root,
            f"Déplacement groupé de {len(done)} machines vers « {done[0].to_state} » ({names})"
            + (f" : {note}" if note else ""),
            [f"incident:{board.case_id}"],
            actor=actor,
        )
    return done


def add_hosts(
    board: Board, hosts: Sequence[str], *, actor: str = SYSTEM_ACTOR, note: str = ""
) -> int:
    return board.add([(h, board.zone_of(h)) for h in hosts], actor=actor, note=note)


def import_inventory(board: Board, path: Path, *, actor: str = SYSTEM_ACTOR) -> int:
    """Put every machine of a GLPI-style inventory export (or a plain list) on the board."""
    return board.add(
        hosts_from_inventory(path, board.hospital), actor=actor, note=f"import {path.name}"
    )


def fill_from_incident(root: Path, case_id: str, incident: Incident) -> int:
    """Every machine of the incident on its board as `suspect` (the detectors as the note)."""
    cases = CaseStore.open(root)
    board = Board(cases, case_id, _hospital(root))
    added = 0
    for host, zone, why in hosts_from_incident(incident):
        added += board.add([(host, zone)], actor=SYSTEM_ACTOR, note=why)
    return added


def issue_loan(
    board: Board, ref: str, service: str, *, actor: str = SYSTEM_ACTOR, note: str = ""
) -> None:
    board.issue(ref, service, actor=actor, note=note)


def return_loan(board: Board, ref: str, *, actor: str = SYSTEM_ACTOR) -> None:
    board.give_back(ref, actor=actor)


def board_counts_all(root: Path) -> dict[str, int]:
    """Machines per state over every incident of the workspace (situation reports)."""
    cases = CaseStore.open(root)
    totals = dict.fromkeys(BOARD_STATES, 0)
    hospital = _hospital(root)
    for inc in cases.incidents():
        for row in Board(cases, inc.id, hospital).rows():
            totals[row.state] += 1
    return totals
