from __future__ import annotations

import json
from pathlib import Path

import pytest

from rempart.contain import (
    BlockDomains,
    BlockIndicators,
    BlockProtocolsBetweenZones,
    BlockSenders,
    CutEgressExcept,
    DisableAccounts,
    IsolateZones,
    Plan,
    PurgeEmailCampaign,
    QuarantineHosts,
    Situation,
    candidate_plans,
    care_impact,
    dump_situation,
    load_situation,
    vital_partners,
)
from rempart.core.errors import ConfigError
from rempart.model import Hospital

from .conftest import T0


def test_candidate_plans_cover_the_known_responses(
    hospital: Hospital, situation: Situation
) -> None:
    plans = {p.id: p for p in candidate_plans(hospital, situation)}
    assert list(plans) == [
        "isolate",
        "isolate-keep-vital",
        "block-lateral",
        "contain-building",
        "quarantine",
        "cut-egress",
        "lateral-egress",
        "full",
    ]
    iso = plans["isolate"].actions[0]
    assert isinstance(iso, IsolateZones)
    assert iso.zones == ("bat-a",)  # from the infected hosts' addresses
    keep = plans["isolate-keep-vital"].actions[0]
    assert isinstance(keep, IsolateZones)
    assert (keep.keep_assets, keep.keep_partners) == (("dpi01",), ("labo",))
    q = plans["quarantine"].actions[0]
    assert isinstance(q, QuarantineHosts)
    assert q.ips == ("10.1.0.11", "10.1.0.12", "10.1.0.13")
    assert q.hosts[0].hostname == "pc-a-1"  # filled from the model
    egress = plans["cut-egress"].actions[0]
    assert isinstance(egress, CutEgressExcept)
    assert egress.allow_partners == ("labo", "tresor", "hds")  # not the vendor
    full_kinds = [type(a) for a in plans["full"].actions]
    assert full_kinds[:4] == [
        IsolateZones,
        BlockProtocolsBetweenZones,
        QuarantineHosts,
        CutEgressExcept,
    ]


def test_every_plan_carries_mail_account_and_indicator_actions(
    hospital: Hospital, situation: Situation
) -> None:
    for plan in candidate_plans(hospital, situation):
        kinds = {type(a) for a in plan.actions}
        assert {BlockSenders, BlockDomains, BlockIndicators, DisableAccounts} <= kinds
        assert PurgeEmailCampaign in kinds
        ind = next(a for a in plan.actions if isinstance(a, BlockIndicators))
        assert ind.ips == ("203.0.113.200",)
        assert len(ind.hashes) == 1


def test_isolate_keep_vital_leaves_no_vital_cut_here(
    hospital: Hospital, situation: Situation
) -> None:
    plans = {p.id: p for p in candidate_plans(hospital, situation)}
    assert care_impact(plans["isolate"], hospital).vital_services_cut == ("urgences",)
    assert care_impact(plans["isolate-keep-vital"], hospital).vital_cuts == ()


def test_external_alert_without_hosts_gives_the_cahors_plan(hospital: Hospital) -> None:
    plans = candidate_plans(hospital, Situation(observed_at=T0))
    assert [p.id for p in plans] == ["block-lateral", "cut-egress", "lateral-egress"]
    assert {p.id for p in vital_partners(hospital)} == {"labo", "tresor", "hds"}


def test_bad_artefacts_are_left_out_not_fatal(hospital: Hospital) -> None:
    s = Situation(observed_at=T0, senders=("not an address",), domains=("bad domain!",))
    plan = next(p for p in candidate_plans(hospital, s) if p.id == "cut-egress")
    assert [type(a) for a in plan.actions] == [CutEgressExcept]


def test_situation_json_round_trip_and_errors(tmp_path: Path, situation: Situation) -> None:
    p = tmp_path / "s.json"
    p.write_text(dump_situation(situation), encoding="utf-8")
    assert load_situation(p) == situation
    p.write_text('{"observed_at": "2019-03-11T09:40:00Z",\n "infected": [{"ip": "10.1.0.999"}]}')
    with pytest.raises(ConfigError, match=r"infected\.0\.ip"):
        load_situation(p)
    p.write_text('{"observed_at": "2019-03-11T09:40:00Z", "infectd": []}')
    with pytest.raises(ConfigError, match="infectd"):
        load_situation(p)
    p.write_text('{\n"observed_at": \n}')
    with pytest.raises(ConfigError, match=r"s\.json:3"):
        load_situation(p)


def test_plan_json_round_trip_keeps_action_types(hospital: Hospital, situation: Situation) -> None:
    for plan in candidate_plans(hospital, situation):
        again = Plan.model_validate(json.loads(plan.model_dump_json()))
        assert again == plan


def test_action_texts_exist_in_both_languages(hospital: Hospital, situation: Situation) -> None:
    for plan in candidate_plans(hospital, situation):
        for action in plan.actions:
            fr, en = action.describe("fr"), action.describe("en")
            assert fr.title
            assert en.blocks
            assert fr.keeps != en.keeps


def test_actions_refuse_bad_values() -> None:
    with pytest.raises(ValueError, match="unknown protocol"):
        BlockProtocolsBetweenZones(protocols=("telnet",), reason="r")
    with pytest.raises(ValueError, match="at least one zone"):
        IsolateZones(zones=(), reason="r")
    with pytest.raises(ValueError, match="reason"):
        IsolateZones(zones=("a",), reason="")
    with pytest.raises(ValueError, match="frozen"):
        IsolateZones(zones=("a",), reason="r").zones = ("b",)  # type: ignore[misc]
