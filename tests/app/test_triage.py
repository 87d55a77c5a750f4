"""`rempart.app.triage`: ingest Windows logs, match the rules, judge each host."""

from __future__ import annotations

from pathlib import Path

from tests.host.test_triage import _events

from rempart.app.triage import triage, triage_workspace


def test_suppression(tmp_path: Path) -> None:
    sup = tmp_path / "mute.txt"
    sup.write_text("# noisy here\nPC7:6f0c1d2e-7a51-4c1b-9a77-2b1f0e3c4a01\n", encoding="utf-8")
    res = triage([_events(tmp_path)], suppress=sup)
    assert {v.verdict for v in res.hosts if v.host == "PC7"} == {"clean"}


def test_verdicts_and_workspace_store(tmp_path: Path) -> None:
    events = _events(tmp_path)
    res = triage_workspace(tmp_path / "ws", [events], use_cache=False)
    verdicts = {v.host: v.verdict for v in res.hosts}
    assert verdicts["PC7"] == "compromised" and verdicts["PC8"] == "suspicious"
    assert "6f0c1d2e-7a51-4c1b-9a77-2b1f0e3c4a05" in {h.rule_id for h in res.hits}
    assert (tmp_path / "ws" / "rempart.duckdb").is_file()
