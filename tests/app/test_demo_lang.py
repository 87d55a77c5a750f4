"""`rempart demo --lang en` says nothing in French, and the French texts did not move.

Visible text is checked for frequent French words and accents. What comes from data is
removed first, because data keeps its own language: the hospital's name and its care
services' names (written by the hospital), e-mail subjects and the words the text model
quotes from a message (attacker content). Everything Rempart itself writes must be English.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from rempart.app.demo import run_demo
from rempart.core.i18n import render_finding
from rempart.store import Store, Workspace

FRENCH = (" le ", " la ", " les ", " des ", " du ", " une ", " est ", " sur ", "é", "è", "à ", "ç")


def _visible(page: str) -> str:
    page = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "\n", page))


def _french(text: str, data: list[str]) -> list[str]:
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, "<data>")
    text = re.sub(r"words: [^)]*\)", "words: <data>)", text)  # quoted from the message
    return [line.strip() for line in text.splitlines() if any(w in f" {line} " for w in FRENCH)]


@pytest.mark.slow
def test_demo_in_english_has_no_french_sentence(tmp_path: Path) -> None:
    ws = Workspace.at(tmp_path / "ws")
    result = run_demo(ws, seed=3, machines=400, rows=30_000, runs=10, lang="en")
    assert result.incident is not None and result.early is not None
    hospital = result.hospital
    data = [hospital.hospital.name, *(s.name for s in hospital.services)]
    data += [z.name for z in hospital.zones if z.name]
    with Store(ws.db_path, read_only=True) as store:
        data += [s for (s,) in store.con.execute("SELECT subject FROM email").fetchall() if s]
        findings = store.sql("SELECT * FROM finding").to_pylist()
    report = _visible(result.report.read_text(encoding="utf-8"))
    assert _french(report, data) == []
    alerts = "\n".join(" | ".join(render_finding(f, "en")) for f in findings)
    assert _french(alerts, data) == []
    # every finding is stored with keys, and its French rendering is the stored French text
    assert findings and all(f["title_key"] and f["reason_key"] for f in findings)
    assert all(render_finding(f, "fr") == (f["title"], f["reason"]) for f in findings)
    # the plan, its rationale and the fallback procedures are in English
    assert "Containment plan: " in report and "Plan de confinement" not in report


@pytest.mark.slow
def test_plan_replay_and_report_commands_in_english(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`rempart incident|plan|report --lang en` on a demo workspace and `rempart twin replay
    --lang en` on a small twin: what Rempart writes is English (actions' reasons included),
    data (names the hospital wrote, e-mail subjects) aside."""
    from typer.testing import CliRunner

    from rempart.cli import app

    # a data value is never cut across lines (through the environment: a console width set
    # here would outlive the test)
    monkeypatch.setenv("COLUMNS", "400")
    ws = Workspace.at(tmp_path / "ws")
    result = run_demo(ws, seed=3, machines=300, rows=20_000, runs=5, lang="en")
    hospital = result.hospital
    data = [hospital.hospital.name, *(s.name for s in hospital.services)]
    data += [z.name for z in hospital.zones if z.name]
    with Store(ws.db_path, read_only=True) as store:
        data += [s for (s,) in store.con.execute("SELECT subject FROM email").fetchall() if s]
    runner = CliRunner()
    root = str(ws.root)
    shown = runner.invoke(app, ["incident", "-w", root, "--lang", "en"])
    assert shown.exit_code == 0, shown.output
    case = re.findall(r"INC-\d{4}-\d{4}", shown.output)[-1]
    plan = runner.invoke(app, ["plan", "-w", root, case, "--lang", "en", "--runs", "5"])
    assert plan.exit_code == 0, plan.output
    out = tmp_path / "r.html"
    rep = runner.invoke(
        app, ["report", "-w", root, case, "--lang", "en", "--runs", "5", "--out", str(out)]
    )
    assert rep.exit_code == 0, rep.output
    small = ("--machines", "300", "--rows", "5000", "--runs", "5")
    replay = runner.invoke(app, ["twin", "replay", "montpellier", "--lang", "en", *small])
    assert replay.exit_code == 0, replay.output
    assert "Rempart's plan" in replay.output and "reason: " in replay.output
    texts = (shown.output, plan.output, _visible(out.read_text(encoding="utf-8")), replay.output)
    for text in texts:
        assert _french(text, data) == []
        # English typography: no space before a colon or a semicolon, no « »
        assert not re.search(r"\w [:;] ", _without(text, data)) and "«" not in text


def _without(text: str, data: list[str]) -> str:
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, "<data>")
    return text
