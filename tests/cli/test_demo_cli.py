"""`rempart demo --lang en`: the summary it prints, and the report it writes."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from rempart.cli import app


def test_demo_cli_english(tmp_path: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(
        app,
        [
            "demo",
            "--workspace",
            str(tmp_path / "d"),
            "--machines",
            "300",
            "--rows",
            "20000",
            "--runs",
            "5",
            "--lang",
            "en",
            "--seed",
            "1",
        ],
    )
    assert out.exit_code == 0, out.output
    assert "Patient zero" in out.output and "Demo summary" in out.output
    assert (tmp_path / "d" / "reports" / "montpellier-en.html").is_file()
