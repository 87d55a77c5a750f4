"""Packet captures beyond flows: SMB commands, DNS answers and HTTP requests as
`network_event` rows, from a small pcap the test writes with dpkt."""

from __future__ import annotations

import struct
from pathlib import Path

import dpkt
from tests.sources.harness import ingest_sample
from tests.sources.test_pcap import _ip, _tcp

from rempart.sources.pcap_events import http_request, smb_messages

ATTACKER, VICTIM, RESOLVER, WEB = "10.0.0.66", "10.0.0.20", "10.0.0.53", "10.0.0.80"


def smb1(command: int, mid: int, *, reply: bool = False, status: int = 0,
         body: bytes = b"") -> bytes:  # fmt: skip
    """One SMB1 message in its NetBIOS session header."""
    header = b"\xffSMB" + struct.pack("<BIB", command, status, 0x80 if reply else 0x18)
    header += b"\x00" * 14 + struct.pack("<HHHH", 0, 1234, 0, mid)  # flags2..reserved; tid..mid
    msg = header + body
    return b"\x00" + len(msg).to_bytes(3, "big") + msg


def smb2(command: int, mid: int) -> bytes:
    msg = b"\xfeSMB" + struct.pack("<HHIHHIIQ", 64, 0, 0, command, 0, 0, 0, mid) + b"\x00" * 32
    return b"\x00" + len(msg).to_bytes(3, "big") + msg


def dns_answer(name: str, rcode: int, qid: int) -> dpkt.udp.UDP:
    msg = dpkt.dns.DNS(id=qid, qr=dpkt.dns.DNS_R, rcode=rcode,
                       qd=[dpkt.dns.DNS.Q(name=name, type=dpkt.dns.DNS_A)])  # fmt: skip
    udp = dpkt.udp.UDP(sport=53, dport=53000 + qid, data=bytes(msg))
    udp.ulen += len(bytes(msg))
    return udp


def capture(path: Path) -> None:
    t = 1_500_000_000.0
    a, v = ATTACKER, VICTIM

    def ask(payload: bytes, sport: int = 40000) -> bytes:
        return _ip(a, v, _tcp(sport, 445, 0x18, payload), 6)

    def answer(payload: bytes) -> bytes:
        return _ip(v, a, _tcp(445, 40000, 0x18, payload), 6)

    with path.open("wb") as fh:
        w = dpkt.pcap.Writer(fh)
        w.writepkt(_ip(a, v, _tcp(40000, 445, 0x02), 6), t)
        w.writepkt(_ip(v, a, _tcp(445, 40000, 0x12), 6), t + 0.01)
        w.writepkt(ask(smb1(0x72, 1, body=b"\x02NT LM 0.12\x00")), t + 0.02)
        w.writepkt(answer(smb1(0x72, 1, reply=True)), t + 0.03)
        # NT_TRANS, then two TRANS2_SECONDARY in one segment (never answered)
        w.writepkt(ask(smb1(0xA0, 2)), t + 0.04)
        w.writepkt(answer(smb1(0xA0, 2, reply=True)), t + 0.05)
        w.writepkt(ask(smb1(0x33, 3) + smb1(0x33, 3)), t + 0.06)
        # a scanner's TRANS check, answered STATUS_INSUFF_SERVER_RESOURCES
        w.writepkt(ask(smb1(0x25, 4)), t + 0.07)
        w.writepkt(answer(smb1(0x25, 4, reply=True, status=0xC0000205)), t + 0.08)
        w.writepkt(ask(smb2(3, 7), sport=40001), t + 0.09)
        # a TRANSACTION2 FIND_FIRST2 (WordCount 15, first setup word 0x0001)
        setup = bytes([15]) + b"\x00" * 28 + b"\x01\x00" + b"\x00\x00"
        w.writepkt(ask(smb1(0x32, 5, body=setup)), t + 0.095)
        w.writepkt(_ip(RESOLVER, v, dns_answer("vocyzit.com", 3, 1), 17), t + 1)
        req = b"GET /gate.php?id=7 HTTP/1.1\r\nHost: c2.example\r\nUser-Agent: bot/1\r\n\r\n"
        w.writepkt(_ip(v, WEB, _tcp(50000, 80, 0x18, req), 6), t + 2)
        w.writepkt(_ip(v, WEB, _tcp(50000, 80, 0x18, b"not a request"), 6), t + 2.1)


def test_pcap_events(tmp_path: Path) -> None:
    capture(tmp_path / "seed.pcap")
    got = ingest_sample(tmp_path, "capture.pcap", (tmp_path / "seed.pcap").read_bytes())
    assert got.ok, got.result
    assert got.result.source == "pcap+pcap_events"
    events = got.rows("network_event", order="event_uid")
    smb = sorted((e["name"], e["status"]) for e in events if e["kind"] == "smb")
    assert smb == [
        ("SMB1_COMMAND_NEGOTIATE_PROTOCOL", "STATUS_SUCCESS"),
        ("SMB1_COMMAND_NT_TRANS", "STATUS_SUCCESS"),
        ("SMB1_COMMAND_TRANS", "STATUS_INSUFF_SERVER_RESOURCES"),
        ("SMB1_COMMAND_TRANS2", None),
        ("SMB1_COMMAND_TRANS2_SECONDARY", None),
        ("SMB1_COMMAND_TRANS2_SECONDARY", None),
        ("SMB2_COMMAND_TREE_CONNECT", None),
    ]
    assert all(
        (e["src_ip"], e["dst_ip"]) == (ATTACKER, VICTIM) for e in events if e["kind"] == "smb"
    )
    nego = got.record("network_event", name="SMB1_COMMAND_NEGOTIATE_PROTOCOL")
    assert (nego["detail"], nego["source_line"], nego["src_port"], nego["dst_port"]) == (
        "NT LM 0.12", 3, 40000, 445)  # fmt: skip
    flow = got.record("network_flow", src_port=40000)
    assert nego["flow_uid"] == flow["flow_uid"]  # the connection the flow table knows
    dns = got.record("network_event", kind="dns")
    assert (dns["src_ip"], dns["dst_ip"], dns["name"], dns["detail"], dns["status"]) == (
        RESOLVER, VICTIM, "vocyzit.com", "A", "NXDOMAIN")  # fmt: skip
    http = got.record("network_event", kind="http")
    assert (http["name"], http["detail"], http["user_agent"], http["url"]) == (
        "c2.example", "GET /gate.php?id=7", "bot/1", "http://c2.example/gate.php?id=7")  # fmt: skip
    assert got.record("network_event", name="SMB1_COMMAND_TRANS2")["detail"] == "FIND_FIRST2"
    assert len(events) == 9 and got.rejects == []


def test_what_is_no_message() -> None:
    assert smb_messages(b"hello") == []
    assert smb_messages(b"\x00\x00\x00\x05hello") == []
    assert http_request(b"GET / HTTP/1.1") == ("GET", "/", None, None)
    assert http_request(b"HELLO / HTTP/1.1\r\n\r\n") is None
    assert http_request(b"GET /\r\n\r\n") is None
