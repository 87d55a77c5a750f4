"""End to end: the demo on a small twin finds patient zero and builds the incident."""

from __future__ import annotations

from pathlib import Path

import pytest

from rempart.app.demo import run_demo
from rempart.store import Workspace


@pytest.mark.slow
def test_demo_small_twin(tmp_path: Path) -> None:
    ws = Workspace.at(tmp_path / "ws")
    result = run_demo(ws, seed=3, machines=400, rows=30_000, runs=10)
    assert result.incident is not None
    assert result.patient_zero_ok, (result.incident.patient_zero, result.truth.patient_zero)
    truth, flagged = result.truth_ips, result.flagged_ips
    assert len(truth & flagged) >= 0.9 * len(truth)
    assert len(flagged - truth) <= max(2, 0.1 * len(truth))
    assert result.incident.entry_email is not None
    assert result.incident.entry_email.message_id == result.truth.phishing.message_id
    assert result.early is not None and result.early.response.chosen is not None
    assert not result.early.response.chosen.refused
    assert result.early.respond_at > result.early.first_alert
    assert result.infected_rempart is not None and result.infected_historical is not None
    assert result.infected_rempart <= result.infected_historical
    assert result.export is not None and result.export.read_text().startswith("#")
    html = result.report.read_text(encoding="utf-8")
    assert "<svg" in html and result.incident.id in html
    assert "http://" not in html.split("<body>")[0]  # nothing fetched by the page head
    # Re-running changes nothing in the store (same seed, same bytes, files already ingested).
    again = run_demo(ws, seed=3, machines=400, rows=30_000, runs=10)
    assert all(f.status.value == "already ingested" for f in again.ingest.files)
    assert again.incident is not None and again.incident.id == result.incident.id
