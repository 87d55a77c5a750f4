from __future__ import annotations

from rempart.contain import (
    NO_ACTION,
    BlockProtocolsBetweenZones,
    Interval,
    IsolateZones,
    Plan,
    Situation,
    WhatIfEstimate,
    candidate_plans,
    confirm_vital,
    plan_to_controls_spec,
    rank_plans,
)
from rempart.model import Hospital


def _est(h24: float) -> WhatIfEstimate:
    def iv(x: float) -> Interval:
        return Interval(mean=x, low=x * 0.8, high=x * 1.2)

    return WhatIfEstimate(h1=iv(h24 / 10), h6=iv(h24 / 2), h24=iv(h24), hosts=600, runs=10)


class FakeTwin:
    """Infections at 24 h: 300 doing nothing; isolation and lateral blocks help."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, plan: Plan) -> WhatIfEstimate:
        self.calls.append(plan.id)
        spec = plan_to_controls_spec(plan, HOSPITAL[0])
        infected = 300.0
        if spec.isolated_zones:
            infected = 40.0
        if spec.blocked:
            infected = min(infected, 60.0)
        if spec.quarantined_hosts:
            infected -= 5
        return _est(infected)


HOSPITAL: list[Hospital] = []


def test_rank_puts_refused_plans_last_then_most_saved(
    hospital: Hospital, situation: Situation
) -> None:
    HOSPITAL[:] = [hospital]
    twin = FakeTwin()
    plans = candidate_plans(hospital, situation)
    ranked = rank_plans(plans, twin, hospital)
    assert twin.calls[0] == NO_ACTION.id
    assert len(twin.calls) == len(plans) + 1
    assert [r.rank for r in ranked] == list(range(1, len(plans) + 1))
    by_id = {r.plan.id: r for r in ranked}
    assert by_id["isolate"].refused
    assert ranked[-1].plan.id == "isolate"
    assert not any(r.refused for r in ranked[:-1])
    # isolate-keep-vital saves more machines (260) but still cuts non-vital dependencies of
    # the emergency service (PACS, internal lab): blocking lateral protocols (245 saved, care
    # only degraded) wins with 25 machines counted per care service hit.
    assert ranked[0].plan.id == "block-lateral"
    assert ranked[0].saved_24h == 245.0
    assert ranked[0].net_benefit == 245.0
    assert by_id["isolate-keep-vital"].saved_24h == 260.0
    assert by_id["isolate-keep-vital"].net_benefit == 235.0
    assert ranked[0].vital_services_cut == ()
    favour_machines = rank_plans(plans, twin, hospital, machines_per_service=0.0)
    # contain-building saves as many machines as "full" with fewer actions (no internet cut)
    assert favour_machines[0].plan.id == "contain-building"
    by_id_m = {r.plan.id: r for r in favour_machines}
    assert by_id_m["full"].saved_24h == favour_machines[0].saved_24h
    assert by_id["cut-egress"].saved_24h == 0.0


def test_confirmed_plan_is_no_longer_refused(hospital: Hospital, situation: Situation) -> None:
    HOSPITAL[:] = [hospital]
    plan = next(p for p in candidate_plans(hospital, situation) if p.id == "isolate")
    ok = confirm_vital(plan, hospital, "urgences", "papier", "cellule de crise")
    (r,) = rank_plans([ok], FakeTwin(), hospital)
    assert not r.refused
    assert r.vital_services_cut == ("urgences",)


def test_controls_spec_is_plain_data(hospital: Hospital) -> None:
    plan = Plan(
        id="p",
        title="t",
        actions=(
            IsolateZones(zones=("bat-a",), keep_assets=("dpi01",), reason="r"),
            BlockProtocolsBetweenZones(protocols=("smb",), zones=("bat-b",), reason="r"),
        ),
    )
    spec = plan_to_controls_spec(plan, hospital)
    assert spec.isolated_zones == ("bat-a",)
    assert spec.kept == (("bat-a", "dpi01"),)
    assert ("bat-b", "dc", 445) in spec.blocked
    assert ("dc", "bat-b", 139) in spec.blocked
    assert ("bat-a", "dc", 445) not in spec.blocked  # neither side listed
    assert all(a != b for a, b, _ in spec.blocked)
    assert not spec.egress_cut
    d = spec.to_dict()
    assert d["blocked"][0] == list(spec.blocked[0])
    assert d["quarantined_hosts"] == []


def test_ranked_table_renders_in_both_languages(hospital: Hospital, situation: Situation) -> None:
    from rich.console import Console

    from rempart.cli.plan import ranked_table

    HOSPITAL[:] = [hospital]
    ranked = rank_plans(candidate_plans(hospital, situation), FakeTwin(), hospital)
    for lang, words in (("fr", "machines sauvées"), ("en", "machines saved")):
        console = Console(width=200, record=True)
        console.print(ranked_table(ranked, lang))  # type: ignore[arg-type]
        text = console.export_text()
        assert words in text
        assert "55 [44-66]" in text  # block-lateral at 24 h, with its interval
