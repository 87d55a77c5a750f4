"""The vital-flow review on observed flows, and the Cahors case end to end."""

from __future__ import annotations

import ipaddress
from datetime import timedelta

import pyarrow as pa
import pytest

from rempart.contain import (
    AllowedEndpoint,
    CutEgressExcept,
    Situation,
    candidate_plans,
    care_impact,
    review_egress,
)
from rempart.contain.export import Rule, compile_plan, render_plan
from rempart.contain.export.nftables import NftablesExporter
from rempart.model import Hospital
from rempart.schema import NETWORK_FLOW
from rempart.store import Store

from .conftest import SMALL, T0
from .tools import tool_usable

CAHORS: dict[str, object] = {
    **SMALL,
    "hospital": {"name": "CH Cahors (test)", "internal_ranges": ["10.0.0.0/8"]},
    "assets": [
        *SMALL["assets"],  # type: ignore[misc]
        {"hostname": "msg01", "ip": "10.10.0.50", "zone": "dc", "kind": "server"},
        {"hostname": "lab-gw", "ip": "10.10.0.60", "zone": "dc", "kind": "server"},
    ],
}

# (day, src, dst, dst_port, repeats)
FLOWS = [
    *[(d, "10.1.0.11", "198.51.100.10", 443, 5) for d in range(3)],  # lab: kept
    *[(d, "10.10.0.30", "198.51.100.20", 443, 2) for d in range(3)],  # treasury: kept
    *[(d, "10.10.0.30", "203.0.113.5", 443, 1) for d in range(2)],  # HDS: kept
    *[(d, "10.10.0.50", "185.15.59.224", 443, 4) for d in range(3)],  # undeclared, daily
    (1, "10.2.0.11", "93.184.216.34", 443, 3),  # web browsing, one day
    (2, "10.10.0.60", "192.0.2.99", 2575, 1),  # HL7 to an outside address
    (0, "10.1.0.11", "198.51.100.10", 80, 1),  # lab, but not on its declared port
    *[(d, "10.1.0.11", "10.10.0.30", 443, 9) for d in range(3)],  # internal: never cut
    (0, "2001:db8::1", "2001:db8:1::2", 443, 2),  # IPv6: counted, not judged
]


def _flow_table() -> pa.Table:
    rows: dict[str, list[object]] = {n: [] for n in NETWORK_FLOW.names}
    line = 0
    for day, src, dst, port, repeats in FLOWS:
        for k in range(repeats):
            line += 1
            row = {n: None for n in NETWORK_FLOW.names}
            row.update(
                time=T0 + timedelta(days=day, minutes=k),
                src_ip=src,
                dst_ip=dst,
                dst_port=port,
                protocol="tcp",
                bytes_out=1000,
                bytes_in=5000,
                event_uid=f"test:{line}",
                source_file="test",
                source_line=line,
                source_format="test",
            )
            for n in NETWORK_FLOW.names:
                rows[n].append(row[n])
    return pa.table(rows, schema=NETWORK_FLOW)


@pytest.fixture
def cahors() -> Hospital:
    return Hospital.model_validate(CAHORS)


@pytest.fixture
def store() -> Store:
    s = Store.memory()
    s.append("network_flow", _flow_table())
    return s


def _egress(h: Hospital) -> CutEgressExcept:
    plan = next(p for p in candidate_plans(h, Situation(observed_at=T0)) if p.id == "cut-egress")
    (action,) = plan.actions
    assert isinstance(action, CutEgressExcept)
    return action


def test_review_lists_stopped_flows_and_flags_the_vital_looking(
    cahors: Hospital, store: Store
) -> None:
    review = review_egress(store, cahors, _egress(cahors))
    stopped = {(f.dst_ip, f.dst_port): f for f in review.stopped}
    assert set(stopped) == {
        ("185.15.59.224", 443),
        ("93.184.216.34", 443),
        ("192.0.2.99", 2575),
        ("198.51.100.10", 80),
    }
    daily = stopped[("185.15.59.224", 443)]
    assert (daily.flows, daily.days, daily.sources) == (12, 3, 1)
    assert daily.server_sources == ("msg01",)
    assert daily.looks_vital
    assert daily.why == ("days", "server")
    assert daily.bytes_total == 12 * 6000
    assert stopped[("192.0.2.99", 2575)].looks_vital  # HL7, even seen once
    assert not stopped[("93.184.216.34", 443)].looks_vital  # one day of browsing
    assert {f.dst_ip for f in review.to_review} == {"185.15.59.224", "192.0.2.99"}
    assert review.stopped[0].looks_vital  # the ones to review come first
    kept = {k.partner: (k.flows, k.days) for k in review.kept}
    assert kept == {"labo": (15, 3), "tresor": (6, 3), "hds": (2, 2)}
    assert review.observed_days == 3
    assert review.ipv6_not_judged == 2
    assert review.flows_considered == sum(f[4] for f in FLOWS)


def test_reviewed_endpoint_added_to_the_allowlist_is_no_longer_stopped(
    cahors: Hospital, store: Store
) -> None:
    cut = _egress(cahors)
    again = CutEgressExcept(
        allow_partners=cut.allow_partners,
        allow_extra=(AllowedEndpoint(cidr="185.15.59.224", ports=(443,), note="messagerie"),),
        reason="reviewed",
    )
    review = review_egress(store, cahors, again)
    assert "185.15.59.224" not in {f.dst_ip for f in review.stopped}


def test_review_since_restricts_the_window(cahors: Hospital, store: Store) -> None:
    review = review_egress(store, cahors, _egress(cahors), since=T0 + timedelta(days=2))
    assert review.observed_days == 1
    assert "93.184.216.34" not in {f.dst_ip for f in review.stopped}


def _first_match(rules: tuple[Rule, ...], src: str, dst: str, port: int) -> str:
    """What the forward chain does with a new TCP connection (first matching rule)."""

    def inside(ip: str, cidrs: tuple[str, ...]) -> bool:
        return any(ipaddress.ip_address(ip) in ipaddress.ip_network(c) for c in cidrs)

    for r in rules:
        if r.established or r.family != 4:
            continue
        if r.src and inside(src, r.src) == r.src_negate:
            continue
        if r.dst and inside(dst, r.dst) == r.dst_negate:
            continue
        if r.proto not in (None, "tcp") or (r.dports and port not in r.dports):
            continue
        return r.verdict.value
    return "accept"  # chain policy


def test_cahors_egress_plan_keeps_labs_treasury_and_hds_and_cuts_the_rest(
    cahors: Hospital, store: Store
) -> None:
    plan = next(
        p for p in candidate_plans(cahors, Situation(observed_at=T0)) if p.id == "cut-egress"
    )
    assert care_impact(plan, cahors).items == ()  # nothing care needs is cut
    rules = compile_plan(plan, cahors).rules
    pc, server = "10.1.0.11", "10.10.0.30"
    assert _first_match(rules, pc, "198.51.100.10", 443) == "accept"  # biology lab
    assert _first_match(rules, server, "198.51.100.20", 443) == "accept"  # treasury
    assert _first_match(rules, server, "203.0.113.9", 443) == "accept"  # HDS /28
    assert _first_match(rules, pc, "192.0.2.50", 443) == "drop"  # vendor maintenance
    assert _first_match(rules, pc, "93.184.216.34", 443) == "drop"  # the internet
    assert _first_match(rules, pc, "198.51.100.10", 80) == "drop"  # lab, undeclared port
    assert _first_match(rules, pc, server, 445) == "accept"  # internal traffic untouched
    stopped = review_egress(store, cahors, plan.actions[0]).stopped  # type: ignore[arg-type]
    assert len(stopped) == 4
    text = render_plan(plan, cahors, "nftables").text
    assert "egress keep labo" in text
    assert "egress keep hds" in text
    assert "vendeur" not in text
    if tool_usable("nftables"):
        assert NftablesExporter().validate_text(text).ok
