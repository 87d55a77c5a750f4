"""The ATT&CK technique -> tactics table generated from MITRE's STIX data."""

from __future__ import annotations

from rempart.detect.host import attack_tags
from rempart.sigma.attack_tactics import TECHNIQUE_TACTICS, tactics_of


def test_known_techniques_and_their_tactics() -> None:
    assert tactics_of("T1558.003") == ("credential-access",)
    assert tactics_of("attack.t1021.002") == ("lateral-movement",)
    assert set(tactics_of("t1053.005")) >= {"execution", "persistence", "privilege-escalation"}
    assert len(TECHNIQUE_TACTICS) > 500


def test_unknown_subtechnique_falls_back_on_its_parent() -> None:
    assert tactics_of("T1558.999") == tactics_of("T1558")
    assert tactics_of("T9999") == ()


def test_detector_tags() -> None:
    assert attack_tags(["T1110.003"]) == ("attack.t1110.003", "attack.credential-access")
