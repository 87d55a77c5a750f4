"""Inbound exposure and C&C detectors: a positive and a negative case each, on crafted flows."""

from __future__ import annotations

from tests.detect.network.flowdata import Flows

from rempart.detect import DetectContext
from rempart.detect.network.c2 import C2BeaconDetector, beacon_score
from rempart.detect.network.inbound import ExposedServiceDetector, InboundProbeDetector
from rempart.detect.network.nets import NetParams
from rempart.detect.network.outbound import OutboundAbuseDetector
from rempart.model import Asset, Door, Hospital, HospitalInfo, Zone

DEVICE = "147.32.81.167"  # a monitored device numbered in public space


def probes(f: Flows, target: str, sources: int, start: float = 30) -> None:
    """`sources` internet hosts sending one or two unanswered SYNs each (telnet, SMB)."""
    for i in range(sources):
        src = f"203.0.{113 + i // 200}.{i % 200 + 1}"
        f.add(start + i, src, target, 23, ok=False)
        if i % 2:
            f.add(start + i + 0.5, src, target, 445, ok=False)


def model() -> Hospital:
    return Hospital(
        hospital=HospitalInfo(name="CH Test"),
        zones=(
            Zone(id="b1", name="Bâtiment 1", building="B1", cidrs=("10.1.0.0/16",)),
            Zone(id="dmz", name="DMZ", kind="dmz", cidrs=("10.8.0.0/24",)),
        ),
        assets=(Asset(hostname="vpn01", ip="10.1.0.200", kind="server", zone="b1"),),
        doors=(Door(id="vpn", name="VPN", kind="vpn", asset="vpn01", ports=(443,)),),
    )


def test_inbound_probes_make_one_finding_per_host_and_day() -> None:
    f = Flows()
    f.background(2)
    probes(f, DEVICE, 40)
    f.add(90, "198.51.100.77", DEVICE, 3389)  # answered RDP: a sensitive service exposed
    for i in range(3):  # pings (Zeek: ICMP type 8 in the originator port, state OTH)
        f.add(95 + i, f"192.0.2.{i + 1}", DEVICE, 0, proto="icmp", ok=False)
        f.rows[-1].update(src_port=8, status="unknown", conn_state="OTH", packets_in=0)
    f.add(99, "192.0.2.9", DEVICE, 0, proto="icmp", ok=False)  # an echo reply: no probe
    f.rows[-1].update(src_port=0, status="unknown", conn_state="OTH")
    found = InboundProbeDetector().run(DetectContext(f.store(), None, ("147.32.81.0/24",)))
    assert len(found) == 1
    x = found[0]
    assert x.entity == DEVICE and x.severity == "high" and x.detector == "inbound_probe"
    assert len(x.related) == 44 and x.related[0] == "198.51.100.77"  # answered first
    assert "192.0.2.9" not in x.related
    assert x.evidence_count == 64 and len(x.evidence) == 50
    assert "44 sources" in x.reason and "3389/tcp" in x.reason and "23/tcp" in x.reason
    assert "sur 4 port(s)" in x.reason and "ICMP" in x.reason
    assert "63 sans réponse" in x.reason and "1 abouties" in x.reason
    assert x.attack == ("T1595", "T1133")
    assert not InboundProbeDetector.INCIDENT
    # capped list, every source still counted
    capped = InboundProbeDetector(NetParams(inbound_max_related=5))
    y = capped.run(DetectContext(f.store(), None, ("147.32.81.0/24",)))[0]
    assert len(y.related) == 5 and "44 sources (les 5 premières listées)" in y.reason


def test_internal_ranges_add_to_the_model() -> None:
    f = Flows()
    probes(f, "10.1.0.30", 4)
    probes(f, DEVICE, 4)
    ctx = DetectContext(f.store(), model(), ("147.32.81.167/32",))
    assert {x.entity for x in InboundProbeDetector().run(ctx)} == {"10.1.0.30", DEVICE}


def test_inbound_needs_configured_ranges_and_spares_solicited_and_served() -> None:
    f = Flows()
    f.background(2)
    probes(f, DEVICE, 40)
    # without --internal the device is external: external-to-external, nothing to judge
    assert InboundProbeDetector().run(DetectContext(f.store())) == []
    g = Flows()
    g.background(2)
    # a web server answering the internet on 443 (learnt), and a client's active-FTP data
    # connections (the client called the server first)
    for i in range(30):
        g.add(10 + i, f"198.51.100.{i + 1}", "10.1.0.80", 443)
        g.add(10 + i, "10.1.0.9", "192.0.2.21", 21)
        g.add(10.2 + i, "192.0.2.21", "10.1.0.9", 40000 + i)
    # a declared door (VPN on 443) and a DMZ host probed on their service ports
    for i in range(30):
        g.add(50 + i, f"198.51.100.{i + 1}", "10.1.0.200", 443, ok=False)
        g.add(50 + i, f"198.51.100.{i + 1}", "10.8.0.5", 25, ok=False)
    assert InboundProbeDetector().run(DetectContext(g.store(), model())) == []


def test_exposed_service_attacked_by_a_prober() -> None:
    f = Flows()
    f.background(2)
    probes(f, "10.1.0.30", 5)
    f.add(20, "203.0.113.1", "10.1.0.31", 3389, ok=False)  # probes elsewhere first...
    for k in range(3):  # ...then gets RDP sessions on 10.1.0.30
        f.add(40 + k, "203.0.113.1", "10.1.0.30", 3389)
    found = ExposedServiceDetector().run(DetectContext(f.store()))
    assert [(x.entity, x.severity, x.related) for x in found] == [
        ("10.1.0.30", "high", ("203.0.113.1",))
    ]
    assert "3 session(s)" in found[0].reason and found[0].attack == ("T1190", "T1133")
    # the same sessions from a source that never failed anywhere: no attack finding
    g = Flows()
    g.background(2)
    for k in range(3):
        g.add(40 + k, "203.0.113.1", "10.1.0.30", 3389)
    assert ExposedServiceDetector().run(DetectContext(g.store())) == []


def beacon(
    f: Flows,
    src: str,
    dst: str,
    port: int,
    every: float,
    n: int,
    *,
    ok: bool = True,
    jitter: bool = True,
) -> None:
    """`n` connections every `every` minutes, within ±2 % of the period when `jitter`."""
    for k in range(n):
        shift = (k * 7 % 5 - 2) * 0.01 * every if jitter else 0.0
        f.add(5 + k * every + shift, src, dst, port, ok=ok)


def test_dead_cc_and_beacon_are_found() -> None:
    f = Flows()
    f.background(4)
    beacon(f, "10.1.0.7", "41.108.179.197", 1177, every=1.0, n=60, ok=False)  # dead C&C
    beacon(f, "10.1.0.8", "45.33.2.79", 8443, every=5.0, n=40)  # beacon every 5 minutes
    found = {x.entity: x for x in C2BeaconDetector().run(DetectContext(f.store()))}
    assert set(found) == {"10.1.0.7", "10.1.0.8"}
    dead, periodic = found["10.1.0.7"], found["10.1.0.8"]
    assert dead.title == "dead C&C" and dead.evidence_count == 60
    assert dead.related == ("41.108.179.197", "41.108.179.197:1177/tcp")
    assert "60 tentatives échouées sur 60" in dead.reason
    assert periodic.title == "beaconing" and periodic.score is not None
    assert periodic.score >= 0.9 and periodic.severity == "high"
    assert periodic.attack == ("T1071", "T1571") and "intervalle médian 5 min" in periodic.reason


def test_c2_spares_shared_destinations_irregular_traffic_and_short_retries() -> None:
    f = Flows()
    f.background(4)  # five hosts polling one web server every 10 minutes: infrastructure
    for k in range(40):  # irregular: bursts and pauses
        f.add(5 + (k // 8) * 40 + (k % 8) * 0.3 * (k % 3 + 1), "10.1.0.9", "45.33.2.80", 8443)
    beacon(f, "10.1.0.7", "41.108.179.197", 1177, every=0.2, n=60, ok=False)  # 12 minutes
    assert C2BeaconDetector().run(DetectContext(f.store())) == []


def test_beacon_score_extremes() -> None:
    regular = dict(d1=300, d2=300, d3=300, d_mad=0, b1=100, b2=100, b3=100, b_mad=0, n=25)
    assert beacon_score({**regular, "span": 7200.0}) == 1.0
    noisy = dict(d1=5, d2=40, d3=900, d_mad=38, b1=80, b2=900, b3=5000, b_mad=800, n=25)
    assert (beacon_score({**noisy, "span": 30000.0}) or 0) < 0.5
    assert beacon_score({**regular, "d1": None, "span": 1.0}) is None


def spam_and_flood(f: Flows, spam_servers: int = 40, flood: int = 1200) -> None:
    for i in range(spam_servers):  # a bot delivering straight to recipients' servers
        f.add(10 + i * 0.5, "10.1.0.40", f"198.18.{i // 200}.{i % 200 + 1}", 25)
    for k in range(flood):  # 1,200 connections in two minutes to one address
        f.add(60 + k / 600, "10.1.0.41", "192.0.2.200", 80, ok=k % 3 == 0)


def test_outbound_spam_and_flood_are_found() -> None:
    f = Flows()
    f.background(2)
    spam_and_flood(f)
    found = {x.title: x for x in OutboundAbuseDetector().run(DetectContext(f.store()))}
    assert set(found) == {"spam", "flood"}
    spam, flood = found["spam"], found["flood"]
    assert spam.entity == "10.1.0.40" and "40 serveurs" in spam.reason
    assert spam.attack == ("T1496",) and spam.evidence_count == 40
    assert flood.entity == "10.1.0.41" and flood.related == ("192.0.2.200",)
    assert flood.evidence_count == 1200 and flood.attack == ("T1498",)
    assert "1200 connexions" in flood.reason


def test_outbound_spares_mail_servers_and_busy_clients() -> None:
    f = Flows()
    f.background(2)
    for i in range(40):  # the declared mail relay delivers to many servers: its job
        f.add(10 + i * 0.5, "10.1.0.25", f"198.18.0.{i + 1}", 25)
    for k in range(1200):  # a busy client: 1,200 connections spread over 2 hours
        f.add(k * 0.1, "10.1.0.41", "192.0.2.200", 443)
    relay = Hospital(
        hospital=HospitalInfo(name="CH Test"),
        assets=(Asset(hostname="relay", ip="10.1.0.25", kind="server", role="mail_relay"),),
    )
    assert OutboundAbuseDetector().run(DetectContext(f.store(), relay)) == []
