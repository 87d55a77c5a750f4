"""`rempart triage --format jsonl`: the keys and verdicts of the output."""

from __future__ import annotations

import json
from pathlib import Path

from tests.host.test_triage import _events
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
