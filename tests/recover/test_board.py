"""The remediation board: the diagram exactly, its guards, bulk moves one per machine."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rempart.app import board as uc
from rempart.cases import CaseStore, InvalidTransition, InvalidValue
from rempart.recover.board import (
    BOARD_STATES,
    BOARD_TRANSITIONS,
    Board,
    Verification,
    check_move,
    csv_safe,
)

# The diagram of issue 24, written out once more by hand.
DIAGRAM = {
    ("suspect", "isole"),
    ("isole", "remediation"),
    ("remediation", "verifie"),
    ("verifie", "remis"),
    ("suspect", "ecarte"),
    ("isole", "ecarte"),
}


def test_transitions_are_the_diagram_and_the_case_store_agrees(ws: Path) -> None:
    from rempart.cases import models

    pairs = {(a, b) for a, tos in BOARD_TRANSITIONS.items() for b in tos}
    assert pairs == DIAGRAM
    assert models.BOARD_TRANSITIONS == BOARD_TRANSITIONS
    assert models.BOARD_STATES == BOARD_STATES


@pytest.mark.parametrize(("src", "dst"), list(itertools.product(BOARD_STATES, BOARD_STATES)))
def test_every_move_outside_the_diagram_is_refused(src: str, dst: str) -> None:
    why = check_move(src, dst, note="contrôle EDR", method="nettoyage")
    assert (why is None) == ((src, dst) in DIAGRAM)


def test_board_refuses_moves_outside_the_diagram_in_the_store(ws: Path) -> None:
    """Walk every state; from each, every target not in the diagram raises, nothing recorded."""
    board = uc.open_board(ws)
    uc.fill_from_incident(ws, board.case_id, CaseStore.open(ws).incident(board.case_id))
    path = [("isole", None), ("remediation", "nettoyage"), ("verifie", None), ("remis", None)]
    host = "PC-001"
    for to, method in [(None, None), *path]:
        if to is not None:
            board.move([host], to, actor="tech", note="EDR propre", method=method)
        state = _state(board, host)
        before = len(board.history())
        for target in BOARD_STATES:
            if (state, target) in DIAGRAM:
                continue
            with pytest.raises(InvalidTransition):
                board.move([host], target, actor="tech", note="x", method="nettoyage")
        assert len(board.history()) == before


def _state(board: Board, host: str) -> str:
    return next(r.state for r in board.rows() if r.host == host)


def test_guards(ws: Path) -> None:
    board = uc.open_board(ws)
    uc.fill_from_incident(ws, board.case_id, CaseStore.open(ws).incident(board.case_id))
    with pytest.raises(InvalidTransition, match="reason"):
        board.move(["PC-001"], "écarté", actor="a")
    board.move(["PC-001"], "isolé", actor="a")
    with pytest.raises(InvalidTransition, match="method"):
        board.move(["PC-001"], "en remédiation", actor="a")
    board.move(["PC-001"], "remediation", actor="a", method="réinstallation")
    with pytest.raises(InvalidTransition, match="evidence"):
        board.move(["PC-001"], "verifie", actor="a")
    stale = Verification(triage_clean=True, logs_from=datetime(2000, 1, 1, tzinfo=UTC))
    with pytest.raises(InvalidTransition, match="fresh"):
        board.move(["PC-001"], "verifie", actor="a", verification=stale)
    dirty = Verification(triage_clean=False, logs_from=datetime.now(UTC) + timedelta(hours=1))
    with pytest.raises(InvalidTransition, match="not clean"):
        board.move(["PC-001"], "verifie", actor="a", verification=dirty)
    fresh = Verification(triage_clean=True, logs_from=datetime.now(UTC) + timedelta(minutes=1))
    board.move(["PC-001"], "verifie", actor="a", verification=fresh)
    assert _state(board, "PC-001") == "verifie"
    assert board.rows()[0].method in ("reinstallation", "")


def test_bulk_move_records_one_move_per_machine_and_a_crisis_entry(ws: Path) -> None:
    from rempart.app import crisis

    board = uc.open_board(ws)
    uc.fill_from_incident(ws, board.case_id, CaseStore.open(ws).incident(board.case_id))
    hosts = uc.select_hosts(board, zone="batiment-a")
    assert len(hosts) == 5
    done = uc.move(board, hosts, "isole", actor="alice", note="bâtiment A coupé")
    assert len(done) == 5
    moves = [m for m in board.history() if m.to_state == "isole"]
    assert sorted(m.host for m in moves) == sorted(hosts)
    assert {m.who for m in moves} == {"alice"}
    trail = [r for r in CaseStore.open(ws).audit_trail("incident") if r.action == "board.move"]
    assert len(trail) == 5
    entries = crisis.list_entries(ws)
    assert entries[-1].author == "alice" and "5 machines" in entries[-1].text


def test_bulk_move_is_all_or_nothing(ws: Path) -> None:
    board = uc.open_board(ws)
    uc.fill_from_incident(ws, board.case_id, CaseStore.open(ws).incident(board.case_id))
    board.move(["PC-001"], "isole", actor="a")
    with pytest.raises(InvalidTransition, match="PC-001"):
        board.move(["PC-001", "PC-002"], "isole", actor="a")
    assert _state(board, "PC-002") == "suspect"
    with pytest.raises(InvalidTransition, match="not on the board"):
        board.move(["PC-999"], "isole", actor="a")
    with pytest.raises(InvalidValue):
        board.move(["PC-001"], "nowhere", actor="a")


def test_csv_is_formula_safe_and_counts_and_burndown(ws: Path) -> None:
    board = uc.open_board(ws)
    uc.fill_from_incident(ws, board.case_id, CaseStore.open(ws).incident(board.case_id))
    board.add([('=HYPERLINK("http://x")', "batiment-a")], actor="a")  # not a host name
    board.add([("PC-X", '=HYPERLINK("http://x")')], actor="a", note="+cmd")
    text = board.to_csv()
    assert "'=HYPERLINK" in text and "'+cmd" in text and "\n=HYPERLINK" not in text
    assert csv_safe("-1") == "'-1" and csv_safe("@x") == "'@x" and csv_safe("ok") == "ok"
    assert board.counts("zone")["batiment-a"]["suspect"] == 5
    now = datetime.now(UTC)
    b = board.burndown(now=now)
    assert b.open_now == 6 and b.rate_per_hour == 0 and b.estimated_end is None
    board.move(["PC-001"], "ecarte", actor="a", note="faux positif")
    b = board.burndown(now=datetime.now(UTC))
    assert b.open_now == 5 and b.rate_per_hour > 0 and b.estimated_end is not None
    assert b.svg.startswith("<svg") and "style=" not in b.svg


def test_loans_and_inventory_import(ws: Path, tmp_path: Path) -> None:
    board = uc.open_board(ws)
    uc.issue_loan(board, "PORTABLE-01", "Urgences", actor="logistique")
    with pytest.raises(InvalidValue):
        uc.issue_loan(board, "PORTABLE-01", "Pédiatrie", actor="logistique")
    uc.return_loan(board, "PORTABLE-01", actor="logistique")
    (loan,) = board.loans()
    assert loan.service == "Urgences" and loan.returned_at is not None
    inv = tmp_path / "glpi.csv"
    inv.write_text("Nom;Lieu;Type\nPC-100;Bâtiment A;Ordinateur\nPC-101;Bâtiment B;Ordinateur\n")
    assert uc.import_inventory(board, inv, actor="a") == 2
    plain = tmp_path / "list.txt"
    plain.write_text("PC-100\nPC-102\n")
    assert uc.import_inventory(board, plain, actor="a") == 1


def test_verified_by_a_clean_triage_on_fresh_logs(
    ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    from types import SimpleNamespace

    import rempart.app.triage as triage_app

    verdicts = {"PC-001": "clean", "PC-002": "suspicious"}

    def fake_triage(paths: list[Path]) -> SimpleNamespace:
        hosts = [SimpleNamespace(host=f"{h}.chu.local", verdict=v) for h, v in verdicts.items()]
        return SimpleNamespace(hosts=hosts)

    monkeypatch.setattr(triage_app, "triage", fake_triage)
    board = uc.open_board(ws)
    uc.fill_from_incident(ws, board.case_id, CaseStore.open(ws).incident(board.case_id))
    hosts = ["PC-001", "PC-002", "PC-003"]
    board.move(hosts, "isole", actor="a")
    board.move(hosts, "remediation", actor="a", method="nettoyage")
    logs = tmp_path / "fresh.evtx"
    logs.write_bytes(b"x")
    old = tmp_path / "old.evtx"
    old.write_bytes(b"x")
    os.utime(old, (0, 0))
    with pytest.raises(InvalidTransition, match="fresh"):
        uc.verify_by_triage(board, ["PC-001"], [old], actor="a")
    assert len(uc.verify_by_triage(board, ["PC-001"], [logs], actor="a")) == 1
    with pytest.raises(InvalidTransition, match="not clean"):
        uc.verify_by_triage(board, ["PC-002"], [logs], actor="a")
    with pytest.raises(InvalidTransition, match="not clean"):
        uc.verify_by_triage(board, ["PC-003"], [logs], actor="a")  # no events of this host
    assert _state(board, "PC-001") == "verifie" and _state(board, "PC-002") == "remediation"


def test_glpi_export_with_a_hostile_line(ws: Path, tmp_path: Path) -> None:
    """A GLPI export (BOM, ';', French headers): its machines are added with their zone from
    the location; a line that names no machine is refused with where and why."""
    board = uc.open_board(ws)
    glpi = tmp_path / "glpi.csv"
    glpi.write_bytes(
        "\ufeffNom;Entité;Statut;Lieu;Adresses IP\n"
        '"PC-200";"CHU";"En service";"batiment-a";"10.1.0.200"\n'
        '"=cmd|calc";"CHU";"";"";""\n'.encode()
    )
    result = uc.import_hosts(board, glpi, actor="tech")
    assert result.added == 1 and len(result.rejected) == 1
    assert "not a host name" in result.rejected[0] and "glpi.csv" in result.rejected[0]
    assert "PC-200" in {r.host for r in board.rows()}
    with pytest.raises(InvalidValue, match="not a host name"):
        uc.add_hosts(board, ["ok-1", "<script>"], actor="tech")


def test_burndown_per_building_and_service(ws: Path) -> None:
    board = uc.open_board(ws)
    uc.fill_from_incident(ws, board.case_id, CaseStore.open(ws).incident(board.case_id))
    board.add([("PC-B1", "batiment-b"), ("PC-B2", "batiment-b")], actor="a")
    board.move(["PC-B1"], "ecarte", actor="a", note="faux positif")
    now = datetime.now(UTC)
    pace = board.burndowns("zone", now=now)
    assert set(pace) == {"batiment-a", "batiment-b"}
    assert pace["batiment-a"].open_now == 5 and pace["batiment-a"].estimated_end is None
    b = pace["batiment-b"]
    assert b.open_now == 1 and b.rate_per_hour > 0 and b.estimated_end is not None
    assert b.svg == ""  # table lines; the page draws the whole board's curve
    whole = board.burndown(now=now)
    assert whole.open_now == 6 and whole.svg.startswith("<svg")
