"""`rempart.app.twin`: generate a twin, write a scenario, calibrate."""

from __future__ import annotations

import json
from pathlib import Path

from rempart.app.twin import (
    calibrate,
    generate,
    scenario_folder,
    spread_params,
    workspace_or_twin,
    write_scenario,
)
from rempart.model import load_hospital


def test_generate_then_scenario(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    twin = generate(ws, machines=300, seed=2)
    assert twin.generated and len(twin.hospital.assets) == 300
    assert len(load_hospital(ws / "hospital.yaml").assets) == 300
    again = workspace_or_twin(ws, machines=6000, seed=0)
    assert not again.generated and len(again.hospital.assets) == 300
    out = scenario_folder(ws, "montpellier", tmp_path / "scn")
    truth = write_scenario(
        again.hospital, out, rows=3000, runs=20, params=spread_params(spread_rate=2.4)
    )
    assert truth.patient_zero.hostname
    data = json.loads((out / "ground_truth.json").read_text(encoding="utf-8"))
    assert data["spread_params"]["spread_rate"] == 2.4
    assert data["hosts"] == 300
    assert (out / "conn.log").stat().st_size > 0
    assert (out / "mailbox.mbox").read_bytes().startswith(b"From ")
    assert scenario_folder(ws, "montpellier", None) == ws.resolve() / "scenario-montpellier"


def test_calibrate() -> None:
    rows = calibrate([1], machines=300, runs=20)
    assert len(rows) == 1 and rows[0].patient_zero.startswith("pc-")
    assert len(rows[0].means) == 3
