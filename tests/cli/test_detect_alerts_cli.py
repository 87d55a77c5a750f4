"""`rempart detect` then `rempart alerts --format jsonl`: the keys the issue promises."""

from __future__ import annotations

import json
from pathlib import Path

from tests.detect.network.test_network_detectors import spread_flows
from typer.testing import CliRunner

from rempart.cli import app
from rempart.store import Store, Workspace


def test_detect_then_alerts_jsonl(tmp_path: Path) -> None:
    ws = Workspace.at(tmp_path / "ws")
    with Store(ws.db_path) as store:
        store.append("network_flow", spread_flows().table())
    runner = CliRunner()
    res = runner.invoke(app, ["detect", "--workspace", str(ws.root), "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert "lateral_spread" in res.output and "no hospital.yaml" in res.output
    res = runner.invoke(app, ["alerts", "--workspace", str(ws.root), "--format", "jsonl"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.output.splitlines()]
    assert len(rows) == 6
    keys = {"detector", "version", "severity", "entity", "first_seen", "last_seen", "reason",
            "evidence_count"}  # fmt: skip
    assert all(keys <= r.keys() for r in rows)
    assert rows[0]["severity"] == "critical" and rows[0]["entity"] == "10.1.0.50"
    assert rows[0]["first_seen"] == "2019-03-11T08:00:00+00:00"
    res = runner.invoke(app, ["alerts", "--workspace", str(ws.root), "--format", "csv"])
    assert res.output.splitlines()[0].startswith("finding_uid,detector,version,severity")
    res = runner.invoke(app, ["alerts", "--workspace", str(ws.root), "--lang", "en"])
    assert "Alerts (6)" in res.output
