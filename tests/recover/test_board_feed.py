"""Board items straight from a triage verdict and from an indicator sighting (issue 24):
`suspect`, the source in the note and the audit entry, never a second item for a machine."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from tests.cases.factories import make_incident

from rempart.app import board as uc
from rempart.cases import CaseStore
from rempart.detect.base import Finding, Severity, findings_table
from rempart.detect.host import HostVerdict
from rempart.store import Store


def _filled(ws: Path) -> uc.Board:
    board = uc.open_board(ws)
    uc.fill_from_incident(ws, board.case_id, CaseStore.open(ws).incident(board.case_id))
    return board


def test_triage_verdicts_compromised_only_no_duplicate(ws: Path) -> None:
    board = _filled(ws)
    before = {r.host for r in board.rows()}
    verdicts = [
        HostVerdict("PC-009.chu.local", "compromised", ("Mimikatz", "PsExec"), ("a.evtx",)),
        HostVerdict("pc-001.chu.local", "compromised", ("Mimikatz",), ("b.evtx",)),  # on it
        HostVerdict("PC-010", "suspicious", ("Rare logon",), ("c.evtx",)),
        HostVerdict("PC-011", "clean", (), ("d.evtx",)),
    ]
    feed = uc.board_from_triage(ws, verdicts)
    assert feed.incident == board.case_id
    assert feed.added == ("PC-009.chu.local",)
    assert feed.already == ("PC-001",)
    rows = {r.host: r for r in board.rows()}
    assert set(rows) == before | {"PC-009.chu.local"}
    assert rows["PC-009.chu.local"].state == "suspect"
    assert "compromised" in rows["PC-009.chu.local"].note
    assert "Mimikatz" in rows["PC-009.chu.local"].note
    first = [m for m in board.history() if m.host == "PC-009.chu.local"]
    assert [(m.from_state, m.to_state) for m in first] == [("", "suspect")]
    trail = [r for r in CaseStore.open(ws).audit_trail("incident") if r.action == "board.add"]
    assert trail[-1].details["source"] == "triage"
    assert "PsExec" in trail[-1].details["hosts"]["PC-009.chu.local"]
    # the same verdicts again: nothing new
    again = uc.board_from_triage(ws, verdicts)
    assert again.added == () and set(again.already) == {"PC-001", "PC-009.chu.local"}
    assert len(board.rows()) == len(rows)


def test_triage_note_names_the_rules_in_the_commands_language(ws: Path) -> None:
    """`rempart triage --lang en` writes the rules' English titles in the board note (the
    French ones by default, and when a rule has no English title)."""
    uc.open_board(ws)
    verdicts = [
        HostVerdict(
            "PC-020", "compromised", ("Journal effacé",), ("a.evtx",), (), ("Log cleared",)
        ),
        HostVerdict("PC-021", "compromised", ("Règle locale",), ("b.evtx",)),
    ]
    uc.board_from_triage(ws, verdicts[:1])
    uc.board_from_triage(ws, verdicts[1:], lang="en")
    notes = {r.host: r.note for r in uc.open_board(ws).rows()}
    assert "Journal effacé" in notes["PC-020"] and "Log cleared" not in notes["PC-020"]
    assert "Règle locale" in notes["PC-021"]
    feed = uc.triage_sources(verdicts, "en")
    assert [s.note for s in feed] == [
        "triage: compromised (Log cleared)",
        "triage: compromised (Règle locale)",
    ]


def _finding(entity: str, value: str, reason_key: str = "intel.reason") -> Finding:
    at = datetime(2019, 3, 15, 10, 0)
    return Finding(
        detector="intel_hunt",
        detector_version="1",
        severity=Severity.HIGH,
        title="t",
        reason="r",
        title_key="intel.title",
        reason_key=reason_key,
        params={"type": "ip", "value": value, "sources": "feed"},
        entity=entity,
        entity_type="host",
        first_seen=at,
        last_seen=at,
        evidence_class="network_flow",
        evidence=("e1",),
        evidence_count=1,
    )


def test_indicator_sightings_by_address_and_proxy_left_out(ws: Path) -> None:
    board = _filled(ws)
    with Store.memory() as store:
        store.replace_findings(
            "intel_hunt",
            findings_table(
                [
                    _finding("10.1.0.2", "203.0.113.9"),  # PC-002, already on the board
                    _finding("10.1.0.77", "203.0.113.9"),
                    _finding("10.1.0.77", "198.51.100.4"),  # same machine, second indicator
                    _finding("10.1.0.250", "203.0.113.9", "intel.reason_proxy"),  # the relay
                ]
            ),
        )
        found = uc.intel_sources(store)
        feed = uc.board_from_intel(ws, store)
    assert {s.host for s in found} == {"10.1.0.2", "10.1.0.77"}
    assert feed.added == ("10.1.0.77",) and feed.already == ("PC-002",)
    row = next(r for r in board.rows() if r.host == "10.1.0.77")
    assert row.state == "suspect"
    assert "203.0.113.9" in row.note and "198.51.100.4" in row.note
    assert "10.1.0.250" not in {r.host for r in board.rows()}


def test_nothing_open_means_waiting_not_lost(tmp_path: Path) -> None:
    root = tmp_path / "empty"
    CaseStore.open(root)
    feed = uc.board_from_triage(root, [HostVerdict("PC-1", "compromised", ("x",), ())])
    assert feed.incident is None and feed.waiting == ("PC-1",) and feed.added == ()


def test_triage_run_on_a_workspace_feeds_the_board(ws: Path, tmp_path: Path) -> None:
    from tests.detect.host.test_verdicts import _events

    from rempart.app.triage import triage_workspace

    CaseStore.open(ws).save_incident(make_incident("INC-other", hosts=1))
    res = triage_workspace(ws, [_events(tmp_path)], use_cache=False)
    assert res.board is not None and res.board.added == ("PC7",)  # PC8 is only suspicious
    board = uc.open_board(ws)
    assert "PC7" in {r.host for r in board.rows()}
