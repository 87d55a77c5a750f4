"""Packet captures into flows: a small pcap the test writes with dpkt."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from pathlib import Path

import dpkt
import pytest
from tests.sources.harness import ingest_sample

A, B, C = "10.0.0.1", "10.0.0.2", "10.0.0.3"


def _ip(src: str, dst: str, l4: dpkt.Packet, proto: int) -> bytes:
    ip = dpkt.ip.IP(src=socket.inet_aton(src), dst=socket.inet_aton(dst), p=proto, data=l4)
    ip.len += len(bytes(l4))
    eth = dpkt.ethernet.Ethernet(src=b"\x00" * 6, dst=b"\x01" * 6, data=ip)
    return bytes(eth)


def _tcp(sport: int, dport: int, flags: int, data: bytes = b"") -> dpkt.tcp.TCP:
    return dpkt.tcp.TCP(sport=sport, dport=dport, flags=flags, data=data)


def capture(path: Path) -> None:
    with path.open("wb") as fh:
        w = dpkt.pcap.Writer(fh)
        t = 1_500_000_000.0
        # A -> B:445 answered (SYN, SYN-ACK, data)
        w.writepkt(_ip(A, B, _tcp(40000, 445, 0x02), 6), t)
        w.writepkt(_ip(B, A, _tcp(445, 40000, 0x12), 6), t + 0.01)
        w.writepkt(_ip(A, B, _tcp(40000, 445, 0x18, b"hello"), 6), t + 0.02)
        # A -> C:22 reset
        w.writepkt(_ip(A, C, _tcp(40001, 22, 0x02), 6), t + 1)
        w.writepkt(_ip(C, A, _tcp(22, 40001, 0x14), 6), t + 1.01)
        # A pings C, no reply
        w.writepkt(_ip(A, C, dpkt.icmp.ICMP(type=8, code=0, data=dpkt.icmp.ICMP.Echo()), 1), t + 2)
        # a cut frame
        w.writepkt(b"\x00" * 10, t + 3)


def test_pcap_flows(tmp_path: Path) -> None:
    capture(tmp_path / "seed.pcap")
    got = ingest_sample(tmp_path, "capture.pcap", (tmp_path / "seed.pcap").read_bytes())
    assert got.ok, got.result
    assert got.result.source == "pcap+pcap_events"  # the events read the same capture
    assert got.counts == (3, 1) and got.rejects == [(7, "malformed packet")]
    smb = got.record("network_flow", dst_port=445)
    assert (smb["src_ip"], smb["dst_ip"], smb["status"], smb["packets_out"], smb["packets_in"]) == (
        A, B, "success", 2, 1)  # fmt: skip
    assert (smb["bytes_out"], smb["source_line"]) == (5, 1)
    assert smb["time"] == datetime.fromtimestamp(1_500_000_000, tz=UTC)
    assert got.record("network_flow", dst_port=22)["status"] == "failure"
    ping = got.record("network_flow", protocol="icmp")
    assert (ping["src_port"], ping["dst_port"], ping["packets_in"]) == (8, 0, 0)


def test_pcap_without_dpkt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    capture(tmp_path / "seed.pcap")
    monkeypatch.setitem(sys.modules, "dpkt", None)
    got = ingest_sample(tmp_path, "c.pcap", (tmp_path / "seed.pcap").read_bytes())
    assert not got.ok and "pip install" in (got.result.error or "")
