"""`dns_failures` reports a machine once, not once per address (issue 22): a dual-stack PC
failing its generated names over IPv4 and IPv6 is one finding; two PCs are two."""

from __future__ import annotations

from tests.detect.network.test_short_captures import DGA, Events

from rempart.core.i18n import render
from rempart.detect import DetectContext
from rempart.detect.network.dga import DnsFailuresDetector, eui64_mac, mac_key
from rempart.model import Hospital

V4 = "10.1.0.66"
V6 = "fd00:1::5a1:9c2e:77b0:1d4"  # a privacy (random) interface id: nothing links it
MAC = "00:11:22:33:44:55"
V6_EUI = "fd00:1::211:22ff:fe33:4455"  # the interface id of MAC


def burst(ev: Events, client: str, start: float = 0.0, tld: str = "com") -> None:
    for i, label in enumerate(DGA):
        ev.answer(start + i * 0.1, client, f"{label}.{tld}", "NXDOMAIN")


def model(*assets: dict[str, str]) -> Hospital:
    return Hospital.model_validate({"hospital": {"name": "CH"}, "assets": list(assets)})


def test_eui64_and_mac_forms() -> None:
    assert eui64_mac(V6_EUI) == "001122334455"
    assert eui64_mac(V6) is None and eui64_mac(V4) is None and eui64_mac("x") is None
    assert mac_key("00-11-22-33-44-55") == mac_key(MAC) == "001122334455"
    assert mac_key("0011.2233") is None


def test_dual_stack_burst_is_one_finding_naming_both_addresses() -> None:
    ev = Events()
    burst(ev, V4)
    burst(ev, V6, start=0.02)  # the same lookups, over IPv6 too
    found = DnsFailuresDetector().run(DetectContext(ev.store()))
    assert [f.entity for f in found] == [V4]
    f = found[0]
    assert V6 in f.related and f.evidence_count == 24
    assert V6 in str(render({"key": f.reason_key, "params": f.params}, "en"))


def test_two_ipv4_machines_with_the_same_dga_stay_two() -> None:
    ev = Events()
    burst(ev, V4)
    burst(ev, "10.1.0.67", start=0.02)
    found = DnsFailuresDetector().run(DetectContext(ev.store()))
    assert [f.entity for f in found] == [V4, "10.1.0.67"]


def test_one_list_spread_over_both_transports_is_one_finding() -> None:
    """Other names over IPv6, starting within the minute (Simda in CTU-355)."""
    ev = Events()
    burst(ev, V4)
    burst(ev, V6, start=0.5, tld="net")
    found = DnsFailuresDetector().run(DetectContext(ev.store()))
    assert [(f.entity, V6 in f.related) for f in found] == [(V4, True)]


def test_ipv6_burst_at_another_time_is_another_finding() -> None:
    ev = Events()
    burst(ev, V4)
    burst(ev, V6, start=180.0)  # three hours later, the same names
    burst(ev, "fd00:1::99", start=5.0, tld="net")  # five minutes later, other names
    found = DnsFailuresDetector().run(DetectContext(ev.store()))
    assert sorted(f.entity for f in found) == sorted([V4, V6, "fd00:1::99"])


def test_the_model_links_or_separates_addresses() -> None:
    ev = Events()
    burst(ev, V4)
    burst(ev, V6_EUI, start=180.0)  # hours apart, but its interface id is the PC's MAC
    linked = model({"hostname": "pc66", "ip": V4, "mac": MAC})
    found = DnsFailuresDetector().run(DetectContext(ev.store(), linked))
    assert [(f.entity, V6_EUI in f.related) for f in found] == [(V4, True)]
    # two inventory lines of one hostname (its IPv4 and IPv6 addresses)
    ev2 = Events()
    burst(ev2, V4)
    burst(ev2, V6, start=180.0)
    twice = model({"hostname": "PC66.chu.lan", "ip": V4}, {"hostname": "pc66", "ip": V6})
    assert [f.entity for f in DnsFailuresDetector().run(DetectContext(ev2.store(), twice))] == [V4]
    # the model says two machines: same names at the same minutes stay two findings
    ev3 = Events()
    burst(ev3, V4)
    burst(ev3, V6, start=0.02)
    two = model({"hostname": "pc66", "ip": V4}, {"hostname": "pc67", "ip": V6})
    found3 = DnsFailuresDetector().run(DetectContext(ev3.store(), two))
    assert sorted(f.entity for f in found3) == sorted([V4, V6])
