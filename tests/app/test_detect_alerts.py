"""`app.detect` then `app.alerts`: findings, ranges assumed, the records the CLI renders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.detect.network.flowdata import Flows
from tests.detect.network.test_border_detectors import probes
from tests.detect.network.test_network_detectors import spread_flows

from rempart.app.alerts import alerts
from rempart.app.detect import BadCidr, detect, internal_ranges, none_internal
from rempart.detect.network.nets import RFC1918
from rempart.store import Store, Workspace


def test_detect_then_alerts_records(tmp_path: Path) -> None:
    ws = Workspace.at(tmp_path / "ws")
    with Store(ws.db_path) as store:
        store.append("network_flow", spread_flows().table())
    result = detect(ws.root)
    assert not result.failed and not result.has_model
    assert any(r.name == "lateral_spread" and r.findings for r in result.runs)
    rows = [a.as_dict() for a in alerts(ws.root)]
    assert len(rows) == 6
    keys = {"detector", "version", "severity", "entity", "first_seen", "last_seen", "reason",
            "evidence_count"}  # fmt: skip
    assert all(keys <= r.keys() for r in rows)
    assert rows[0]["severity"] == "critical" and rows[0]["entity"] == "10.1.0.50"
    assert rows[0]["first_seen"] == "2019-03-11T08:00:00+00:00"
    assert list(rows[0])[:4] == ["finding_uid", "detector", "version", "severity"]
    json.dumps(rows)  # plain data
    assert alerts(ws.root, detector="nope") == []


def test_alerts_on_a_missing_workspace_creates_nothing(tmp_path: Path) -> None:
    from rempart.core.errors import StoreError

    with pytest.raises(StoreError):
        alerts(tmp_path / "nope")
    assert not (tmp_path / "nope").exists()


def test_detect_internal_ranges_for_a_public_network(tmp_path: Path) -> None:
    ws = Workspace.at(tmp_path / "ws")
    flows = Flows()
    flows.background(1)
    probes(flows, "147.32.81.167", 12)
    with Store(ws.db_path) as store:
        store.append("network_flow", flows.table())
    detect(ws.root, only=["inbound_probe"])
    with Store(ws.db_path) as store:
        assert store.count("finding") == 0  # a public address is external by default
    result = detect(ws.root, only=["inbound_probe"], internal=["147.32.81.0/24", "10.0.0.0/8"])
    assert result.given == ("147.32.81.0/24", "10.0.0.0/8")
    with Store(ws.db_path) as store:
        rows = store.sql("SELECT entity, related FROM finding").to_pylist()
    assert [(r["entity"], len(r["related"])) for r in rows] == [("147.32.81.167", 12)]
    with pytest.raises(BadCidr) as err:
        detect(ws.root, internal=["147.32.81.300/24"])
    assert err.value.value == "147.32.81.300/24"


def test_internal_ranges_and_none_internal() -> None:
    assert internal_ranges([" 10.1.2.3/8", "10.0.0.0/8"]) == ("10.0.0.0/8",)
    assert none_internal(["147.32.1.1", "x"], RFC1918)
    assert not none_internal(["147.32.1.1", "10.0.0.1"], RFC1918)
    assert not none_internal([], RFC1918)
