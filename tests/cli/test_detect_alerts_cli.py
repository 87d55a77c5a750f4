"""`rempart detect` then `rempart alerts --format jsonl`: the keys the issue promises."""

from __future__ import annotations

import json
from pathlib import Path

from tests.detect.network.flowdata import Flows
from tests.detect.network.test_border_detectors import probes
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


def test_detect_internal_ranges_for_a_public_network(tmp_path: Path) -> None:
    ws = Workspace.at(tmp_path / "ws")
    flows = Flows()
    flows.background(1)
    probes(flows, "147.32.81.167", 12)
    with Store(ws.db_path) as store:
        store.append("network_flow", flows.table())
    runner = CliRunner()
    base = ["detect", "--workspace", str(ws.root), "--only", "inbound_probe", "--lang", "en"]
    res = runner.invoke(app, base)
    assert res.exit_code == 0, res.output
    with Store(ws.db_path) as store:
        assert store.count("finding") == 0  # a public address is external by default
    res = runner.invoke(app, [*base, "--internal", "147.32.81.0/24", "--internal", "10.0.0.0/8"])
    assert res.exit_code == 0, res.output
    assert "internal ranges added: 147.32.81.0/24, 10.0.0.0/8" in res.output
    with Store(ws.db_path) as store:
        rows = store.sql("SELECT entity, related FROM finding").to_pylist()
    assert [(r["entity"], len(r["related"])) for r in rows] == [("147.32.81.167", 12)]
    res = runner.invoke(app, [*base, "--internal", "147.32.81.300/24"])
    assert res.exit_code == 2 and "147.32.81.300/24" in res.output
