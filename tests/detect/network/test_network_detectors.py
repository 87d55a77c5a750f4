"""Each network detector on a positive and a negative case, on data built here."""

from __future__ import annotations

from tests.detect.network.flowdata import Flows

from rempart.detect import DetectContext, run_detectors
from rempart.detect.network.lateral import LateralSpreadDetector
from rempart.detect.network.medical import MedicalExposureDetector, device_connections
from rempart.detect.network.nets import NetParams
from rempart.detect.network.policy import ZonePolicyDetector
from rempart.detect.network.scan import NetworkScanDetector, classify
from rempart.detect.network.spread import SpreadTreeDetector
from rempart.detect.network.tree import reconstruct_spread
from rempart.model import Asset, Hospital, HospitalInfo, Partner, Zone
from rempart.store.engine import Engine


def hospital() -> Hospital:
    return Hospital(
        hospital=HospitalInfo(name="CH Test"),
        zones=(
            Zone(id="b1", name="Bâtiment 1", building="B1", cidrs=("10.1.0.0/16",)),
            Zone(id="b2", name="Bâtiment 2", building="B2", cidrs=("10.2.0.0/16",)),
            Zone(id="srv", name="Serveurs", kind="server", cidrs=("10.9.0.0/16",)),
            Zone(id="med", name="Biomédical", kind="medical", cidrs=("10.5.0.0/16",)),
        ),
        assets=(
            Asset(hostname="fs1", ip="10.9.0.10", kind="server", role="file_server", zone="srv"),
            Asset(hostname="sccm", ip="10.9.0.20", kind="server", role="management", zone="srv"),
            Asset(hostname="pompe-12", ip="10.5.0.7", kind="medical_device", zone="med"),
        ),
        partners=(Partner(id="lab", name="Labo", addresses=("198.51.100.0/24",), ports=(443,)),),
    )


def worm(f: Flows, src: str, start: float, peers: list[str], port: int = 445) -> None:
    for k, p in enumerate(peers):
        f.add(start + k * 0.2, src, p, port)


def spread_flows() -> Flows:
    f = Flows()
    f.background(4)
    worm(f, "10.1.0.50", 120, [f"10.1.0.{i}" for i in range(60, 72)])
    worm(f, "10.1.0.60", 125, [f"10.1.3.{i}" for i in range(2, 14)])
    worm(f, "10.1.0.61", 126, [f"10.1.4.{i}" for i in range(2, 8)])
    worm(f, "10.1.3.5", 140, [f"10.1.5.{i}" for i in range(2, 8)])
    return f


def test_trw_flags_a_horizontal_scanner_after_a_few_failures() -> None:
    f = Flows()
    f.background(2)
    for i in range(30):
        f.add(60 + i * 0.05, "10.1.0.66", f"10.1.2.{i + 1}", 445, ok=(i % 10 == 0))
    for port in range(20, 40):  # vertical scan from outside
        f.add(70 + port * 0.01, "203.0.113.9", "10.9.0.10", port, ok=False)
    found = {x.entity: x for x in NetworkScanDetector().run(DetectContext(f.store()))}
    assert set(found) == {"10.1.0.66", "203.0.113.9"}
    inner = found["10.1.0.66"]
    assert inner.title == "horizontal scan" and inner.severity == "high"
    assert inner.attack == ("T1046",) and inner.evidence_count == 27
    assert inner.evidence[0] == "t:122"  # first failed probe (rows 1-120: background)
    assert "TRW" in inner.reason and "27 hôtes" in inner.reason
    outer = found["203.0.113.9"]
    assert outer.title == "vertical scan" and outer.attack == ("T1595",)


def test_trw_spares_a_declared_vulnerability_scanner() -> None:
    f = Flows()
    f.background(2)
    for src in ("10.9.0.30", "10.1.0.66"):  # the same sweep from the declared scanner and a PC
        for i in range(30):
            f.add(60 + i * 0.05, src, f"10.1.2.{i + 1}", 445, ok=(i % 10 == 0))
    nessus = Asset(
        hostname="nessus", ip="10.9.0.30", kind="server", role="Vulnerability_Scanner", zone="srv"
    )
    model = hospital().model_copy(update={"assets": (*hospital().assets, nessus)})
    found = NetworkScanDetector().run(DetectContext(f.store(), model))
    assert [x.entity for x in found] == ["10.1.0.66"]
    # without the model its role is unknown: it is a scanner like any other
    unknown = NetworkScanDetector().run(DetectContext(f.store()))
    assert sorted(x.entity for x in unknown) == ["10.1.0.66", "10.9.0.30"]


def test_trw_leaves_clients_with_few_failures_alone() -> None:
    f = Flows()
    f.background(2)
    for i in range(40):  # a busy client: many new servers, one failure in ten
        f.add(30 + i, "10.1.0.7", f"10.9.1.{i + 1}", 443, ok=(i % 10 != 3))
    assert NetworkScanDetector().run(DetectContext(f.store())) == []


def test_classifier() -> None:
    assert classify(50, 1) == "horizontal"
    assert classify(1, 200) == "vertical"
    assert classify(40, 40) == "block"


def test_lateral_spread_positive_and_baselined_servers() -> None:
    f = spread_flows()
    # the file server and the management server fan out too, by role
    worm(f, "10.9.0.10", 100, [f"10.1.7.{i}" for i in range(2, 40)])
    worm(f, "10.9.0.20", 101, [f"10.1.8.{i}" for i in range(2, 40)], port=5985)
    found = {x.entity: x for x in LateralSpreadDetector().run(DetectContext(f.store(), hospital()))}
    assert set(found) == {"10.1.0.50", "10.1.0.60"}
    first = found["10.1.0.50"]
    assert first.evidence_count == 12 and first.severity == "high"
    assert "12 nouveaux postes" in first.reason and "SMB" in first.reason
    # without the model, the roles are unknown and the servers are flagged too
    bare = {x.entity for x in LateralSpreadDetector().run(DetectContext(f.store()))}
    assert {"10.9.0.10", "10.9.0.20"} <= bare


def test_lateral_spread_learnt_baseline_and_negative() -> None:
    f = Flows()
    f.background(4)
    # a management host already fanning out during the learning hour, every hour
    for h in range(4):
        worm(f, "10.1.0.30", h * 60 + 1, [f"10.1.{9 + h}.{i}" for i in range(2, 22)])
    assert LateralSpreadDetector().run(DetectContext(f.store())) == []


def test_spread_tree_patient_zero_and_edges() -> None:
    store = spread_flows().store()
    tree = reconstruct_spread(store, None)
    assert tree.patient_zero == "10.1.0.50"
    assert {h.ip for h in tree.infected} == {"10.1.0.50", "10.1.0.60", "10.1.0.61", "10.1.3.5"}
    assert [(e.src, e.dst) for e in tree.edges] == [
        ("10.1.0.50", "10.1.0.60"),
        ("10.1.0.50", "10.1.0.61"),
        ("10.1.0.60", "10.1.3.5"),
    ]
    assert tree.confidence == 1.0
    assert set(tree.by_zone()) == {"10.1.0.0/24", "10.1.3.0/24"}  # /24 fallback
    with_model = reconstruct_spread(store, hospital())
    assert set(with_model.by_zone()) == {"b1"}
    findings = SpreadTreeDetector().run(DetectContext(store))
    assert findings[0].title == "patient zero" and findings[0].entity == "10.1.0.50"
    assert findings[0].severity == "critical" and len(findings) == 4


def test_spread_tree_negative() -> None:
    f = Flows()
    f.background(4)
    worm(f, "10.1.0.50", 120, [f"10.1.0.{i}" for i in range(60, 64)])  # 4 peers: not a worm
    store = f.store()
    assert reconstruct_spread(store).patient_zero is None
    assert SpreadTreeDetector().run(DetectContext(store)) == []


def test_zone_policy_breaches() -> None:
    f = Flows()
    f.background(2)
    f.add(30, "10.1.0.4", "10.2.0.9", 445, ok=False)  # B1 -> B2 over SMB, blocked
    f.add(31, "10.5.0.7", "8.8.4.4", 443)  # pump to the internet
    f.add(32, "10.5.0.7", "198.51.100.7", 443)  # pump to the lab, declared: fine
    f.add(33, "10.1.0.4", "198.51.100.7", 21)  # lab on an undeclared port
    found = ZonePolicyDetector().run(DetectContext(f.store(), hospital()))
    got = {(x.title, x.entity, x.severity) for x in found}
    assert got == {
        ("smb_between_buildings", "10.1.0.4", "medium"),
        ("medical_to_internet", "10.5.0.7", "high"),
        ("partner_undeclared_port", "10.1.0.4", "medium"),
    }
    assert all(x.evidence_count == 1 for x in found)
    assert ZonePolicyDetector().run(DetectContext(f.store())) == []  # no model, no policy


def test_zone_policy_negative() -> None:
    f = Flows()
    f.background(2)  # clients to the file server zone and the web: all allowed
    assert ZonePolicyDetector().run(DetectContext(f.store(), hospital())) == []


def test_medical_exposure_and_report() -> None:
    f = Flows()
    f.background(3)
    for i in range(18):
        f.add(i * 10, "10.5.0.7", "10.9.0.30", 104)  # the PACS, all along
    f.add(150, "10.5.0.7", "10.1.0.99", 22)  # a new peer
    f.add(151, "10.5.0.7", "8.8.4.4", 443)  # the internet
    store = f.store()
    found = MedicalExposureDetector().run(DetectContext(store, hospital()))
    assert len(found) == 1 and found[0].entity == "10.5.0.7"
    assert found[0].severity == "high" and "pompe-12" in found[0].reason
    report = device_connections(Engine.for_store(store), hospital()).to_pylist()
    concerns = {(r["peer"], r["concern"]) for r in report}
    assert concerns == {("8.8.4.4", "internet"), ("10.1.0.99", "new peer"), ("10.9.0.30", None)}


def test_medical_exposure_negative() -> None:
    f = Flows()
    f.background(3)
    for i in range(18):
        f.add(i * 10, "10.5.0.7", "10.9.0.30", 104)
    assert MedicalExposureDetector().run(DetectContext(f.store(), hospital())) == []


def test_run_detectors_stores_findings() -> None:
    store = spread_flows().store()
    runs = {r.name: r for r in run_detectors(DetectContext(store))}
    assert all(r.error is None for r in runs.values())
    assert runs["lateral_spread"].findings == 2 and runs["spread_tree"].findings == 4
    assert store.count("finding") == sum(r.findings for r in runs.values())


def test_configured_internal_ranges_without_model() -> None:
    """No hospital.yaml: RFC 1918 is internal, plus ranges given in NetParams."""
    f = Flows()
    f.background(4)
    worm(f, "100.64.0.5", 120, [f"100.64.1.{i}" for i in range(2, 16)])  # CGNAT inside
    store = f.store()
    assert LateralSpreadDetector().run(DetectContext(store)) == []  # not internal by default
    params = NetParams(extra_internal=("100.64.0.0/10",))
    found = LateralSpreadDetector(params).run(DetectContext(store))
    assert [x.entity for x in found] == ["100.64.0.5"]
    assert found[0].related == ("100.64.0.0/24",)  # the /24 fallback zone
