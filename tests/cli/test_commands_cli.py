"""`rempart init`, `ingest`, `plan INCIDENT`: what the commands print and their exit codes."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from rempart.cli import app

runner = CliRunner()


def test_init_then_ingest_twice_says_why_files_are_skipped(tmp_path: Path) -> None:
    ws = tmp_path / "chu"
    res = runner.invoke(app, ["init", "--workspace", str(ws)])
    assert res.exit_code == 0 and "Espace de travail prêt" in res.output
    assert "existe déjà" in runner.invoke(app, ["init", "--workspace", str(ws)]).output
    mail = tmp_path / "in" / "a.eml"
    mail.parent.mkdir()
    mail.write_bytes(b"From: a@b.fr\nTo: c@d.fr\nSubject: s\nMessage-ID: <1@b>\n\nhello\n")
    (tmp_path / "in" / "junk.bin").write_bytes(b"\x00\x01\x02")
    first = runner.invoke(app, ["ingest", "--workspace", str(ws), str(tmp_path / "in")])
    assert first.exit_code == 0, first.output
    second = runner.invoke(
        app, ["ingest", "--workspace", str(ws), str(tmp_path / "in"), "--lang", "en"]
    )
    assert second.exit_code == 0
    assert "already ingested" in second.output and "unknown format" in second.output
    missing = runner.invoke(app, ["ingest", "--workspace", str(ws), str(tmp_path / "nope")])
    assert missing.exit_code == 2


def test_ingest_says_a_file_was_read_from_a_realigned_copy(tmp_path: Path) -> None:
    from tests.sources.test_source_variants import STD, zeek_log

    p = tmp_path / "conn.log"
    p.write_text(zeek_log(STD, [{}]) + zeek_log(STD, [{"uid": "C2"}], sep=","))
    out = runner.invoke(app, ["ingest", str(p), "--workspace", str(tmp_path / "ws")])
    assert out.exit_code == 0, out.output
    assert "copie réalignée" in out.output


def test_plan_of_an_unknown_incident_fails(tmp_path: Path) -> None:
    assert runner.invoke(app, ["init", "--workspace", str(tmp_path)]).exit_code == 0
    missing = runner.invoke(app, ["plan", "INC-nope", "--workspace", str(tmp_path)])
    assert missing.exit_code != 0


def test_incident_without_findings(tmp_path: Path) -> None:
    res = runner.invoke(app, ["incident", "--workspace", str(tmp_path), "--lang", "en"])
    assert res.exit_code == 0 and "No alert: no incident." in res.output
