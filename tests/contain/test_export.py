from __future__ import annotations

import os
from pathlib import Path

import pytest

from rempart.contain import (
    CutEgressExcept,
    IsolateZones,
    Plan,
    Situation,
    candidate_plans,
    confirm_vital,
)
from rempart.contain.export import (
    EXPORTERS,
    ExportValidationError,
    IptablesExporter,
    NftablesExporter,
    Validation,
    backup_path,
    compile_plan,
    make_exporter,
    render_plan,
    rollback_path,
    write_plan,
    write_validated,
)
from rempart.core.errors import VitalCutRefused
from rempart.model import Hospital

from .tools import REASON, tool_usable

GOLDEN = Path(__file__).parent / "golden"
needs_nft = pytest.mark.skipif(not tool_usable("nftables"), reason=REASON)
needs_ipt = pytest.mark.skipif(not tool_usable("iptables"), reason=REASON)


def _full(hospital: Hospital, situation: Situation) -> Plan:
    return next(p for p in candidate_plans(hospital, situation) if p.id == "full")


def test_golden_nftables(hospital: Hospital, situation: Situation) -> None:
    """The nftables text of the full plan is pinned (UPDATE_GOLDEN=1 to rewrite it)."""
    rendered = render_plan(_full(hospital, situation), hospital, "nftables")
    for name, text in (("full.nft", rendered.text), ("full.rollback.nft", rendered.rollback)):
        path = GOLDEN / name
        if os.environ.get("UPDATE_GOLDEN"):
            path.write_text(text, encoding="utf-8")
        assert text == path.read_text(encoding="utf-8"), name


def test_rule_order_puts_hard_drops_before_carve_outs(
    hospital: Hospital, situation: Situation
) -> None:
    rules = compile_plan(_full(hospital, situation), hospital).rules
    kinds = [r.comment.split()[0] for r in rules]
    assert kinds.index("quarantine") < kinds.index("block") < kinds.index("isolate")
    first_accept = next(i for i, r in enumerate(rules) if r.verdict == "accept")
    isolation_drop = next(i for i, r in enumerate(rules) if r.comment == "isolate bat-a out")
    assert first_accept < isolation_drop
    assert rules[-1].comment == "egress cut"
    assert rules[-1].dst_negate
    assert all(r.established for r in rules if r.comment.endswith("reply"))


@pytest.mark.parametrize("name", sorted(EXPORTERS))
def test_every_export_round_trips_through_its_parser(
    name: str, hospital: Hospital, situation: Situation
) -> None:
    plan = _full(hospital, situation)
    rules = compile_plan(plan, hospital)
    exporter = make_exporter(name, plan)
    family = getattr(exporter, "FAMILY", None)
    expected = rules.rules if family is None else rules.family(family)
    assert exporter.parse(exporter.render(rules)) == expected
    assert exporter.parse(exporter.render_rollback(rules)) == ()


def test_parsers_reject_tampered_text(hospital: Hospital, situation: Situation) -> None:
    rules = compile_plan(_full(hospital, situation), hospital)
    nft = NftablesExporter().render(rules)
    with pytest.raises(ValueError, match="line"):
        NftablesExporter().parse(nft.replace("drop comment", "jump evil comment", 1))
    ipt = IptablesExporter().render(rules)
    with pytest.raises(ValueError, match="unknown"):
        IptablesExporter().parse(ipt.replace("-j DROP", "-j DROP --set-mark 1", 1))
    with pytest.raises(ValueError, match="COMMIT"):
        IptablesExporter().parse(ipt.replace("COMMIT", ""))
    csv_text = make_exporter("csv").render(rules)
    with pytest.raises(ValueError, match="line 2"):
        make_exporter("csv").parse(csv_text.replace("10.1.0.11/32", "10.1.0.300/32", 1))


@needs_nft
def test_nft_check_accepts_rules_and_rollback(hospital: Hospital, situation: Situation) -> None:
    for plan in candidate_plans(hospital, situation):
        if plan.id == "isolate":
            plan = confirm_vital(plan, hospital, "urgences", "papier", "x")
        rendered = render_plan(plan, hospital, "nftables")
        ex = NftablesExporter()
        for text in (rendered.text, rendered.rollback):
            result = ex.validate_text(text)
            assert result.tool == "nft -c"
            assert result.ok, (plan.id, result.message)


@needs_nft
def test_nft_check_rejects_a_broken_ruleset() -> None:
    result = NftablesExporter().validate_text("table inet rempart {\n chain x { nonsense }\n}\n")
    assert not result.ok
    assert result.tool == "nft -c"


@needs_ipt
def test_iptables_restore_test_accepts_rules_and_rollback(
    hospital: Hospital, situation: Situation
) -> None:
    rendered = render_plan(_full(hospital, situation), hospital, "iptables")
    ex = IptablesExporter()
    for text in (rendered.text, rendered.rollback):
        result = ex.validate_text(text)
        assert result.tool == "iptables-restore --test"
        assert result.ok, result.message
    assert not ex.validate_text("*filter\n-A FORWARD -s 10.0.0.300/8 -j DROP\nCOMMIT\n").ok


def test_export_refuses_unconfirmed_vital_cut(hospital: Hospital, tmp_path: Path) -> None:
    plan = Plan(id="p", title="t", actions=(IsolateZones(zones=("bat-a",), reason="r"),))
    out = tmp_path / "rules.nft"
    with pytest.raises(VitalCutRefused):
        write_plan(plan, hospital, "nftables", out)
    assert not out.exists()


def test_write_backs_up_writes_on_change_and_validates(hospital: Hospital, tmp_path: Path) -> None:
    calls: list[Path] = []

    def ok(path: Path) -> Validation:
        calls.append(path)
        return Validation(True, "fake")

    plan = Plan(
        id="p", title="t", actions=(CutEgressExcept(allow_partners=("labo", "tresor"), reason="r"),)
    )
    out = tmp_path / "rules.nft"
    out.write_text("# the hospital's previous rules\n", encoding="utf-8")
    rules, rollback, rendered = write_plan(plan, hospital, "nftables", out, validate=ok)
    assert (rendered.omitted_rules, rendered.other_actions) == (0, 0)
    assert rules.changed
    assert rules.backup == backup_path(out)
    assert backup_path(out).read_text() == "# the hospital's previous rules\n"
    assert rollback.path == rollback_path(out) == tmp_path / "rules.rollback.nft"
    assert rollback.backup is None
    assert calls == [out, rollback_path(out)]
    again, _, _ = write_plan(plan, hospital, "nftables", out, validate=ok)
    assert not again.changed  # same content: nothing written, nothing validated
    assert len(calls) == 2


def test_failed_validation_restores_the_previous_file(tmp_path: Path) -> None:
    def failing(path: Path) -> Validation:
        assert path.read_text() == "new rules\n"  # validation sees the written file
        return Validation(False, "fake-nft", "syntax error line 3")

    out = tmp_path / "rules.nft"
    out.write_text("old rules\n", encoding="utf-8")
    with pytest.raises(ExportValidationError, match="syntax error line 3") as err:
        write_validated(out, "new rules\n", failing)
    assert err.value.restored
    assert out.read_text() == "old rules\n"
    fresh = tmp_path / "fresh.nft"
    with pytest.raises(ExportValidationError):
        write_validated(fresh, "new rules\n", failing)
    assert not fresh.exists()  # no previous file: the bad one is removed
    assert not list(tmp_path.glob("*.rempart-tmp"))


def test_ipv6_zones_and_partners_go_to_ip6_rules(hospital: Hospital, situation: Situation) -> None:
    data = hospital.model_dump()
    data["hospital"]["internal_ranges"] = ("10.0.0.0/8", "fd00::/8")
    data["zones"] = (
        {**data["zones"][0], "cidrs": ("10.1.0.0/16", "fd00:a::/64")},
        *data["zones"][1:],
    )
    data["partners"] = (
        {**data["partners"][0], "addresses": ("198.51.100.10/32", "2001:db8:10::/48")},
        *data["partners"][1:],
    )
    h = Hospital.model_validate(data)
    plan = _full(h, situation)
    rules = compile_plan(plan, h)
    v6 = rules.family(6)
    assert any(r.comment == "isolate bat-a out" for r in v6)
    assert any("2001:db8:10::/48" in r.dst for r in v6 if r.comment == "egress keep labo")
    assert render_plan(plan, h, "iptables").omitted_rules == len(v6)
    nft = render_plan(plan, h, "nftables").text
    assert "ip6 saddr { fd00:a::/64 } ip6 daddr != { fd00:a::/64 } drop" in nft
    if tool_usable("nftables"):
        assert NftablesExporter().validate_text(nft).ok
    ip6 = make_exporter("ip6tables")
    text = ip6.render(rules)
    assert ip6.parse(text) == v6
    if tool_usable("ip6tables"):
        result = ip6.validate_text(text)
        assert result.ok, result.message
        assert result.tool == "ip6tables-restore --test"


def test_a_checker_refused_for_privileges_falls_back_to_the_parser(
    hospital: Hospital, situation: Situation, tmp_path: Path
) -> None:
    fake = tmp_path / "nft"
    fake.write_text(
        "#!/bin/sh\necho 'netlink: Error: cache initialization failed: "
        "Operation not permitted' >&2\nexit 1\n"
    )
    fake.chmod(0o755)
    ex = NftablesExporter()
    good = tmp_path / "good.nft"
    good.write_text(ex.render(compile_plan(_full(hospital, situation), hospital)))
    result = ex.tool_check([str(fake), "-c", "-f", str(good)], "nft -c", good)
    assert result == Validation(True, "parser (nft -c: needs root)", "")
    bad = tmp_path / "bad.nft"
    bad.write_text("flush ruleset\n")
    assert not ex.tool_check([str(fake)], "nft -c", bad).ok
    other = tmp_path / "fails"
    other.write_text("#!/bin/sh\necho 'syntax error' >&2\nexit 1\n")
    other.chmod(0o755)
    assert ex.tool_check([str(other)], "nft -c", good) == Validation(
        False, "nft -c", "syntax error"
    )
