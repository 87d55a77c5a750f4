"""Packet captures (`.pcap`, `.pcapng`) read offline into flows, with the dpkt library.

Packets are grouped into flows by protocol and the two endpoints (the first packet's
sender is the originator), as a sensor's flow log would: start, duration, packets and
bytes each way, and the outcome: a TCP flow whose responder sent nothing, or only a
reset, failed; one the responder answered succeeded; UDP and ICMP flows keep their
packet counts (the scan test judges them: unanswered probes fail). ICMP type and code
stand in the ports, as Zeek writes them. Without dpkt the file is refused with a message
saying how to install it.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import pyarrow as pa

from rempart.core.errors import SourceError
from rempart.sources.base import ParseContext, Source

_MAGIC = (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
_PCAPNG = b"\x0a\x0d\x0d\x0a"
INSTALL = "reading packet captures needs the dpkt library: pip install 'dpkt>=1.9'"
_PROTO = {6: "tcp", 17: "udp", 1: "icmp", 58: "icmp"}


def read_packets(dpkt: Any, fh: IO[bytes]) -> Iterator[tuple[int, int, float, bytes]]:
    """Each packet of an open capture, pcap or pcapng: its number (from 1), the link type,
    its time and its bytes. dpkt's errors on a cut capture pass to the caller, who decides."""
    head = fh.read(4)
    fh.seek(0)
    reader = dpkt.pcapng.Reader(fh) if head == _PCAPNG else dpkt.pcap.Reader(fh)
    link = reader.datalink()
    for number, (ts, buf) in enumerate(reader, start=1):
        yield number, link, float(ts), buf


@dataclass
class _Flow:
    start: float
    end: float
    src: str
    sport: int | None
    dst: str
    dport: int | None
    proto: str
    pkts_out: int = 0
    pkts_in: int = 0
    bytes_out: int = 0
    bytes_in: int = 0
    answered: bool = False  # the responder sent a SYN-ACK or data
    reset: bool = False  # the responder reset
    first_packet: int = 0


def _addr(raw: bytes) -> str:
    return socket.inet_ntop(socket.AF_INET6 if len(raw) == 16 else socket.AF_INET, raw)


class PcapSource(Source):
    NAME = "pcap"
    VERSION = "1.0"
    EVENT_CLASS = "network_flow"
    SHARES_LINES = True  # the same capture gives `pcap_events` its SMB, DNS, HTTP events
    DESCRIPTION = "Packet captures (pcap, pcapng) grouped into flows (dpkt)"

    def sniff(self, head: bytes, path: Path) -> bool:
        return head[:4] in _MAGIC or head[:4] == _PCAPNG

    def parse(self, path: Path, ctx: ParseContext) -> None:
        try:
            import dpkt
        except ImportError as exc:
            raise SourceError(path, INSTALL) from exc
        flows: dict[tuple[Any, ...], _Flow] = {}
        with path.open("rb") as fh:
            try:
                for number, link, ts, buf in read_packets(dpkt, fh):
                    self._packet(dpkt, link, ts, buf, number, flows, ctx)
            except (ValueError, dpkt.dpkt.NeedData, dpkt.dpkt.UnpackError) as exc:
                ctx.reject(None, f"capture cut or unreadable: {exc}"[:200])
        rows = [self._row(f, ctx) for f in sorted(flows.values(), key=lambda f: f.first_packet)]
        if rows:
            ctx.emit(pa.Table.from_pylist(rows, schema=self.schema()))

    @staticmethod
    def _packet(dpkt: Any, link: int, ts: float, buf: bytes, number: int,
                flows: dict[tuple[Any, ...], _Flow], ctx: ParseContext) -> None:  # fmt: skip
        try:
            if link == dpkt.pcap.DLT_EN10MB:
                ip = dpkt.ethernet.Ethernet(buf).data
            elif link in (dpkt.pcap.DLT_RAW, 101, 12):
                ip = dpkt.ip.IP(buf) if buf[:1] and buf[0] >> 4 == 4 else dpkt.ip6.IP6(buf)
            elif link == dpkt.pcap.DLT_LINUX_SLL:
                ip = dpkt.sll.SLL(buf).data
            else:
                ctx.reject(number, f"link type {link} not read")
                return
        except (dpkt.dpkt.UnpackError, IndexError, ValueError):
            ctx.reject(number, "malformed packet")
            return
        if not isinstance(ip, (dpkt.ip.IP, dpkt.ip6.IP6)):
            return  # ARP and other non-IP frames: no flow
        pnum = ip.p if isinstance(ip, dpkt.ip.IP) else ip.nxt
        proto = _PROTO.get(pnum)
        if proto is None:
            return
        l4 = ip.data
        src, dst = _addr(ip.src), _addr(ip.dst)
        sport = dport = None
        flags = 0
        if proto in ("tcp", "udp") and hasattr(l4, "sport"):
            sport, dport = int(l4.sport), int(l4.dport)
            flags = int(getattr(l4, "flags", 0))
        elif proto == "icmp" and hasattr(l4, "type"):
            sport, dport = int(l4.type), int(l4.code)
        size = len(bytes(l4.data)) if hasattr(l4, "data") else 0
        key: tuple[Any, ...] = (proto, src, sport, dst, dport)
        back: tuple[Any, ...] = (proto, dst, dport, src, sport)
        if proto == "icmp":  # an echo and its reply: one flow (types 8/0, 128/129)
            key, back = (proto, src, dst), (proto, dst, src)
        flow = flows.get(key)
        forward = True
        if flow is None and back in flows:
            flow, forward = flows[back], False
        if flow is None:
            flow = _Flow(ts, ts, src, sport, dst, dport, proto, first_packet=number)
            flows[key] = flow
        flow.end = max(flow.end, ts)
        if forward:
            flow.pkts_out += 1
            flow.bytes_out += size
        else:
            flow.pkts_in += 1
            flow.bytes_in += size
            if proto == "tcp" and flags & 0x04:  # RST
                flow.reset = True
            elif proto != "tcp" or flags & 0x12 == 0x12 or size:
                flow.answered = True

    def _row(self, f: _Flow, ctx: ParseContext) -> dict[str, Any]:
        status = ("success" if f.answered else "failure") if f.proto == "tcp" else "unknown"
        return {
            "time": datetime.fromtimestamp(f.start, tz=UTC),
            "duration": round(f.end - f.start, 6),
            "src_ip": f.src,
            "src_port": f.sport,
            "dst_ip": f.dst,
            "dst_port": f.dport,
            "protocol": f.proto,
            "service": None,
            "bytes_out": f.bytes_out,
            "bytes_in": f.bytes_in,
            "packets_out": f.pkts_out,
            "packets_in": f.pkts_in,
            "conn_state": "REJ" if f.reset and not f.answered else None,
            "status": status,
            "flow_uid": f"{ctx.file_id}:{f.first_packet}",
            "record_kind": "flow",
            "event_uid": f"{ctx.file_id}:{f.first_packet}",
            "source_file": str(ctx.path),
            "source_line": f.first_packet,
            "source_format": self.NAME,
        }
