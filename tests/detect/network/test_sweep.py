"""A sweep (ICMP and UDP probes, then the ports of the hosts that answered) is a scan, seen
within a handful of probes, and not lateral spread."""

from __future__ import annotations

from datetime import timedelta

from tests.detect.network.flowdata import T0, Flows

from rempart.detect import DetectContext
from rempart.detect.network.lateral import LateralSpreadDetector
from rempart.detect.network.scan import NetworkScanDetector

SWEEPER = "10.1.0.66"


def _probe(f: Flows, minute: float, dst: str, proto: str, port: int, answered: bool) -> None:
    f.add(minute, SWEEPER, dst, port, proto=proto, ok=answered)
    row = f.rows[-1]
    row.update(packets_out=1, packets_in=1 if answered else 0, status="unknown",
               conn_state="OTH" if proto == "icmp" else ("SF" if answered else "S0"))  # fmt: skip
    if not answered:
        row["bytes_in"] = 0


def sweep(icmp_only: bool = False) -> Flows:
    f = Flows()
    f.background(2)
    start = 60.0
    for i in range(40):  # ping sweep: a host in eight answers
        _probe(f, start + i * 0.01, f"10.1.2.{i + 1}", "icmp", 0, answered=i % 8 == 0)
    if not icmp_only:
        for i in range(10):  # UDP probes to closed ports
            _probe(f, start + 1 + i * 0.01, "10.1.2.1", "udp", 160 + i, answered=False)
        # the answering hosts' TCP ports: RPC answers on all, most others are closed
        for k, host in enumerate(f"10.1.2.{i + 1}" for i in range(0, 40, 8)):
            for j, port in enumerate((135, 445, *range(1000, 1030))):
                f.add(start + 2 + k + j * 0.001, SWEEPER, host, port, ok=port == 135)
    return f


def test_icmp_probes_count_in_the_scan_test() -> None:
    found = NetworkScanDetector().run(DetectContext(sweep(icmp_only=True).store()))
    assert [x.entity for x in found] == [SWEEPER]
    assert found[0].detected_at is not None
    # flagged within a handful of probes (0.01 minute apart), not at the end of the sweep
    assert found[0].detected_at - (T0 + timedelta(minutes=60)) < timedelta(seconds=10)


def test_a_sweep_is_a_scan_not_lateral_spread() -> None:
    store = sweep().store()
    assert [x.entity for x in NetworkScanDetector().run(DetectContext(store))] == [SWEEPER]
    assert LateralSpreadDetector().run(DetectContext(store)) == []
