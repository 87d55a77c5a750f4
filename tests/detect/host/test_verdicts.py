"""Host verdicts (the triage use case: tests/app/test_triage.py; its output:
tests/cli/test_triage_cli.py)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rempart.detect.host import Hit, HostVerdict, judge

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _hit(host: str, level: str, title: str, event: str = "") -> Hit:
    return Hit("f.evtx", host, title, title, level, T0, 1, 1, event or f"u-{title}")


def test_one_event_one_reason() -> None:
    """Rempart's rule and SigmaHQ's on the same 1102 event are one reason, not two highs."""
    hits = [_hit("A", "high", "rempart: log cleared", "e1"), _hit("A", "high", "sigmahq", "e1")]
    (verdict,) = judge(hits, {"A": {"f.evtx"}})
    assert verdict.verdict == "suspicious" and len(verdict.reasons) == 1


def test_one_reason_when_rules_share_events_not_only_the_first() -> None:
    """Rempart's rule saw both clearings (1102 then 104); SigmaHQ has one rule for each: the
    first events differ, the events do not, so it is still one reason."""
    ours = Hit("f.evtx", "A", "r", "rempart: log cleared", "high", T0, 1, 2, "e1", ("e1", "e2"))
    sec = Hit("f.evtx", "A", "s1", "sigmahq 1102", "high", T0, 1, 1, "e1", ("e1",))
    sys_ = Hit("f.evtx", "A", "s2", "sigmahq 104", "high", T0, 2, 1, "e2", ("e2",))
    (verdict,) = judge([sec, ours, sys_], {"A": {"f.evtx"}})
    assert verdict.verdict == "suspicious"
    assert verdict.reasons == ("high: rempart: log cleared (2)",)
    other = Hit("f.evtx", "A", "s3", "mimikatz", "high", T0, 3, 1, "e3", ("e3",))
    (verdict,) = judge([sec, ours, sys_, other], {"A": {"f.evtx"}})
    assert verdict.verdict == "compromised"


def test_one_rule_speaks_for_a_behaviour_across_files() -> None:
    """Two clearings in two files: Rempart's rule saw both, each SigmaHQ rule one; the host's
    reasons name one rule, not a different one per file."""
    hits = [
        Hit("a.evtx", "A", "s104", "sigmahq 104", "high", T0, 1, 1, "a1", ("a1",)),
        Hit("a.evtx", "A", "z", "rempart: log cleared", "high", T0, 1, 1, "a1", ("a1",)),
        Hit("b.evtx", "A", "s1102", "sigmahq 1102", "high", T0, 1, 1, "b1", ("b1",)),
        Hit("b.evtx", "A", "z", "rempart: log cleared", "high", T0, 1, 1, "b1", ("b1",)),
    ]
    (verdict,) = judge(hits, {"A": {"a.evtx", "b.evtx"}})
    assert verdict.reasons == ("high: rempart: log cleared (2)",)
    assert verdict.verdict == "suspicious"


def test_verdicts() -> None:
    hits = [
        _hit("A", "critical", "ransom"),
        _hit("B", "high", "one"),
        _hit("C", "high", "one"),
        _hit("C", "high", "two"),
        _hit("D", "low", "noise"),
    ]
    hosts = {h: {"f.evtx"} for h in "ABCDE"}
    got = {v.host: v.verdict for v in judge(hits, hosts)}
    assert got == {
        "A": "compromised",
        "B": "suspicious",
        "C": "compromised",
        "D": "clean",
        "E": "clean",
    }
    a = next(v for v in judge(hits, hosts) if v.host == "A")
    assert a.reasons == ("critical: ransom (1)",)
    assert a.files == ("f.evtx",)


def test_reasons_in_both_languages() -> None:
    """A Rempart rule's reason reads in English under `en`; a SigmaHQ rule (no English title
    of its own) reads the same in both; a rule is one reason whatever the language."""
    ours = Hit("f.evtx", "A", "r1", "Journal d'événements effacé", "high", T0, 1, 2, "e1",
               ("e1", "e2"), rule_title_en="Event Log Cleared")  # fmt: skip
    ours_b = Hit("g.evtx", "A", "r1", "Journal d'événements effacé", "high", T0, 1, 1, "e3",
                 ("e3",), rule_title_en="Event Log Cleared")  # fmt: skip
    theirs = Hit("f.evtx", "A", "s1", "Mimikatz Use", "critical", T0, 2, 1, "e4", ("e4",))
    assert ours.title_in("en") == "Event Log Cleared"
    assert ours.title_in("fr") == "Journal d'événements effacé"
    assert theirs.title_in("en") == theirs.title_in("fr") == "Mimikatz Use"
    (v,) = judge([ours, ours_b, theirs], {"A": {"f.evtx", "g.evtx"}})
    assert v.reasons == ("critical: Mimikatz Use (1)", "high: Journal d'événements effacé (3)")
    assert v.reasons_en == ("critical: Mimikatz Use (1)", "high: Event Log Cleared (3)")
    assert v.reasons_in("en") == v.reasons_en and v.reasons_in("fr") == v.reasons
    # a verdict made without English reasons (an older caller) shows its own in both
    old = HostVerdict("B", "suspicious", ("high: x (1)",), ())
    assert old.reasons_in("en") == ("high: x (1)",)


def _events(tmp: Path) -> Path:
    base = {"Hostname": "PC7", "Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1}
    rows = [
        {**base, "@timestamp": "2026-01-01T10:00:00Z", "Image": "C:\\w\\vssadmin.exe",
         "CommandLine": "vssadmin delete shadows /all /quiet"},
        {**base, "@timestamp": "2026-01-01T10:01:00Z", "Image": "C:\\w\\notepad.exe",
         "CommandLine": "notepad"},
        {"Hostname": "PC8", "Channel": "Security", "EventID": 4624,
         "@timestamp": "2026-01-01T10:02:00Z", "TargetUserName": "bob"},
    ]  # fmt: skip
    fails = [
        {"Hostname": "PC8", "Channel": "Security", "EventID": 4625,
         "@timestamp": f"2026-01-01T10:03:{i:02d}Z", "TargetUserName": "admin"}
        for i in range(25)
    ]  # fmt: skip
    path = tmp / "pc.json"
    path.write_text("\n".join(json.dumps(r) for r in rows + fails) + "\n", encoding="utf-8")
    return path


@pytest.mark.corpus
@pytest.mark.slow
def test_sigmahq_regression_cases(shared_data: Path) -> None:
    import importlib.util

    sigma_dir = shared_data / "sigma_rules"
    if not (sigma_dir / "regression_data").is_dir():
        pytest.skip("sigma_rules corpus absent")
    bench = Path(__file__).parents[3] / "bench" / "sigma_regression.py"
    spec = importlib.util.spec_from_file_location("sigma_regression", bench)
    assert spec is not None
    assert spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["sigma_regression"] = mod
    spec.loader.exec_module(mod)
    res = mod.run(sigma_dir)
    assert res.cases >= 200
    assert res.rate >= 0.97, res.missed


def test_sigma_detector_findings(tmp_path: Path) -> None:
    from rempart.detect.base import DetectContext
    from rempart.detect.host import SigmaDetector
    from rempart.ingest.files import ingest_file
    from rempart.store import Store

    store = Store.memory()
    ingest_file(store, _events(tmp_path))
    findings = SigmaDetector().run(DetectContext(store))
    by_host = {(f.entity, f.severity.value) for f in findings}
    assert ("PC7", "critical") in by_host
    shadow = next(f for f in findings if f.entity == "PC7" and f.severity.value == "critical")
    assert shadow.evidence_count == 1
    assert shadow.evidence_class == "process"
    assert "T1490" in shadow.attack
    # the finding's title and reason follow the language: Rempart's rules have both titles
    title_fr, reason_fr = shadow.render("fr")
    title_en, reason_en = shadow.render("en")
    assert title_fr.startswith("Suppression des clichés instantanés") and title_fr in reason_fr
    assert title_en.startswith("Shadow Copies or Backups Deleted") and title_en in reason_en
    assert shadow.title == title_fr  # the stored text (and the finding's uid) stay French
