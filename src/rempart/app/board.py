"""Use cases of the remediation board: show, move (one or in bulk), add, import, loans,
burndown, and filling the board from an incident's findings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rempart.app.board_feed import (
    BoardFeed,
    BoardSource,
    board_from_intel,
    board_from_triage,
    feed_board,
    intel_sources,
    triage_sources,
)
from rempart.app.crisis import CRISIS_LANG, crisis_text, record_system
from rempart.cases import CaseStore, InvalidValue
from rempart.core.actors import SYSTEM_ACTOR
from rempart.core.clock import SYSTEM_CLOCK, Clock
from rempart.core.i18n import t
from rempart.incidents import Incident
from rempart.model import Hospital, load_hospital
from rempart.recover.board import (
    BOARD_STATES,
    Board,
    BoardRefused,
    BoardRow,
    Burndown,
    Loan,
    MoveRecord,
    Verification,
    hosts_from_incident,
    hosts_from_inventory,
    plausible_host,
    read_hosts,
    state_of,
)
from rempart.store import Workspace


def _bulk_move_text(n: int, state: str, names: str, note: str | None) -> str:
    """The crisis log's entry for a bulk move, in the log's language."""
    to = t(f"recover.board.state.{state}", CRISIS_LANG)
    text = crisis_text("crisis.bulk_move", n=n, state=to, names=names)
    return crisis_text("crisis.with_note", text=text, note=note) if note else text


__all__ = [
    "BOARD_STATES",
    "BoardFeed",
    "BoardRefused",
    "BoardRow",
    "BoardSource",
    "Burndown",
    "ImportResult",
    "Loan",
    "MoveRecord",
    "Verification",
    "add_hosts",
    "board_counts_all",
    "board_from_intel",
    "board_from_triage",
    "feed_board",
    "fill_from_incident",
    "import_hosts",
    "import_inventory",
    "intel_sources",
    "issue_loan",
    "move",
    "open_board",
    "return_loan",
    "select_hosts",
    "triage_sources",
    "verify_by_triage",
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
            _bulk_move_text(len(done), done[0].to_state, names, note),
            [f"incident:{board.case_id}"],
            actor=actor,
        )
    return done


def add_hosts(
    board: Board, hosts: Sequence[str], *, actor: str = SYSTEM_ACTOR, note: str = ""
) -> int:
    """Machines added by hand; a name that is not a host name is refused (`InvalidValue`)."""
    bad = [h for h in hosts if h.strip() and not plausible_host(h.strip())]
    if bad:
        raise InvalidValue(f"not a host name: {bad[0][:40]!r}")
    return board.add([(h, board.zone_of(h)) for h in hosts], actor=actor, note=note)


@dataclass(frozen=True)
class ImportResult:
    added: int
    rejected: tuple[str, ...]  # each refused line, where and why


def import_hosts(board: Board, path: Path, *, actor: str = SYSTEM_ACTOR) -> ImportResult:
    """Put every machine of a GLPI-style inventory export (or a plain list) on the board;
    the lines that name no machine are returned with their reason."""
    found = read_hosts(path, board.hospital)
    added = board.add(list(found.hosts), actor=actor, note=f"import {path.name}")
    return ImportResult(added, found.rejected)


def import_inventory(board: Board, path: Path, *, actor: str = SYSTEM_ACTOR) -> int:
    """`import_hosts`, the number added only."""
    return import_hosts(board, path, actor=actor).added


def fill_from_incident(root: Path, case_id: str, incident: Incident) -> int:
    """Every machine of the incident on its board as `suspect` (the detectors as the note)."""
    cases = CaseStore.open(root)
    board = Board(cases, case_id, _hospital(root))
    found = hosts_from_incident(incident)
    notes = {host: why for host, _zone, why in found}
    return board.add([(h, z) for h, z, _ in found], actor=SYSTEM_ACTOR, notes=notes)


def issue_loan(
    board: Board, ref: str, service: str, *, actor: str = SYSTEM_ACTOR, note: str = ""
) -> None:
    board.issue(ref, service, actor=actor, note=note)


def return_loan(board: Board, ref: str, *, actor: str = SYSTEM_ACTOR) -> None:
    board.give_back(ref, actor=actor)


def board_counts_all(root: Path) -> dict[str, int]:
    """Machines per state over every incident of the workspace (situation reports)."""
    from rempart.app.crisis import board_counts

    return board_counts(CaseStore.open(root), root)


def verify_by_triage(
    board: Board,
    hosts: Sequence[str],
    logs: Sequence[Path],
    *,
    actor: str = SYSTEM_ACTOR,
    note: str = "",
) -> list[MoveRecord]:
    """Move machines to `verifie` on the strength of a triage run over their fresh logs: the
    host must have a `clean` verdict in those logs, and the log files must have been written
    after the machine went into remediation (their modification time; copy them with it)."""
    from datetime import UTC, datetime

    from rempart.app.triage import triage

    files = [p for p in logs if p.exists()]
    if not files:
        raise InvalidValue("no log file to triage")
    result = triage(files)
    verdicts = {v.host.lower().split(".")[0]: v.verdict for v in result.hosts}
    stamps = [
        datetime.fromtimestamp(p.stat().st_mtime, UTC)
        for path in files
        for p in ([path] if path.is_file() else [q for q in path.rglob("*") if q.is_file()])
    ]
    logs_from = min(stamps) if stamps else None
    done: list[MoveRecord] = []
    for host in hosts:
        verdict = verdicts.get(host.lower().split(".")[0])
        check = Verification(
            check=note, triage_clean=verdict == "clean" if verdict else False, logs_from=logs_from
        )
        detail = note or f"triage: {verdict or 'no events of this host'}"
        done += board.move([host], "verifie", actor=actor, note=detail, verification=check)
    return done
