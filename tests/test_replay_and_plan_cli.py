"""`rempart twin replay` (issue 6 keys), `rempart plan INCIDENT`, `init` and `ingest` CLIs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rempart.app.demo import run_demo
from rempart.app.respond import controls_for, situation_from_incident
from rempart.cli import app
from rempart.contain import BlockProtocolsWithinZones, IsolateZones, Plan
from rempart.store import Store, Workspace
from rempart.twin.hospital import generate_hospital

runner = CliRunner()


@pytest.mark.slow
def test_twin_replay_json_keys_and_outcome() -> None:
    out = runner.invoke(
        app,
        ["twin", "replay", "montpellier", "--machines", "500", "--rows", "30000",
         "--runs", "30", "--seed", "2", "--format", "json"],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    data = json.loads(out.output.strip().splitlines()[-1])
    for key in ("hosts", "infected_historical", "infected_rempart", "first_alert_minutes",
                "plan", "vital_services_cut"):  # fmt: skip
        assert key in data
    assert data["hosts"] == 500
    assert data["vital_services_cut"] == []
    assert data["first_alert_minutes"] is not None and data["first_alert_minutes"] > 0
    assert data["plan"] and all({"kind", "title"} <= set(a) for a in data["plan"])
    assert data["infected_rempart"] <= data["infected_historical"]


def test_controls_for_maps_zone_isolation_and_inside_blocks() -> None:
    h = generate_hospital(machines=300, seed=1)
    zone = h.zones[0].id
    plan = Plan(
        id="p",
        title="t",
        actions=(
            IsolateZones(zones=(zone,), reason="r"),
            BlockProtocolsWithinZones(protocols=("smb",), zones=(zone,), reason="r"),
        ),
    )
    controls = controls_for(plan, h, 42.0)
    assert controls.isolated_zones == (zone,)
    assert (zone, zone, 445) in controls.blocked
    assert controls.applied_at_minute == 42.0


@pytest.mark.slow
def test_plan_incident_cli_and_situation(tmp_path: Path) -> None:
    ws = Workspace.at(tmp_path / "ws")
    result = run_demo(ws, seed=4, machines=300, rows=20_000, runs=5)
    assert result.incident is not None
    with Store(ws.db_path) as store:
        situation = situation_from_incident(result.incident, store)
    assert situation.incident_id == result.incident.id
    assert result.incident.patient_zero is not None
    assert result.incident.patient_zero.ip in {h.ip for h in situation.infected}
    assert any(d.endswith(".top") or "." in d for d in situation.domains)
    out = runner.invoke(
        app, ["plan", result.incident.id, "--workspace", str(ws.root), "--runs", "5"]
    )
    assert out.exit_code == 0, out.output
    assert "contain-building" in out.output or "Cloisonner" in out.output
    missing = runner.invoke(app, ["plan", "INC-nope", "--workspace", str(ws.root)])
    assert missing.exit_code != 0


def test_init_then_ingest_twice_same_counts(tmp_path: Path) -> None:
    ws = tmp_path / "chu"
    assert runner.invoke(app, ["init", "--workspace", str(ws)]).exit_code == 0
    assert (ws / "hospital.yaml").is_file() and (ws / "inventory.csv").is_file()
    mail = tmp_path / "in" / "a.eml"
    mail.parent.mkdir()
    mail.write_bytes(b"From: a@b.fr\nTo: c@d.fr\nSubject: s\nMessage-ID: <1@b>\n\nhello\n")
    (tmp_path / "in" / "junk.bin").write_bytes(b"\x00\x01\x02")
    first = runner.invoke(app, ["ingest", "--workspace", str(ws), str(tmp_path / "in")])
    assert first.exit_code == 0, first.output
    with Store(ws / "rempart.duckdb") as store:
        before = store.count("email")
    second = runner.invoke(
        app, ["ingest", "--workspace", str(ws), str(tmp_path / "in"), "--lang", "en"]
    )
    assert second.exit_code == 0
    assert "already ingested" in second.output and "unknown format" in second.output
    with Store(ws / "rempart.duckdb") as store:
        assert store.count("email") == before == 1
