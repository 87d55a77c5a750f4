"""`rempart triage --format jsonl`: the keys and verdicts of the output."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.detect.host.test_verdicts import _events
from typer.testing import CliRunner

from rempart.cli import app


def test_cli_jsonl_keys(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["triage", str(_events(tmp_path)), "--format", "jsonl"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    hits = [r for r in rows if r["kind"] == "hit"]
    hosts = {r["host"]: r for r in rows if r["kind"] == "host"}
    keys = {"file", "host", "rule_id", "rule_title", "level", "time", "record_id"}
    assert hits
    assert all(keys <= r.keys() for r in hits)
    assert {"host", "verdict", "reasons", "files"} <= hosts["PC7"].keys()
    assert hosts["PC7"]["verdict"] == "compromised"  # shadow copy deletion is critical
    assert hosts["PC8"]["verdict"] == "suspicious"  # 25 failed logons in 5 minutes (high)
    rule_ids = {r["rule_id"] for r in hits}
    assert "6f0c1d2e-7a51-4c1b-9a77-2b1f0e3c4a05" in rule_ids  # the correlation


def _rows(args: list[str]) -> tuple[list[dict[str, object]], dict[str, dict[str, object]]]:
    res = CliRunner().invoke(app, ["triage", *args, "--format", "jsonl"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    return [r for r in rows if r["kind"] == "hit"], {
        str(r["host"]): r for r in rows if r["kind"] == "host"
    }


def test_cli_rule_titles_follow_the_language(tmp_path: Path) -> None:
    """Rempart's rules are titled in French; `--lang en` shows their English titles, in the
    hits and in the verdicts' reasons, and no French one."""
    fr_title = "Suppression des clichés instantanés ou des sauvegardes (précurseur de rançongiciel)"
    en_title = "Shadow Copies or Backups Deleted (Ransomware Precursor)"
    events = str(_events(tmp_path))
    hits_fr, hosts_fr = _rows([events])
    hits_en, hosts_en = _rows([events, "--lang", "en"])
    assert fr_title in {h["rule_title"] for h in hits_fr}
    assert en_title in {h["rule_title"] for h in hits_en}
    assert f"critical: {fr_title} (1)" in hosts_fr["PC7"]["reasons"]  # type: ignore[operator]
    assert f"critical: {en_title} (1)" in hosts_en["PC7"]["reasons"]  # type: ignore[operator]
    english = json.dumps([hits_en, hosts_en], ensure_ascii=False)
    assert not re.search(r"[àâçéèêîôûù]", english)  # no French title left (PC8's too)
    assert [h["rule_id"] for h in hits_en] == [h["rule_id"] for h in hits_fr]
    res = CliRunner().invoke(app, ["triage", events, "--format", "csv", "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert en_title in res.stdout and fr_title not in res.stdout
    table = CliRunner().invoke(app, ["triage", events, "--lang", "en"], env={"COLUMNS": "400"})
    assert table.exit_code == 0, table.output
    assert en_title in table.stdout and "Suppression des" not in table.stdout
