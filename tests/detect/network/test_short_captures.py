"""Bot behaviour judged on minutes (issue 22, short captures): one URI shape to many web
servers, UDP fan-out to high ports, bursts of failing domains, a beacon seen for minutes,
and a UDP sweep flagged as a scan within a handful of probes."""

from __future__ import annotations

from datetime import timedelta

import pyarrow as pa
import pytest
from tests.detect.network.flowdata import T0, Flows
from tests.detect.network.test_border_detectors import beacon

from rempart.detect import DetectContext
from rempart.detect.network.c2 import C2BeaconDetector
from rempart.detect.network.dga import DnsFailuresDetector, label_entropy, looks_generated
from rempart.detect.network.fanout import HttpFanoutDetector, UdpFanoutDetector, shape_sql
from rempart.detect.network.scan import NetworkScanDetector
from rempart.incidents.build import build_incidents
from rempart.model import Hospital
from rempart.schema import EVENT_CLASSES
from rempart.store import Store

BOT = "10.1.0.66"


class Events:
    """`network_event` rows (Suricata-like http and dns records) and dns.log rows."""

    def __init__(self) -> None:
        self.events: list[dict[str, object]] = []
        self.dns: list[dict[str, object]] = []

    def http(self, minute: float, src: str, dst: str, host: str, uri: str) -> None:
        n = len(self.events) + 1
        self.events.append({
            "time": T0 + timedelta(minutes=minute), "src_ip": src, "src_port": 50000 + n,
            "dst_ip": dst, "dst_port": 80, "protocol": "tcp", "app_proto": "http",
            "kind": "http", "name": host, "detail": f"GET {uri}", "status": "200",
            "attack": [], "event_uid": f"e:{n}", "source_file": "synthetic",
            "source_line": n, "source_format": "test",
        })  # fmt: skip

    def answer(self, minute: float, client: str, name: str, rcode: str,
               server: str = "10.9.0.53", *, suricata: bool = False) -> None:  # fmt: skip
        """A failed lookup: a Suricata answer event (logged server first) or a dns.log row."""
        when = T0 + timedelta(minutes=minute)
        if suricata:
            n = len(self.events) + 1
            self.events.append({
                "time": when, "src_ip": server, "src_port": 53, "dst_ip": client,
                "dst_port": 53000 + n, "protocol": "udp", "app_proto": "dns", "kind": "dns",
                "name": name, "detail": "A", "status": rcode, "attack": [],
                "event_uid": f"e:{n}", "source_file": "synthetic", "source_line": n,
                "source_format": "test",
            })  # fmt: skip
            return
        n = len(self.dns) + 1
        self.dns.append({
            "time": when, "src_ip": client, "src_port": 53000 + n, "dst_ip": server,
            "dst_port": 53, "protocol": "udp", "service": "dns", "record_kind": "dns",
            "dns_query": name, "dns_rcode": rcode, "event_uid": f"d:{n}",
            "source_file": "synthetic", "source_line": n, "source_format": "test",
        })  # fmt: skip

    def store(self, flows: Flows | None = None) -> Store:
        store = flows.store() if flows else Store.memory()
        if self.events:
            store.append(
                "network_event",
                pa.Table.from_pylist(self.events, schema=EVENT_CLASSES["network_event"]),
            )
        if self.dns:
            store.append(
                "network_flow", pa.Table.from_pylist(self.dns, schema=EVENT_CLASSES["network_flow"])
            )
        return store


@pytest.mark.parametrize(
    ("uri", "shape"),
    [
        ("/gate.php?id=1234&bot=a8F3k2", "/gate.php?id=&bot="),
        ("/images/a8f3k2.jpg", "/images/X.jpg"),
        ("/images/9876.jpg", "/images/N.jpg"),
        ("/c/MFEwTzBNMEswSTAJBgUrDgMCGgUABBQ", "/c/X"),
        ("/login.php", "/login.php"),
        ("http://evil.example/v2/beacon", "/X/beacon"),
    ],
)
def test_uri_shapes(uri: str, shape: str) -> None:
    with Store.memory() as store:
        clean = "regexp_replace($u, '^[A-Za-z][A-Za-z0-9+.-]*://[^/]*', '')"
        got = store.engine().query(f"SELECT {shape_sql(clean)} AS s", {"u": uri})
    assert got.column("s")[0].as_py() == shape


def test_one_uri_shape_to_many_servers_within_minutes_is_a_bot() -> None:
    ev = Events()
    for i in range(12):  # a bot walking its C&C list: one request each, a few seconds apart
        ev.http(i * 0.1, BOT, f"198.51.100.{i + 1}", f"c{i}x{i * 7}.example", f"/gate.php?id={i}")
    assets = ("/", "/favicon.ico", "/css/style.css", "/js/jquery.min.js?ver=3.6.1",
              "/img/logo.png", "/p/42/index.html", "/wp-json/")  # fmt: skip
    for i in range(12):  # a person browsing twelve sites: pages that share asset paths
        for k, path in enumerate(assets):
            ev.http(i + k / 100, "10.1.0.7", f"203.0.113.{i + 1}", f"site{i}.example", path)
    for i in range(12):  # one CDN name on many addresses is one server
        ev.http(i * 0.1, "10.1.0.8", f"192.0.2.{i + 1}", f"n{i}.cdn.example", "/up/patch.cab")
    found = HttpFanoutDetector().run(DetectContext(ev.store()))
    assert [f.entity for f in found] == [BOT]
    bot = found[0]
    assert bot.params["shape"] == "/gate.php?id=" and bot.params["servers"] == 12
    assert bot.attack == ("T1071.001",) and bot.severity == "high"
    assert bot.detected_at == T0 + timedelta(minutes=0.9)  # at the tenth server
    assert len(bot.evidence) == 12 and "gate.php" in bot.render("en")[1]


def test_a_bot_behind_the_proxy_is_seen() -> None:
    ev = Events()
    for i in range(12):  # absolute-form requests to the hospital's proxy, no Host logged
        ev.http(i * 0.1, BOT, "10.9.0.8", "", f"http://c{i}.example:8080/images/a{i}b.jpg")
    found = HttpFanoutDetector().run(DetectContext(ev.store()))
    assert [(f.entity, f.params["shape"], f.params["servers"]) for f in found] == [
        (BOT, "/images/X.jpg", 12)
    ]


def test_the_same_shape_spread_over_hours_is_no_burst() -> None:
    ev = Events()
    for i in range(12):  # one server every 20 minutes: never ten within ten minutes
        ev.http(i * 20, BOT, f"198.51.100.{i + 1}", f"c{i}.example", "/gate.php?id=1")
    assert HttpFanoutDetector().run(DetectContext(ev.store())) == []


def p2p(f: Flows, src: str, peers: int, port: int = 16471, every: float = 0.1) -> None:
    for i in range(peers):  # UDP datagrams to a peer list, most peers silent
        f.add(30 + i * every, src, f"203.0.{113 + i // 200}.{i % 200 + 1}", port + i % 3,
              proto="udp", ok=i % 4 == 0)  # fmt: skip


def test_udp_fanout_to_high_ports_is_a_p2p_bot() -> None:
    f = Flows()
    f.background(2)
    p2p(f, BOT, 30)
    for i in range(40):  # DNS, NTP, QUIC, STUN and mDNS to many addresses: ordinary
        for port in (53, 123, 443, 3478, 5353):
            f.add(30 + i * 0.1, "10.1.0.7", f"198.51.100.{i + 1}", port, proto="udp")
    p2p(f, "10.1.0.8", 15)  # a conference call's few peers
    p2p(f, "10.1.0.9", 30, every=2.0)  # thirty peers over an hour: never twenty in ten min
    found = UdpFanoutDetector().run(DetectContext(f.store()))
    assert [x.entity for x in found] == [BOT]
    assert found[0].severity == "high" and found[0].params["peers"] == 30
    assert found[0].params["silent"] == 22 and found[0].attack == ("T1095", "T1571")
    assert found[0].evidence and found[0].detected_at == T0 + timedelta(minutes=31.9)


def test_udp_fanout_without_outcomes() -> None:
    """Suricata, NetFlow and pcap give a UDP flow no outcome: packets back tell."""
    f = Flows()
    f.background(2)
    p2p(f, BOT, 24)
    for row in f.rows[-24:]:
        answered = row["conn_state"] == "SF"
        row.update(status="unknown", conn_state="new", packets_out=1,
                   packets_in=1 if answered else 0, bytes_in=60 if answered else 0)  # fmt: skip
    found = UdpFanoutDetector().run(DetectContext(f.store()))
    assert [(x.entity, x.params["peers"], x.params["silent"]) for x in found] == [(BOT, 24, 18)]


def test_udp_fanout_spares_declared_relays() -> None:
    f = Flows()
    f.background(2)
    p2p(f, BOT, 30)
    model = Hospital.model_validate({
        "hospital": {"name": "CH"},
        "assets": [{"hostname": "voip", "ip": BOT, "kind": "server", "role": "gateway"}],
    })  # fmt: skip
    assert UdpFanoutDetector().run(DetectContext(f.store(), model)) == []


DGA = ["vocyzit", "qegyqaq", "purydyv", "lygymoj", "qekyqop", "qedyfyq", "gadyfuh",
       "qeqyxov", "gaqycos", "lyxywer", "gacyryw", "lyryvex"]  # fmt: skip


def test_a_burst_of_failing_domains_is_a_dga() -> None:
    ev = Events()
    for i, label in enumerate(DGA):  # Simda's names, NXDOMAIN within two minutes
        ev.answer(i * 0.1, BOT, f"{label}.com", "NXDOMAIN", suricata=i % 2 == 0)
    for i in range(30):  # a mail server's blocklist lookups: one domain
        ev.answer(i * 0.1, "10.1.0.7", f"{i}.2.0.192.zen.spamhaus.org", "NXDOMAIN")
    for i in range(12):  # single labels, local names, the hospital's own domain
        ev.answer(i * 0.1, "10.1.0.8", f"wpad{i}", "NXDOMAIN")
        ev.answer(i * 0.1, "10.1.0.8", f"pc{i}.local", "NXDOMAIN")
        ev.answer(i * 0.1, "10.1.0.8", f"www.site{i}.com.chu-test.fr", "NXDOMAIN")
    for i in range(12):  # typos over a morning
        ev.answer(i * 15, "10.1.0.9", f"gogle{i}.com", "NXDOMAIN")
    model = Hospital.model_validate({"hospital": {"name": "CH", "domains": ["chu-test.fr"]}})
    found = DnsFailuresDetector().run(DetectContext(ev.store(), model))
    assert [x.entity for x in found] == [BOT]
    dga = found[0]
    assert dga.params["domains"] == 12 and dga.attack == ("T1568.002",)
    assert dga.evidence_count == 12 and len(dga.evidence) == 12
    assert dga.detected_at == T0 + timedelta(minutes=0.9)


def test_servfail_of_a_whole_resolver_and_a_forwarder_are_not_a_dga() -> None:
    ev = Events()
    for c in range(3):  # the resolver's upstream is down: everybody gets SERVFAIL
        for i in range(12):
            ev.answer(i * 0.1, f"10.1.0.{c + 1}", f"site{i}.com", "SERVFAIL")
    for i in range(12):  # an internal forwarder carries a client's failures upstream
        ev.answer(i * 0.1, "10.1.0.20", f"{DGA[i]}.net", "NXDOMAIN", server="10.9.0.53")
        ev.answer(i * 0.1, "10.9.0.53", f"{DGA[i]}.net", "NXDOMAIN", server="8.8.8.8")
    found = DnsFailuresDetector().run(DetectContext(ev.store()))
    assert [x.entity for x in found] == ["10.1.0.20"]


def test_label_look() -> None:
    assert label_entropy("aaaa") == 0.0 and round(label_entropy("abcd"), 2) == 2.0
    assert looks_generated(["x1k9qz7wpt3.com", "q8zk2m4vxr.net"])[0] >= 10
    assert looks_generated([]) == (0.0, 0.0)
    assert looks_generated(["www.x7k2q9zt.co.uk"])[0] == 8


def test_a_beacon_is_seen_within_minutes() -> None:
    f = Flows()
    f.background(1)
    beacon(f, BOT, "45.33.2.79", 8443, every=0.5, n=16)  # every 30 s, 8 minutes
    for k in range(16):  # a person's bursts and pauses to one site over 8 minutes
        f.add(5 + (k // 4) * 2 + (k % 4) * 0.05 * (k % 3 + 1), "10.1.0.9", "45.33.2.80", 8443)
    found = C2BeaconDetector().run(DetectContext(f.store()))
    assert [x.entity for x in found] == [BOT]
    assert found[0].params["n"] == 16 and (found[0].score or 0) >= 0.9


def test_a_udp_sweep_is_flagged_within_a_handful_of_probes() -> None:
    f = Flows()
    f.background(2)
    for i in range(30):  # UDP probes (SNMP) to 30 hosts, none answering
        f.add(60 + i * 0.01, BOT, f"10.1.2.{i + 1}", 161, proto="udp", ok=False)
        f.rows[-1].update(packets_out=1, packets_in=0, status="unknown")
    found = NetworkScanDetector().run(DetectContext(f.store()))
    assert [x.entity for x in found] == [BOT]
    assert found[0].detected_at is not None
    assert found[0].detected_at - (T0 + timedelta(minutes=60)) < timedelta(seconds=5)


def test_a_bot_host_is_a_host_compromise() -> None:
    ev = Events()
    for i in range(12):
        ev.http(i * 0.1, BOT, f"198.51.100.{i + 1}", f"c{i}.example", "/gate.php?id=1")
    store = ev.store()
    from rempart.detect import run_detectors

    run_detectors(DetectContext(store), ["http_fanout"])
    incidents = build_incidents(store, None, now=T0 + timedelta(days=1))
    assert [(i.kind, [h.ip for h in i.hosts]) for i in incidents] == [("host_compromise", [BOT])]
