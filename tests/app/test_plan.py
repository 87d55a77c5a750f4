"""`rempart.app.plan`: plans for a situation, the verdict, confirmations, the export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.cli.test_plan_cli import SITUATION
from tests.contain.test_allowlist import _flow_table

from rempart.app.init import init
from rempart.app.plan import export, propose, review, verdict
from rempart.core.errors import ConfigError, ContainmentError, VitalCutRefused
from rempart.store import Store


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    init(ws)
    return ws


@pytest.fixture
def situation(tmp_path: Path) -> Path:
    p = tmp_path / "situation.json"
    p.write_text(json.dumps(SITUATION), encoding="utf-8")
    return p


def test_plans_have_one_verdict_each(workspace: Path, situation: Path) -> None:
    result = propose(workspace, situation=situation)
    assert result.ranked is None and result.rows
    verdicts = {p.id: verdict(p, i) for p, i in result.rows}
    assert verdicts["isolate"] == "refused"
    assert result.choose() is result.rows[0][0]
    assert result.choose("isolate").id == "isolate"


def test_plan_refuses_then_records_a_confirmed_vital_cut(
    workspace: Path, situation: Path, tmp_path: Path
) -> None:
    out_file = tmp_path / "iso.json"
    result = propose(workspace, situation=situation)
    with pytest.raises(VitalCutRefused):
        export(result, result.choose("isolate"), "json", out_file)
    assert not out_file.exists()
    result = propose(
        workspace,
        situation=situation,
        confirm=["urgences: procédure papier déclenchée", "reanimation: surveillance au lit"],
        by="Dr Martin",
    )
    chosen = result.choose("isolate")
    assert chosen is not None
    impact = dict(result.rows)[chosen]
    assert verdict(chosen, impact) == "confirmed"
    export(result, chosen, "json", out_file)
    doc = json.loads(out_file.read_text())
    confirmations = doc["plan"]["confirmations"]
    assert [(c["target"], c["by"]) for c in confirmations] == [
        ("urgences", "Dr Martin"),
        ("reanimation", "Dr Martin"),
    ]
    assert doc["plan"]["actions"][0]["kind"] == "isolate_zones"


def test_plan_usage_errors(workspace: Path, situation: Path) -> None:
    with pytest.raises(ContainmentError):
        propose(workspace, situation=situation, confirm=["nothing"])
    result = propose(workspace, situation=situation)
    with pytest.raises(ConfigError):
        export(result, result.choose(), "pf", Path("x"))
    with pytest.raises(ConfigError):
        result.choose("nope")
    with pytest.raises(ConfigError):
        propose(workspace)  # neither an incident nor a situation
    with pytest.raises(ConfigError, match="incident not found"):
        propose(workspace, incident="INC-nope")


def test_plan_reviews_observed_flows_for_the_egress_cut(workspace: Path, situation: Path) -> None:
    result = propose(workspace, situation=situation)
    cut = result.choose("cut-egress")
    assert cut is not None
    assert review(result, cut) is None  # no flow observed yet
    with Store(workspace / "rempart.duckdb") as store:
        store.append("network_flow", _flow_table())
    found = review(result, cut)
    assert found is not None
    assert any(f"{f.dst_ip}:{f.dst_port}" == "185.15.59.224:443" for f in found.stopped)
