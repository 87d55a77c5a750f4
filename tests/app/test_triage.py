"""`rempart.app.triage`: ingest Windows logs, match the rules, judge each host."""

from __future__ import annotations

from pathlib import Path

from tests.detect.host.test_verdicts import _events

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


def _failures(tmp_path: Path, burst: bool) -> Path:
    """A quiet server with one failed logon an hour for a day, then (with `burst`) six in
    half an hour: below the Sigma rules' fixed windows, five times its own usual rate."""
    import json

    rows = [
        {
            "Hostname": "SRV1",
            "Channel": "Security",
            "EventID": 4625,
            "TargetUserName": "compta",
            "IpAddress": "10.1.1.1",
            "Status": "0xc000006d",
            "@timestamp": f"2026-01-01T{h:02d}:10:00Z",
        }
        for h in range(20)
    ]
    if burst:
        rows += [
            {**rows[0], "IpAddress": "10.9.9.9", "@timestamp": f"2026-01-01T21:{m:02d}:00Z"}
            for m in range(0, 36, 6)
        ]
    path = tmp_path / "srv1.json"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_triage_counts_the_host_baseline_detector(tmp_path: Path) -> None:
    res = triage([_failures(tmp_path, burst=True)], min_level="medium")
    brute = [h for h in res.hits if h.rule_id == "rempart:windows_bruteforce"]
    assert brute and brute[0].host == "SRV1" and brute[0].count == 6
    assert {"attack.t1110.001", "attack.credential-access"} <= set(brute[0].tags)
    assert {v.host: v.verdict for v in res.hosts}["SRV1"] != "clean"


def test_triage_usual_failures_stay_clean(tmp_path: Path) -> None:
    res = triage([_failures(tmp_path, burst=False)], min_level="medium")
    assert not [h for h in res.hits if h.rule_id.startswith("rempart:")]
    assert {v.host: v.verdict for v in res.hosts}["SRV1"] == "clean"


def test_triage_counts_a_forged_ticket(tmp_path: Path) -> None:
    src = Path(__file__).parents[1] / "detect" / "regression" / "windows_ticket_forgery"
    res = triage([src / "positive" / "nopac.json"], min_level="medium")
    forged = [h for h in res.hits if h.rule_id == "rempart:windows_ticket_forgery"]
    assert [h.host for h in forged] == ["dc1.corp.lan"]
    assert "attack.credential-access" in forged[0].tags
    dc1 = next(v for v in res.hosts if v.host == "dc1.corp.lan")
    assert dc1.verdict != "clean" and "credential-access" in dc1.tactics
    clean = triage([src / "negative" / "domain.json"], min_level="medium")
    assert not [h for h in clean.hits if h.rule_id.startswith("rempart:")]


def test_rules_errors_reach_the_caller(tmp_path: Path) -> None:
    """The rules load in a thread beside the ingest: their errors still reach the caller,
    a missing folder before anything is read."""
    import pytest

    from rempart.core.errors import ConfigError
    from rempart.store import Store

    store = Store.memory()
    with pytest.raises(ConfigError, match="no Sigma rules at"):
        triage([_failures(tmp_path, burst=False)], tmp_path / "absent", store=store)
    assert store.count("process") == 0
    with pytest.raises(ConfigError, match="unknown level"):
        triage([_failures(tmp_path, burst=False)], min_level="bogus")


def test_same_hits_with_rules_loaded_beside_the_ingest(tmp_path: Path) -> None:
    """The thread changes when the rules load, not what they find: the same hits as the
    rules loaded first and matched on the stored events."""
    from rempart.detect.host import match
    from rempart.sigma.engine import load_rules
    from rempart.sigma.levels import builtin_rules_dir
    from rempart.store import Store

    events = _events(tmp_path)
    store = Store.memory()
    res = triage([events], min_level="informational", store=store)
    alone, _ = match(store, load_rules([builtin_rules_dir()]))
    assert res.hits and {(h.host, h.rule_id, h.count) for h in alone} == {
        (h.host, h.rule_id, h.count) for h in res.hits if not h.rule_id.startswith("rempart:")
    }


def test_other_logs_named_not_read_without_a_workspace(tmp_path: Path) -> None:
    """A throw-away triage reads only the Windows logs: an SSH log beside them is named with
    its format, not parsed; with a workspace it is ingested there."""
    from rempart.ingest.files import FileStatus

    folder = tmp_path / "collecte"
    folder.mkdir()
    _failures(folder, burst=False)
    (folder / "auth.log").write_text(
        "Dec  6 10:00:00 srv1 sshd[123]: Failed password for root from 203.0.113.9 "
        "port 2222 ssh2\n",
        encoding="utf-8",
    )
    res = triage([folder])
    others = {Path(f.path).name: f for f in res.not_windows}
    assert set(others) == {"auth.log"}
    assert others["auth.log"].status is FileStatus.NOT_READ
    assert others["auth.log"].event_class == "authentication"
    kept = triage_workspace(tmp_path / "ws", [folder], use_cache=False)
    ingested = {Path(f.path).name: f for f in kept.not_windows}
    assert ingested["auth.log"].status is FileStatus.INGESTED and ingested["auth.log"].records == 1
