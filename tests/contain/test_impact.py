from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rempart.contain import (
    BlockProtocolsBetweenZones,
    CutEgressExcept,
    HostRef,
    IsolateZones,
    Level,
    Plan,
    QuarantineHosts,
    Why,
    apply_confirmations,
    care_impact,
    check_plan,
    confirm_vital,
)
from rempart.contain.export import compile_plan
from rempart.core.clock import FixedClock
from rempart.core.errors import ContainmentError, VitalCutRefused
from rempart.model import Hospital

from .conftest import T0
from .test_allowlist import _first_match


def _plan(*actions: object) -> Plan:
    return Plan.model_validate({"id": "p", "title": "t", "actions": actions})


def _cuts(plan: Plan, hospital: Hospital) -> dict[str, tuple[Level, bool]]:
    return {i.key: (i.level, i.vital) for i in care_impact(plan, hospital).items}


def test_isolating_a_building_cuts_what_its_services_reach_outside(hospital: Hospital) -> None:
    plan = _plan(IsolateZones(zones=("bat-a",), reason="r"))
    cuts = _cuts(plan, hospital)
    assert cuts == {
        "urgences:dpi01": (Level.CUT, True),
        "urgences:pacs01": (Level.CUT, False),
        "urgences:labo": (Level.CUT, True),
        "urgences:labo-interne": (Level.CUT, False),  # the lab sits in building B
    }
    impact = care_impact(plan, hospital)
    assert impact.vital_services_cut == ("urgences",)
    item = next(i for i in impact.items if i.dependency_ref == "dpi01")
    assert item.why == (Why.ZONE_ISOLATED,)
    assert item.degraded_procedure == "Dossiers papier."
    assert item.why_text("en") == "the service's zone is isolated"


def test_carve_outs_keep_vital_dependencies(hospital: Hospital) -> None:
    plan = _plan(
        IsolateZones(zones=("bat-a",), keep_assets=("dpi01",), keep_partners=("labo",), reason="r")
    )
    cuts = _cuts(plan, hospital)
    assert "urgences:dpi01" not in cuts
    assert "urgences:labo" not in cuts
    assert cuts["urgences:pacs01"] == (Level.CUT, False)
    check_plan(plan, hospital)  # no vital cut left: accepted without confirmation


def test_isolating_the_server_room_cuts_services_elsewhere(hospital: Hospital) -> None:
    cuts = _cuts(_plan(IsolateZones(zones=("dc",), reason="r")), hospital)
    assert cuts["urgences:dpi01"] == (Level.CUT, True)
    assert cuts["labo-interne:fs01"] == (Level.CUT, False)


def test_egress_cut_keeps_allowlisted_partners_only(hospital: Hospital) -> None:
    keep_lab = _plan(CutEgressExcept(allow_partners=("labo",), reason="r"))
    cuts = _cuts(keep_lab, hospital)
    assert cuts == {"paie:tresor": (Level.CUT, True)}  # vital for payroll, not allowlisted
    with pytest.raises(VitalCutRefused) as err:
        check_plan(keep_lab, hospital)
    assert "paie" in str(err.value)
    both = _plan(CutEgressExcept(allow_partners=("labo", "tresor"), reason="r"))
    assert _cuts(both, hospital) == {}


def test_quarantine_of_a_server_cuts_and_stops_dependent_services(hospital: Hospital) -> None:
    plan = _plan(QuarantineHosts(hosts=(HostRef(ip="10.10.0.20"),), reason="r"))
    impact = care_impact(plan, hospital)
    fs = next(i for i in impact.items if i.dependency_ref == "fs01")
    assert (fs.level, fs.why) == (Level.CUT, (Why.QUARANTINED,))
    # labo-interne's fs01 dependency inherits the service's vital flag (False): not stopped
    assert "urgences:labo-interne" not in {i.key for i in impact.items}


def test_service_dependency_follows_a_stopped_service(hospital: Hospital) -> None:
    data = hospital.model_dump()
    data["services"][1]["vital"] = True  # the lab now stops without fs01
    h = Hospital.model_validate(data)
    plan = _plan(QuarantineHosts(hosts=(HostRef(ip="10.10.0.20"),), reason="r"))
    cuts = _cuts(plan, h)
    assert cuts["labo-interne:fs01"] == (Level.CUT, True)
    assert cuts["urgences:labo-interne"] == (Level.CUT, False)


def test_blocking_smb_between_zones_degrades_file_shares(hospital: Hospital) -> None:
    plan = _plan(BlockProtocolsBetweenZones(protocols=("smb",), reason="r"))
    impact = care_impact(plan, hospital)
    assert [(i.key, i.level) for i in impact.items] == [("labo-interne:fs01", Level.DEGRADED)]
    assert impact.cuts == ()
    rdp_only = _plan(BlockProtocolsBetweenZones(protocols=("rdp",), reason="r"))
    assert care_impact(rdp_only, hospital).items == ()


def test_confirmation_is_recorded_and_unlocks_the_plan(hospital: Hospital) -> None:
    plan = _plan(IsolateZones(zones=("bat-a",), reason="r"))
    with pytest.raises(VitalCutRefused):
        check_plan(plan, hospital)
    confirmed = confirm_vital(
        plan, hospital, "urgences", "procédure papier en place", "Dr Martin", clock=FixedClock(T0)
    )
    assert plan.confirmations == ()  # values are frozen: a new plan is returned
    (c,) = confirmed.confirmations
    assert (c.target, c.by, c.at) == ("urgences", "Dr Martin", T0)
    impact = check_plan(confirmed, hospital)
    assert len(impact.vital_cuts) == 2


def test_confirmation_of_one_dependency_leaves_the_others_refused(hospital: Hospital) -> None:
    plan = _plan(IsolateZones(zones=("bat-a",), reason="r"))
    one = confirm_vital(plan, hospital, "urgences:labo", "téléphone", "x", clock=FixedClock(T0))
    with pytest.raises(VitalCutRefused) as err:
        check_plan(one, hospital)
    assert [c.dependency_ref for c in err.value.cuts] == ["dpi01"]  # type: ignore[attr-defined]


def test_confirming_something_not_cut_is_an_error(hospital: Hospital) -> None:
    plan = _plan(IsolateZones(zones=("bat-a",), reason="r"))
    with pytest.raises(ContainmentError, match="names no vital cut"):
        confirm_vital(plan, hospital, "urgencs", "typo", "x")
    with pytest.raises(ContainmentError, match="aucune coupure vitale"):
        apply_confirmations([plan], hospital, [("paie", "x")], "x")
    (done,) = apply_confirmations([plan], hospital, [("dpi01", "DPI de secours")], "x")
    assert done.confirmations[0].target == "dpi01"


def test_confirmation_time_comes_from_the_clock(hospital: Hospital) -> None:
    plan = _plan(IsolateZones(zones=("bat-a",), reason="r"))
    noon = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)
    (done,) = apply_confirmations(
        [plan], hospital, [("dpi01", "DPI de secours")], "x", clock=FixedClock(noon)
    )
    assert done.confirmations[0].at == noon


def test_kept_zone_stays_linked_except_lateral_protocols(hospital: Hospital) -> None:
    data = hospital.model_dump()
    data["services"] = [
        *data["services"],
        {
            "id": "rea",
            "name": "Réanimation",
            "vital": True,
            "zones": ["bat-a"],
            "depends_on": [{"kind": "zone", "ref": "biomed"}],
        },
    ]
    h = Hospital.model_validate(data)
    strict = _plan(IsolateZones(zones=("bat-a",), reason="r"))
    assert _cuts(strict, h)["rea:biomed"] == (Level.CUT, True)
    kept = _plan(IsolateZones(zones=("bat-a",), keep_zones=("biomed",), reason="r"))
    assert _cuts(kept, h)["rea:biomed"] == (Level.DEGRADED, True)
    rules = compile_plan(kept, h).rules
    assert _first_match(rules, "10.1.0.5", "10.30.0.5", 443) == "accept"
    assert _first_match(rules, "10.30.0.5", "10.1.0.5", 443) == "accept"
    assert _first_match(rules, "10.1.0.5", "10.30.0.5", 445) == "drop"  # no SMB worm path
    assert _first_match(rules, "10.1.0.5", "10.2.0.5", 443) == "drop"  # still isolated
    assert _first_match(rules, "10.2.0.5", "10.30.0.5", 445) == "accept"  # not concerned
