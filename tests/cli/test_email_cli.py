"""`rempart email score`: the JSONL and CSV columns, what is said on stderr."""

from __future__ import annotations

import json
from pathlib import Path

from tests.mail.helpers import PE, message
from typer.testing import CliRunner

from rempart.cli import app


def test_cli_jsonl_keys(tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(message())
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.eml").write_bytes(
        message(sender="PayPal <x@evil.xyz>", attachments=[("f.pdf", PE, "application/pdf")])
    )
    result = CliRunner().invoke(
        app, ["email", "score", str(tmp_path), "--format", "jsonl", "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 2
    assert all(list(r) == ["file", "message_id", "score", "verdict", "reasons"] for r in rows)
    bad = next(r for r in rows if r["file"].endswith("b.eml"))
    assert bad["verdict"] == "malicious"
    assert isinstance(bad["reasons"], list)
    csv_out = CliRunner().invoke(app, ["email", "score", str(tmp_path), "--format", "csv"])
    assert csv_out.stdout.splitlines()[0] == "file,message_id,score,verdict,reasons"
    # log-derived text is escaped, never read as Rich markup
    (tmp_path / "m.eml").write_bytes(message(subject="Signalement [bold red]hameçonnage[/]"))
    table = CliRunner().invoke(app, ["email", "score", str(tmp_path)])
    assert table.exit_code == 0, table.output


def test_cli_says_what_it_skipped_and_sums_up(tmp_path: Path) -> None:
    for i in range(6):
        subject = "Votre colis est retenu : payez les frais" if i % 2 else f"Réunion {i}"
        raw = message(subject=subject, sender=f"n{i}@partner.example")
        (tmp_path / f"m{i}.eml").write_bytes(raw.replace(b"<test-1@", f"<m{i}@".encode()))
    (tmp_path / "capture.gif").write_bytes(b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + bytes(40))
    runner = CliRunner()
    base = ["email", "score", str(tmp_path), "--format", "jsonl", "--lang", "en"]
    one = runner.invoke(app, base)
    two = runner.invoke(app, [*base, "--workers", "2"])
    assert one.exit_code == 0 and two.exit_code == 0, two.output
    assert one.stdout == two.stdout and len(one.stdout.splitlines()) == 6
    verdicts = [json.loads(line)["verdict"] for line in one.stdout.splitlines()]
    assert f"6 message(s): {verdicts.count('malicious')} malicious" in two.stderr
    assert f"{verdicts.count('clean')} clean" in two.stderr
    assert "skipped (not a message: no header)" in one.stderr and "capture.gif" in one.stderr


def test_cli_bad_format_and_missing_path(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["email", "score", str(tmp_path), "--format", "xml"])
    assert res.exit_code == 2
    res = CliRunner().invoke(app, ["email", "score", str(tmp_path / "nope")])
    assert res.exit_code == 2
