"""The replay (issue 6 keys), plans for a saved incident, `init` then `ingest` twice: on
`rempart.app` (the commands' rendering is in tests/cli/test_commands_cli.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rempart.app.demo import run_demo
from rempart.app.incidents_store import load_incident
from rempart.app.ingest import FileStatus, ingest
from rempart.app.init import init
from rempart.app.plan import propose
from rempart.app.respond import controls_for, situation_from_incident
from rempart.app.twin import replay_montpellier
from rempart.contain import BlockProtocolsWithinZones, IsolateZones, Plan
from rempart.core.errors import ConfigError
from rempart.store import Store, Workspace
from rempart.twin.hospital import generate_hospital


@pytest.mark.slow
def test_twin_replay_json_keys_and_outcome() -> None:
    result = replay_montpellier(seed=2, machines=500, rows=30000, runs=30)
    data = json.loads(json.dumps(result.to_json_dict(), ensure_ascii=False))
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
    assert load_incident(ws.root, result.incident.id).id == result.incident.id
    plans = propose(ws.root, incident=result.incident.id, runs=5)
    assert plans.ranked is not None
    assert any(
        p.id.startswith("contain-building") or "Cloisonner" in p.title for p, _ in plans.rows
    )
    with pytest.raises(ConfigError):
        propose(ws.root, incident="INC-nope")


def test_init_then_ingest_twice_same_counts(tmp_path: Path) -> None:
    ws = tmp_path / "chu"
    init(ws)
    assert (ws / "hospital.yaml").is_file() and (ws / "inventory.csv").is_file()
    mail = tmp_path / "in" / "a.eml"
    mail.parent.mkdir()
    mail.write_bytes(b"From: a@b.fr\nTo: c@d.fr\nSubject: s\nMessage-ID: <1@b>\n\nhello\n")
    (tmp_path / "in" / "junk.bin").write_bytes(b"\x00\x01\x02")
    first = ingest(ws, [tmp_path / "in"])
    assert not any(f.status is FileStatus.FAILED for f in first.files)
    with Store(ws / "rempart.duckdb") as store:
        before = store.count("email")
    second = ingest(ws, [tmp_path / "in"])
    statuses = {f.status for f in second.files}
    assert statuses == {FileStatus.ALREADY, FileStatus.UNKNOWN}
    with Store(ws / "rempart.duckdb") as store:
        assert store.count("email") == before == 1
