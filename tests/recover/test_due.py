"""Declaration clocks: each kind and version from its own starting event; what is due and
when over a workspace (overdue flagged), in French and English, on the CLI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rempart.app import declare as uc
from rempart.cases import CaseStore
from rempart.core.clock import FixedClock
from rempart.recover.declare import deadlines

T0 = datetime(2019, 3, 15, 9, 0, tzinfo=UTC)  # the fixture incident's first_seen
H = timedelta(hours=1)


def _by(items: list[uc.Deadline]) -> dict[tuple[str, str], uc.Deadline]:
    return {(d.kind, d.version): d for d in items}


def test_each_clock_from_its_own_event() -> None:
    aware = T0 + 30 * H  # the personal data were found touched a day later
    events = {"discovery": T0, "awareness": aware, "resolution": None}
    d = _by(deadlines(events, {}))
    assert d["cert-sante", "initial"].due == T0  # without delay
    assert d["anssi", "initial"].due == T0
    assert d["cnil", "initial"].due == aware + 72 * H  # GDPR art. 33: from awareness
    assert d["nis2", "initial"].due == T0 + 24 * H  # early warning
    assert d["nis2", "complementaire"].due == T0 + 72 * H  # notification, already running
    assert d["plainte", "initial"].due == T0 + 72 * H  # insurance
    assert ("cnil", "complementaire") not in d  # after the initial one only
    now = T0 + 48 * H
    assert d["nis2", "initial"].status(now) == "overdue"
    assert d["nis2", "complementaire"].status(now) == "due"
    assert d["cnil", "initial"].status(now) == "due"


def test_next_versions_from_the_previous_report_and_the_resolution() -> None:
    warned, notified = T0 + 20 * H, T0 + 60 * H
    issued = {
        ("nis2", "initial"): warned,
        ("nis2", "complementaire"): notified,
        ("cert-sante", "initial"): T0 + H,
        ("cnil", "initial"): T0 + 50 * H,
    }
    events = {"discovery": T0, "awareness": T0, "resolution": None}
    d = _by(deadlines(events, issued))
    final = d["nis2", "final"]
    assert final.start_event == "previous" and final.start == notified
    assert final.due == notified + 720 * H  # a month after the notification
    compl = d["cert-sante", "complementaire"]
    assert compl.due is None and compl.status(T0 + 99 * H) == "open"  # as new facts come
    assert d["cnil", "complementaire"].status(T0 + 99 * H) == "open"
    # cert-santé's final report waits for the resolution, then is due at once
    assert ("cert-sante", "final") not in d
    closed = _by(deadlines({**events, "resolution": T0 + 200 * H}, {
        **issued, ("cert-sante", "complementaire"): T0 + 100 * H}))  # fmt: skip
    assert closed["cert-sante", "final"].due == T0 + 200 * H


def test_everything_issued_is_done() -> None:
    issued = {(k, v): T0 + H for k in uc.KINDS for v in uc.VERSIONS}
    items = deadlines({"discovery": T0, "awareness": T0, "resolution": T0}, issued)
    assert {d.status(T0 + 999 * H) for d in items} == {"done"}
    assert uc.due_items("INC", "t", items, now=T0) == []


def test_workspace_due_overdue_first_both_languages(ws: Path) -> None:
    clock = FixedClock(T0 + 30 * H)
    fr = uc.declarations_due(ws, clock=clock)
    assert [d.status for d in fr][:3] == ["overdue", "overdue", "overdue"]
    assert all(d.due is not None for d in fr)
    overdue = {(d.kind, d.version) for d in fr if d.overdue}
    assert overdue == {("cert-sante", "initial"), ("anssi", "initial"), ("nis2", "initial")}
    nis2 = next(d for d in fr if d.kind == "nis2" and d.version == "initial")
    assert nis2.when == "en retard de 6 h" and nis2.status_label == "en retard"
    cnil = next(d for d in fr if d.kind == "cnil")
    assert cnil.when == "dans 42 h" and not cnil.overdue
    en = uc.declarations_due(ws, clock=clock, lang="en")
    assert next(d for d in en if d.kind == "nis2").when == "6 h late"
    assert next(d for d in en if d.kind == "cnil").title.startswith("Personal-data breach")


def test_awareness_recorded_moves_the_cnil_clock_only(ws: Path) -> None:
    clock = FixedClock(T0 + 30 * H)
    case_id = CaseStore.open(ws).incidents()[0].id
    uc.declare(ws, "nis2", case_id, actor="rssi", clock=clock)
    aware = datetime(2019, 3, 17, 9, 0, tzinfo=UTC)
    uc.record_awareness(ws, case_id, aware, actor="dpo", clock=clock)
    items = uc.declarations_due(ws, clock=clock, fixed_only=False)
    cnil = next(d for d in items if d.kind == "cnil")
    assert cnil.start == aware and cnil.due == aware + 72 * H
    nis2 = {(d.version, d.due) for d in items if d.kind == "nis2"}
    assert nis2 == {("complementaire", T0 + 72 * H)}  # the early warning is issued
    trail = [r for r in CaseStore.open(ws).audit_trail("incident") if r.actor == "dpo"]
    assert trail[-1].details == {"at": "2019-03-17T09:00:00Z"}
    # the declaration itself says the same deadline
    r = uc.declare(ws, "cnil", case_id, clock=clock, record=False)
    assert b'"due": "2019-03-20T09:00:00Z"' in r.data


def test_resolution_when_the_incident_is_closed(ws: Path) -> None:
    cases = CaseStore.open(ws, now=lambda: T0 + 100 * H)
    case_id = cases.incidents()[0].id
    for kind, version in (("cert-sante", "initial"), ("cert-sante", "complementaire")):
        cases.audit("rssi", "declare.issue", "incident", case_id,
                    {"kind": kind, "version": version})  # fmt: skip
    before = uc.declarations_due(ws, clock=FixedClock(T0 + 101 * H))
    assert ("cert-sante", "final") not in {(d.kind, d.version) for d in before}
    cases.set_state(case_id, "closed", actor="rssi")
    after = uc.declarations_due(ws, clock=FixedClock(T0 + 101 * H))
    final = next(d for d in after if (d.kind, d.version) == ("cert-sante", "final"))
    assert final.start_event == "resolution" and final.due == T0 + 100 * H and final.overdue


def test_no_case_store_owes_nothing_and_creates_none(tmp_path: Path) -> None:
    root = tmp_path / "bare"
    root.mkdir()
    assert uc.declarations_due(root) == []
    assert not (root / "cases.sqlite3").exists()


@pytest.mark.parametrize(("lang", "words"), [("fr", "en retard"), ("en", "late")])
def test_cli_declare_due(ws: Path, lang: str, words: str) -> None:
    from rempart.cli import app

    for args in (["declare", "due"], ["declare", "--due"]):
        result = CliRunner().invoke(app, [*args, "--workspace", str(ws), "--lang", lang])
        assert result.exit_code == 0, result.output
        assert "cert-sante" in result.output and words in result.output
        assert "INC-2019-0001" in result.output


def test_cli_declare_aware(ws: Path) -> None:
    from rempart.cli import app

    ok = CliRunner().invoke(
        app, ["declare", "aware", "INC-2019-0001", "--at", "2019-03-16T10:00",
              "--workspace", str(ws), "--lang", "en"],
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert "2019-03-16 10:00 UTC" in " ".join(ok.output.split()) and "system account" in ok.output
    due = uc.declarations_due(ws, fixed_only=False)
    assert next(d for d in due if d.kind == "cnil").due == datetime(2019, 3, 19, 10, tzinfo=UTC)
    bad = CliRunner().invoke(
        app, ["declare", "aware", "INC-2019-0001", "--at", "demain", "--workspace", str(ws)]
    )
    assert bad.exit_code != 0 and "ISO 8601" in bad.output
