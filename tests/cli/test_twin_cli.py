"""`rempart twin`: messages and exit codes (the logic: tests/app/test_twin.py)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from rempart.cli import app
from rempart.model import load_hospital


def test_generate_then_scenario(tmp_path: Path) -> None:
    runner = CliRunner()
    ws = tmp_path / "ws"
    res = runner.invoke(
        app, ["twin", "generate", "-w", str(ws), "--machines", "300", "--seed", "2"]
    )
    assert res.exit_code == 0, res.output
    assert "300 équipements" in " ".join(res.output.split())
    assert len(load_hospital(ws / "hospital.yaml").assets) == 300
    out = tmp_path / "scn"
    res = runner.invoke(
        app,
        [
            "twin", "scenario", "montpellier", "-w", str(ws), "--out", str(out), "--rows",
            "3000", "--runs", "20", "--spread-rate", "2.4", "--lang", "en",
        ],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "Patient zero" in res.output
    truth = json.loads((out / "ground_truth.json").read_text(encoding="utf-8"))
    assert truth["spread_params"]["spread_rate"] == 2.4
    assert truth["hosts"] == 300
    assert (out / "conn.log").stat().st_size > 0
    assert (out / "mailbox.mbox").read_bytes().startswith(b"From ")


def test_unknown_scenario_and_calibrate(tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["twin", "scenario", "cahors", "-w", str(tmp_path)])
    assert res.exit_code != 0
    res = runner.invoke(
        app, ["twin", "calibrate", "--seeds", "1", "--machines", "300", "--runs", "20"]
    )
    assert res.exit_code == 0, res.output
    assert "pc-" in res.output
