"""`rempart detect` then `rempart alerts`: the messages, formats and exit codes.

The logic (ranges, findings, records) is tested on `rempart.app` in tests/app."""

from __future__ import annotations

import json
from pathlib import Path

from tests.app.test_sensor_local import _probed_rows
from tests.detect.network.flowdata import Flows
from tests.detect.network.test_border_detectors import probes
from tests.detect.network.test_network_detectors import spread_flows
from tests.sources.test_source_variants import STD, zeek_log
from typer.testing import CliRunner

from rempart.cli import app
from rempart.ingest.files import ingest_file
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


def test_alerts_on_a_missing_workspace_is_a_clear_error(tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["alerts", "--workspace", str(tmp_path / "nope")])
    assert res.exit_code != 0 and not (tmp_path / "nope").exists()
    assert "no workspace" in str(res.exception)


def test_detect_internal_messages_and_bad_cidr(tmp_path: Path) -> None:
    ws = Workspace.at(tmp_path / "ws")
    flows = Flows()
    flows.background(1)
    probes(flows, "147.32.81.167", 12)
    with Store(ws.db_path) as store:
        store.append("network_flow", flows.table())
    runner = CliRunner()
    base = ["detect", "--workspace", str(ws.root), "--only", "inbound_probe", "--lang", "en"]
    res = runner.invoke(app, [*base, "--internal", "147.32.81.0/24", "--internal", "10.0.0.0/8"])
    assert res.exit_code == 0, res.output
    assert "internal ranges added: 147.32.81.0/24, 10.0.0.0/8" in res.output
    res = runner.invoke(app, [*base, "--internal", "147.32.81.300/24"])
    assert res.exit_code == 2 and "147.32.81.300/24" in res.output


def test_detect_says_what_it_assumed(tmp_path: Path) -> None:
    device = "147.32.81.167"
    ws = Workspace.at(tmp_path / "ws")
    log = tmp_path / "conn.log"
    log.write_text(zeek_log(STD, _probed_rows()), encoding="utf-8")
    with Store(ws.db_path) as store:
        ingest_file(store, log)
    runner = CliRunner()
    res = runner.invoke(app, ["detect", "--workspace", str(ws.root), "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert "the Zeek sensor marked local" in res.output and f"{device}/32" in res.output
    rows = [
        {**r, "local_orig": "F", "local_resp": "F"}
        for r in _probed_rows()
        if not r["id.orig_h"].startswith("192.168.")
    ]
    ws2 = Workspace.at(tmp_path / "ws2")
    log.write_text(zeek_log(STD, rows), encoding="utf-8")
    with Store(ws2.db_path) as store:
        ingest_file(store, log)
    res = runner.invoke(app, ["detect", "--workspace", str(ws2.root), "--lang", "en"])
    assert "none of the flows' 32 addresses" in " ".join(res.output.split())
