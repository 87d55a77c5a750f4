"""The first hour on real logs: version, help in one language, missing workspaces refused,
a broken hospital.yaml refused by ingest, intel and rules recognised, the report command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from rempart.app.ingest import ingest
from rempart.cli import app, help_lang, localise_help

RUN = [sys.executable, "-c", "from rempart.cli import main; main()"]


def test_version() -> None:
    res = CliRunner().invoke(app, ["--version"])
    assert res.exit_code == 0 and res.output.startswith("rempart ")


def test_help_language_is_chosen_once() -> None:
    assert help_lang(["ingest", "--help", "--lang", "en"], {}) == "en"
    assert help_lang(["ingest", "--lang=en"], {}) == "en"
    assert help_lang(["ingest"], {"REMPART_LANG": "en"}) == "en"
    assert help_lang(["ingest"], {}) == "fr"
    for lang, words in (("fr", "Dossier de l'espace"), ("en", "Workspace folder")):
        command = typer.main.get_command(app)
        localise_help(command, lang)
        ingest = command.commands["ingest"]  # type: ignore[attr-defined]
        helps = {p.name: p.help for p in ingest.params}
        assert helps["workspace"].startswith(words)
        assert (ingest.help or "").startswith("Ingère" if lang == "fr" else "Ingest")


@pytest.mark.parametrize("command", ["detect", "alerts", "incident", "report"])
def test_read_commands_refuse_a_missing_workspace(tmp_path: Path, command: str) -> None:
    missing = tmp_path / "no-such-ws"
    res = subprocess.run([*RUN, command, "-w", str(missing)], capture_output=True, text=True)
    assert res.returncode == 2, res.stdout + res.stderr
    # French by default: the message is the catalogue's (wrapped at the terminal's width)
    assert "aucun espace de travail" in res.stderr and not missing.exists()


def test_ingest_refuses_a_broken_hospital_yaml(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "hospital.yaml").write_text("hospital: [unclosed\n", encoding="utf-8")
    log = tmp_path / "x.log"
    log.write_text("hello\n", encoding="utf-8")
    res = subprocess.run([*RUN, "ingest", "-w", str(ws), str(log)], capture_output=True, text=True)
    assert res.returncode == 2 and "syntaxe YAML" in res.stderr
    assert not (ws / "rempart.duckdb").exists()


def test_intel_and_sigma_files_are_not_ingested(tmp_path: Path) -> None:
    stix = tmp_path / "bundle.json"
    stix.write_text(json.dumps({"type": "bundle", "id": "bundle--1", "objects": []}))
    misp = tmp_path / "event.json"
    misp.write_text(json.dumps({"Event": {"info": "x", "Attribute": []}}))
    rule = tmp_path / "rule.yml"
    rule.write_text("title: t\nlogsource:\n  product: windows\ndetection:\n  condition: a\n")
    report = ingest(tmp_path / "ws", [stix, misp, rule])
    assert [(Path(f.path).name, f.status.value, f.error) for f in report.files] == [
        ("bundle.json", "unknown format", "stix"),
        ("event.json", "unknown format", "misp"),
        ("rule.yml", "unknown format", "sigma"),
    ]
    res = CliRunner().invoke(app, ["ingest", "-w", str(tmp_path / "ws"), str(rule)])
    assert "triage" in res.output


@pytest.mark.parametrize(("lang", "text"), [("fr", "Affiche cette aide"), ("en", "Show this")])
def test_the_help_option_speaks_the_help_language(lang: str, text: str) -> None:
    """Click writes `--help` itself, in English: it follows --lang like every option."""
    res = subprocess.run(
        [*RUN, "init", "--help", "--lang", lang],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert res.returncode == 0, res.stderr
    line = next(x for x in res.stdout.splitlines() if "--help" in x)
    assert text in line
