"""The ATT&CK technique -> tactics table generated from MITRE's STIX data."""

from __future__ import annotations

from rempart.detect.host import attack_tags
from rempart.sigma.attack_tactics import tactics_of, technique_tactics


def test_known_techniques_and_their_tactics() -> None:
    assert tactics_of("T1558.003") == ("credential-access",)
    assert tactics_of("attack.t1021.002") == ("lateral-movement",)
    assert set(tactics_of("t1053.005")) >= {"execution", "persistence", "privilege-escalation"}
    assert len(technique_tactics()) > 500


def test_unknown_subtechnique_falls_back_on_its_parent() -> None:
    assert tactics_of("T1558.999") == tactics_of("T1558")
    assert tactics_of("T9999") == ()


def test_detector_tags() -> None:
    assert attack_tags(["T1110.003"]) == ("attack.t1110.003", "attack.credential-access")


def test_verdict_names_the_tactics_of_tagged_techniques() -> None:
    """A rule tagged only with a technique still names its tactic in the verdict, through
    ATT&CK's matrix; a rule without ATT&CK tags adds none."""
    from datetime import UTC, datetime

    from rempart.detect.host import Hit, judge

    when = datetime(2026, 1, 1, tzinfo=UTC)
    hits = [
        Hit("a.evtx", "DC1", "r1", "Kerberoast", "high", when, 1, 1, "e1", ("e1",),
            ("attack.t1558.003",)),
        Hit("a.evtx", "DC1", "r2", "Tunnel", "high", when, 2, 1, "e2", ("e2",),
            ("attack.command-and-control",)),
        Hit("a.evtx", "PC2", "r3", "Untagged", "medium", when, 3, 1, "e3", ("e3",)),
    ]  # fmt: skip
    verdicts = {v.host: v for v in judge(hits, {"DC1": {"a.evtx"}, "PC2": {"a.evtx"}})}
    assert verdicts["DC1"].tactics == ("credential-access", "command-and-control")
    assert verdicts["PC2"].tactics == ()
