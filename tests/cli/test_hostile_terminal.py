"""Attacker strings shown by the CLI are visible, never obeyed (escapes, bidi, NUL), and a
CSV cell never starts a formula (issue 21, defects 5 and 6)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from typer.testing import CliRunner

from rempart.cli import app
from rempart.detect.base import Finding, Severity, findings_table
from rempart.store import Store, Workspace

HOSTILE_NAME = "rapport\x1b[2J\x1b]0;OWNED\x07\u202efdp.exe"
FORMULA_ID = "=cmd|' /C calc'!A0"


def _hostile_message() -> bytes:
    msg = EmailMessage()
    msg["From"] = "Facturation <factures@fournisseur-exemple.fr>"
    msg["To"] = "bob@chu-test.fr"
    msg["Subject"] = "Facture\x1b[31m impayée"
    msg["Message-ID"] = FORMULA_ID
    msg.set_content("Veuillez trouver la facture ci-jointe.")
    pe = b"MZ" + b"\x90\x00" * 30 + b"This program cannot be run in DOS mode" + b"\x00" * 200
    msg.add_attachment(pe, maintype="application", subtype="octet-stream", filename=HOSTILE_NAME)
    return msg.as_bytes()


def _no_control(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text and "\x00" not in text
    assert "\u202e" not in text


def test_email_score_table_and_csv_are_inert(tmp_path: Path) -> None:
    path = tmp_path / "facture.eml"
    path.write_bytes(_hostile_message())
    runner = CliRunner()
    res = runner.invoke(app, ["email", "score", str(path), "--lang", "en"])
    assert res.exit_code == 0, res.output
    _no_control(res.output)
    assert "\\u202efdp.exe" in res.output.replace("\n", "").replace(" ", "").replace("│", "")
    res = runner.invoke(app, ["email", "score", str(path), "--format", "csv"])
    assert res.exit_code == 0, res.output
    _no_control(res.output)
    rows = list(csv.reader(io.StringIO(res.stdout)))
    assert rows[1][1] == "'" + FORMULA_ID  # the message_id cell is no formula


def test_alerts_table_and_csv_are_inert(tmp_path: Path) -> None:
    ws = Workspace.at(tmp_path / "ws")
    when = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    finding = Finding(
        detector="phishing",
        detector_version="1",
        severity=Severity.HIGH,
        title='=HYPERLINK("http://evil.example")\x1b]0;OWNED\x07',
        reason=f"pièce jointe {HOSTILE_NAME}\x00",
        entity="bob@chu-test.fr\u202e",
        entity_type="user",
        first_seen=when,
        last_seen=when,
        evidence_class="email_message",
        evidence=("e1",),
        evidence_count=1,
    )
    with Store(ws.db_path) as store:
        store.append("finding", findings_table([finding]))
    runner = CliRunner()
    res = runner.invoke(app, ["alerts", "--workspace", str(ws.root), "--lang", "en"])
    assert res.exit_code == 0, res.output
    _no_control(res.output)
    res = runner.invoke(app, ["alerts", "--workspace", str(ws.root), "--format", "csv"])
    assert res.exit_code == 0, res.output
    _no_control(res.output)
    row = next(csv.DictReader(io.StringIO(res.stdout)))
    assert row["title"].startswith("'=HYPERLINK") and "\\x1b]0;OWNED\\x07" in row["title"]
