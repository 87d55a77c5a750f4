"""Properties: no plan cuts a vital dependency without confirmation; exports round-trip.

The first property is checked against the compiled firewall rules themselves, not against
the care-impact code alone: whenever the rules would drop a new connection from a service's
zone to one of its vital dependencies, the plan must be refused unless that cut was
confirmed.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rempart.contain import (
    LATERAL_PROTOCOLS,
    Action,
    BlockIndicators,
    BlockProtocolsBetweenZones,
    Confirmation,
    CutEgressExcept,
    HostRef,
    IsolateZones,
    Plan,
    QuarantineHosts,
    Situation,
    candidate_plans,
    care_impact,
    check_plan,
    load_situation,
)
from rempart.contain.export import EXPORTERS, Rule, compile_plan, make_exporter, render_plan
from rempart.core.errors import ConfigError, VitalCutRefused
from rempart.model import DependencyKind, Hospital

from .conftest import SMALL, T0
from .tools import REASON, tool_usable

H = Hospital.model_validate(SMALL)
ZONES = [z.id for z in H.zones]
ASSETS = [a.hostname for a in H.assets]
PARTNERS = [p.id for p in H.partners]
IPS = [a.ip for a in H.assets if a.ip] + ["198.51.100.10", "203.0.113.7", "10.1.0.99"]
TARGETS = [s.id for s in H.services] + ASSETS + PARTNERS + ["bat-a", "urgences:labo"]


def _sub(items: list[str], min_size: int = 0) -> st.SearchStrategy[tuple[str, ...]]:
    return st.lists(st.sampled_from(items), min_size=min_size, max_size=4, unique=True).map(tuple)


actions: st.SearchStrategy[Action] = st.one_of(
    st.builds(
        IsolateZones,
        zones=_sub(ZONES, 1),
        keep_assets=_sub(ASSETS),
        keep_partners=_sub(PARTNERS),
        keep_zones=_sub(ZONES),
        reason=st.just("r"),
    ),
    st.builds(
        BlockProtocolsBetweenZones,
        protocols=_sub(list(LATERAL_PROTOCOLS), 1),
        zones=_sub(ZONES),
        reason=st.just("r"),
    ),
    st.builds(
        CutEgressExcept,
        allow_partners=_sub(PARTNERS),
        from_zones=_sub(ZONES),
        reason=st.just("r"),
    ),
    st.builds(
        QuarantineHosts,
        hosts=st.lists(st.sampled_from(IPS), min_size=1, max_size=3, unique=True).map(
            lambda ips: tuple(HostRef(ip=ip) for ip in ips)
        ),
        reason=st.just("r"),
    ),
    st.builds(
        BlockIndicators,
        ips=st.lists(st.sampled_from(IPS), min_size=1, max_size=2, unique=True).map(tuple),
        reason=st.just("r"),
    ),
)
confirmations = st.lists(
    st.sampled_from(TARGETS).map(lambda t: Confirmation(target=t, reason="ok", by="x", at=T0)),
    max_size=3,
)
plans = st.builds(
    lambda acts, confs: Plan(id="p", title="t", actions=tuple(acts), confirmations=tuple(confs)),
    st.lists(actions, min_size=1, max_size=4),
    confirmations,
)


def _drops(rules: tuple[Rule, ...], src: str, dst: str, port: int) -> bool:
    def inside(ip: str, cidrs: tuple[str, ...]) -> bool:
        return any(ipaddress.ip_address(ip) in ipaddress.ip_network(c) for c in cidrs)

    for r in rules:
        if r.established:
            continue
        if r.src and inside(src, r.src) == r.src_negate:
            continue
        if r.dst and inside(dst, r.dst) == r.dst_negate:
            continue
        if r.proto not in (None, "tcp") or (r.dports and port not in r.dports):
            continue
        return r.verdict.value == "drop"
    return False


def _host_in(cidr: str) -> str:
    net = ipaddress.ip_network(cidr)
    return str(net.network_address + (5 if net.num_addresses > 8 else 0))


def _vital_paths(hospital: Hospital) -> list[tuple[str, str, str, str, int]]:
    """(service, dependency ref, src address, dst address, port) for vital dependencies."""
    assets = {a.hostname: a for a in hospital.assets}
    out: list[tuple[str, str, str, str, int]] = []
    for s in hospital.services:
        for z in s.zones:
            src = _host_in(hospital.zone(z).cidrs[0])
            for dep in s.depends_on:
                if not s.dependency_is_vital(dep):
                    continue
                if dep.kind is DependencyKind.ASSET and assets[dep.ref].ip:
                    out.append((s.id, dep.ref, src, str(assets[dep.ref].ip), 443))
                elif dep.kind is DependencyKind.PARTNER:
                    p = hospital.partner(dep.ref)
                    port = p.ports[0] if p.ports else 443
                    out.append((s.id, dep.ref, src, _host_in(p.addresses[0]), port))
                elif dep.kind is DependencyKind.ZONE:
                    out.append((s.id, dep.ref, src, _host_in(hospital.zone(dep.ref).cidrs[0]), 443))
    return out


VITAL_PATHS = _vital_paths(H)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=plans)
def test_no_plan_cuts_a_vital_dependency_without_confirmation(plan: Plan) -> None:
    rules = compile_plan(plan, H).rules
    impact = care_impact(plan, H)
    refused = bool(impact.unconfirmed(plan))
    try:
        check_plan(plan, H)
        accepted = True
    except VitalCutRefused:
        accepted = False
    assert accepted is not refused
    for service, ref, src, dst, port in VITAL_PATHS:
        if not _drops(rules, src, dst, port):
            continue
        # the firewall would cut this vital dependency: care impact must say so...
        cut = {(i.service, i.dependency_ref) for i in impact.vital_cuts}
        assert (service, ref) in cut, (service, ref)
        # ...and an accepted plan must carry a confirmation that covers it
        if accepted:
            names = {c.target for c in plan.confirmations}
            assert names & {service, ref, f"{service}:{ref}"}, (service, ref)
    if not accepted:
        with pytest.raises(VitalCutRefused):
            render_plan(plan, H, "nftables")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=plans)
def test_every_export_round_trips_through_its_parser(plan: Plan) -> None:
    rules = compile_plan(plan, H)
    for name in EXPORTERS:
        exporter = make_exporter(name, plan)
        family = getattr(exporter, "FAMILY", None)
        expected = rules.rules if family is None else rules.family(family)
        assert exporter.parse(exporter.render(rules)) == expected, name
        assert exporter.parse(exporter.render_rollback(rules)) == (), name


TOOLS = [n for n in ("nftables", "iptables", "ip6tables") if tool_usable(n)]


@pytest.mark.skipif(not TOOLS, reason=REASON)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=plans)
def test_every_export_passes_the_real_validator(plan: Plan) -> None:
    rules = compile_plan(plan, H)
    for name in TOOLS:
        exporter = make_exporter(name, plan)
        for text in (exporter.render(rules), exporter.render_rollback(rules)):
            result = exporter.validate_text(text)
            assert result.ok, (name, result.message, text)
            assert result.tool != "parser"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
situation_like = st.fixed_dictionaries(
    {"observed_at": st.sampled_from(["2019-03-11T09:40:00Z", "hier", 12])},
    optional={
        "infected": st.lists(
            st.fixed_dictionaries({"ip": st.sampled_from(["10.1.0.1", "x", "::1"])})
        ),
        "senders": st.lists(st.text(max_size=10)),
        "indicators": json_values,
        "bogus": json_values,
    },
)


def _load_or_error(path: Path) -> Situation | ConfigError:
    try:
        return load_situation(path)
    except ConfigError as exc:
        return exc


@settings(max_examples=80, deadline=None)
@given(doc=st.one_of(json_values, situation_like), raw=st.binary(max_size=40))
def test_situation_loading_fails_only_with_a_located_config_error(
    doc: object, raw: bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("sit")
    for i, payload in enumerate((json.dumps(doc).encode(), raw)):
        path = folder / f"s{i}.json"
        path.write_bytes(payload)
        result = _load_or_error(path)  # anything else raised fails the test
        if isinstance(result, ConfigError):
            assert str(path) in str(result)
        else:
            candidate_plans(H, result)  # any valid situation gives plans without error
