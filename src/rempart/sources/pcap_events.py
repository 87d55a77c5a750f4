"""Packet captures beyond flows: SMB commands, DNS answers and HTTP requests as
`network_event` rows, read with dpkt next to the flows `pcap` makes of the same file.

A capture of one attacker against one machine is a handful of flows (EternalBlue is one
TCP connection to port 445): nothing a flow detector can judge. What tells is inside:
the SMBv1 commands (TRANS2_SECONDARY, NT_TRANS, the TRANS check scanners make), the
names a bot fails to resolve, the URIs it requests. This source reads them the way a
sensor logs them, with Suricata's names, so the detectors that read Suricata's `smb`,
`dns` and `http` events read a capture too:

- `smb`: each SMB1 or SMB2 request a segment to port 445 or 139 starts (NetBIOS session
  header, then `\\xffSMB` or `\\xfeSMB`), several per segment when they follow each other;
  the command as Suricata names it (`SMB1_COMMAND_TRANS2_SECONDARY`,
  `SMB2_COMMAND_TREE_CONNECT`), the status of the server's answer to it (matched on the
  connection and the message id: `STATUS_INSUFF_SERVER_RESOURCES`, or `0x...` for a code
  not named here), for an SMB1 negotiation whether it offers `NT LM 0.12`, and for a
  TRANSACTION2 its sub-command as Zeek names it (`SESSION_SETUP`: DoublePulsar). Requests
  are the rows (an answer is not a second event, so an exchange is counted once and its
  direction is the client's). A message split over segments is read from its first one.
- `dns`: each answer (UDP, port 53), logged as Suricata logs it, server first: the first
  question's name and type, the answer code (`NOERROR`, `NXDOMAIN`, `SERVFAIL`...).
- `http`: each request a segment to a server starts with a method and a request line:
  method and URI, the Host header, the User-Agent.

Without dpkt the file is left to `pcap`, which says how to install it.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from rempart.sources.base import ParseContext, Source
from rempart.sources.pcap import PcapSource, read_packets
from rempart.sources.suricata_events import http_url

SMB_PORTS = (445, 139)

SMB1_COMMANDS = {
    0x04: "CLOSE", 0x25: "TRANS", 0x26: "TRANS_SECONDARY", 0x2B: "ECHO", 0x2E: "READ_ANDX",
    0x2F: "WRITE_ANDX", 0x32: "TRANS2", 0x33: "TRANS2_SECONDARY", 0x71: "TREE_DISCONNECT",
    0x72: "NEGOTIATE_PROTOCOL", 0x73: "SESSION_SETUP_ANDX", 0x74: "LOGOFF_ANDX",
    0x75: "TREE_CONNECT_ANDX", 0xA0: "NT_TRANS", 0xA1: "NT_TRANS_SECONDARY",
    0xA2: "NT_CREATE_ANDX", 0xA4: "NT_CANCEL",
}  # fmt: skip
SMB2_COMMANDS = (
    "NEGOTIATE_PROTOCOL", "SESSION_SETUP", "SESSION_LOGOFF", "TREE_CONNECT", "TREE_DISCONNECT",
    "CREATE", "CLOSE", "FLUSH", "READ", "WRITE", "LOCK", "IOCTL", "CANCEL", "KEEPALIVE",
    "FIND", "CHANGE_NOTIFY", "GET_INFO", "SET_INFO", "OPLOCK_BREAK",
)  # fmt: skip
NT_STATUS = {
    0x00000000: "STATUS_SUCCESS", 0x00000103: "STATUS_PENDING",
    0xC0000002: "STATUS_NOT_IMPLEMENTED", 0xC000000D: "STATUS_INVALID_PARAMETER",
    0xC0000016: "STATUS_MORE_PROCESSING_REQUIRED", 0xC0000022: "STATUS_ACCESS_DENIED",
    0xC0000034: "STATUS_OBJECT_NAME_NOT_FOUND", 0xC000006D: "STATUS_LOGON_FAILURE",
    0xC00000BB: "STATUS_NOT_SUPPORTED", 0xC00000CC: "STATUS_BAD_NETWORK_NAME",
    0xC0000205: "STATUS_INSUFF_SERVER_RESOURCES", 0xC0000008: "STATUS_INVALID_HANDLE",
    0xC000000E: "STATUS_NO_SUCH_DEVICE",
}  # fmt: skip
# TRANSACTION2 sub-commands, as Zeek names them (smb_cmd.log `sub_command`); 0x0E,
# SESSION_SETUP, is reserved and unused by any client: DoublePulsar's command channel.
TRANS2_SUBCOMMANDS = (
    "OPEN2", "FIND_FIRST2", "FIND_NEXT2", "QUERY_FS_INFORMATION", "SET_FS_INFORMATION",
    "QUERY_PATH_INFORMATION", "SET_PATH_INFORMATION", "QUERY_FILE_INFORMATION",
    "SET_FILE_INFORMATION", "FSCTL", "IOCTL", "FIND_NOTIFY_FIRST", "FIND_NOTIFY_NEXT",
    "CREATE_DIRECTORY", "SESSION_SETUP", "0x0f", "GET_DFS_REFERRAL",
    "REPORT_DFS_INCONSISTENCY",
)  # fmt: skip
RCODES = ("NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED")
QTYPES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX", 16: "TXT", 28: "AAAA",
          33: "SRV", 65: "HTTPS", 255: "ANY"}  # fmt: skip
HTTP_METHODS = (b"GET", b"POST", b"HEAD", b"PUT", b"DELETE", b"OPTIONS", b"CONNECT", b"PATCH")


@dataclass
class _Conn:
    """A TCP connection's first packet (its flow uid, as `pcap` numbers it) and the SMB
    requests waiting for their answer, by message id."""

    first: int
    pending: dict[int, dict[str, Any]] = field(default_factory=dict)


def _addr(raw: bytes) -> str:
    return socket.inet_ntop(socket.AF_INET6 if len(raw) == 16 else socket.AF_INET, raw)


def smb_messages(data: bytes) -> list[tuple[str, int, int, bool, bytes]]:
    """(command, message id, NT status, is a reply, body) of the SMB messages a TCP payload
    starts, one after the other; [] when it starts none."""
    out: list[tuple[str, int, int, bool, bytes]] = []
    pos = 0
    while pos + 8 <= len(data) and data[pos] == 0 and len(out) < 64:
        length = int.from_bytes(data[pos + 1 : pos + 4], "big")
        msg = data[pos + 4 : pos + 4 + length]
        if msg[:4] == b"\xffSMB" and len(msg) >= 32:
            cmd = SMB1_COMMANDS.get(msg[4], f"0x{msg[4]:02x}")
            status, flags = struct.unpack_from("<IB", msg, 5)
            pid, _uid, mid = struct.unpack_from("<HHH", msg, 26)
            out.append(
                (f"SMB1_COMMAND_{cmd}", pid << 16 | mid, status, bool(flags & 0x80), msg[32:])
            )
        elif msg[:4] == b"\xfeSMB" and len(msg) >= 64:
            (status,) = struct.unpack_from("<I", msg, 8)
            (code,) = struct.unpack_from("<H", msg, 12)
            (flags,) = struct.unpack_from("<I", msg, 16)
            (mid,) = struct.unpack_from("<Q", msg, 24)
            name = SMB2_COMMANDS[code] if code < len(SMB2_COMMANDS) else f"0x{code:02x}"
            out.append((f"SMB2_COMMAND_{name}", mid, status, bool(flags & 1), msg[64:]))
        else:
            break
        pos += 4 + length
    return out


def http_request(data: bytes) -> tuple[str, str, str | None, str | None] | None:
    """(method, URI, Host, User-Agent) of a payload that starts an HTTP request, else None."""
    head = data.split(b"\r\n\r\n", 1)[0]
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ")
    if len(parts) != 3 or parts[0] not in HTTP_METHODS or not parts[2].startswith(b"HTTP/"):
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        key, sep, value = line.partition(b":")
        if sep:
            headers[key.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
    uri = parts[1].decode("latin-1")[:2000]
    return parts[0].decode("ascii"), uri, headers.get("host"), headers.get("user-agent")


def _event(
    base: dict[str, Any],
    ends: tuple[str, int, str, int],
    kind: str,
    name: str | None,
    detail: str | None,
) -> dict[str, Any]:
    """A `network_event` row of `kind` between the two ends (no uid yet)."""
    src, sport, dst, dport = ends
    return {
        **base,
        "src_ip": src,
        "src_port": sport,
        "dst_ip": dst,
        "dst_port": dport,
        "app_proto": kind,
        "kind": kind,
        "name": name,
        "detail": detail[:500] if detail else None,
        "status": None,
        "raw": None,
        "url": None,
        "user_agent": None,
        "ja3": None,
        "ja3s": None,
    }


class PcapEventSource(Source):
    NAME = "pcap_events"
    VERSION = "1.0"
    EVENT_CLASS = "network_event"
    SHARES_LINES = True  # the same capture gives `pcap` its flows
    DESCRIPTION = "Packet captures (pcap, pcapng): SMB commands, DNS answers, HTTP requests"

    def sniff(self, head: bytes, path: Path) -> bool:
        return PcapSource().sniff(head, path)

    def parse(self, path: Path, ctx: ParseContext) -> None:
        try:
            import dpkt
        except ImportError:
            return  # `pcap` refuses the file and says how to install dpkt
        rows: list[dict[str, Any]] = []
        conns: dict[tuple[Any, ...], _Conn] = {}
        with path.open("rb") as fh:
            try:
                for number, link, ts, buf in read_packets(dpkt, fh):
                    self._packet(dpkt, link, ts, buf, number, conns, rows, ctx)
            except (ValueError, dpkt.dpkt.NeedData, dpkt.dpkt.UnpackError):
                pass  # `pcap` says the capture is cut; the events before the cut stay
        for conn in conns.values():  # requests never answered
            rows.extend(conn.pending.values())
        rows.sort(key=lambda r: (r["time"], r["source_line"], r["event_uid"]))
        if rows:
            ctx.emit(pa.Table.from_pylist(rows, schema=self.schema()))

    @staticmethod
    def _ip(dpkt: Any, link: int, buf: bytes) -> Any:
        if link == dpkt.pcap.DLT_EN10MB:
            return dpkt.ethernet.Ethernet(buf).data
        if link in (dpkt.pcap.DLT_RAW, 101, 12):
            return dpkt.ip.IP(buf) if buf[:1] and buf[0] >> 4 == 4 else dpkt.ip6.IP6(buf)
        if link == dpkt.pcap.DLT_LINUX_SLL:
            return dpkt.sll.SLL(buf).data
        return None

    def _packet(self, dpkt: Any, link: int, ts: float, buf: bytes, number: int,
                conns: dict[tuple[Any, ...], _Conn], rows: list[dict[str, Any]],
                ctx: ParseContext) -> None:  # fmt: skip
        try:
            ip = self._ip(dpkt, link, buf)
        except (dpkt.dpkt.UnpackError, IndexError, ValueError):
            return  # `pcap` rejects the packet
        if not isinstance(ip, (dpkt.ip.IP, dpkt.ip6.IP6)):
            return
        l4 = ip.data
        if not isinstance(l4, (dpkt.tcp.TCP, dpkt.udp.UDP)):
            return
        src, dst = _addr(ip.src), _addr(ip.dst)
        sport, dport = int(l4.sport), int(l4.dport)
        proto = "tcp" if isinstance(l4, dpkt.tcp.TCP) else "udp"
        key = (proto, src, sport, dst, dport)
        back = (proto, dst, dport, src, sport)
        conn = conns.get(key) or conns.get(back)
        if conn is None:
            conn = conns[key] = _Conn(number)
        data = bytes(l4.data)
        if not data:
            return
        base = {
            "time": datetime.fromtimestamp(ts, tz=UTC),
            "protocol": proto,
            "flow_uid": f"{ctx.file_id}:{conn.first}",
            "severity": None,
            "signature_id": None,
            "attack": [],
            "source_file": str(ctx.path),
            "source_line": number,
            "source_format": self.NAME,
        }
        if proto == "tcp" and (dport in SMB_PORTS or sport in SMB_PORTS):
            self._smb(data, src, sport, dst, dport, number, conn, base, rows, ctx)
        elif proto == "udp" and sport == 53:
            self._dns(dpkt, data, src, sport, dst, dport, number, base, rows, ctx)
        elif proto == "tcp":
            req = http_request(data)
            if req is not None:
                method, uri, host, agent = req
                row = _event(base, (src, sport, dst, dport), "http", host, f"{method} {uri}")
                row.update(url=http_url(host, uri, dport), user_agent=agent)
                rows.append({**row, "event_uid": f"{ctx.file_id}:p{number}"})

    @staticmethod
    def _smb(data: bytes, src: str, sport: int, dst: str, dport: int, number: int,
             conn: _Conn, base: dict[str, Any], rows: list[dict[str, Any]],
             ctx: ParseContext) -> None:  # fmt: skip
        for k, (command, mid, status, reply, body) in enumerate(smb_messages(data)):
            if reply:
                request = conn.pending.pop(mid, None)
                if request is not None:
                    request["status"] = NT_STATUS.get(status, f"0x{status:08x}")
                    rows.append(request)
                continue
            detail = None
            if command == "SMB1_COMMAND_NEGOTIATE_PROTOCOL" and b"NT LM 0.12" in body:
                detail = "NT LM 0.12"
            elif command == "SMB1_COMMAND_TRANS2" and len(body) >= 31 and body[0] >= 15:
                sub = int.from_bytes(body[29:31], "little")  # the first setup word
                known = sub < len(TRANS2_SUBCOMMANDS)
                detail = TRANS2_SUBCOMMANDS[sub] if known else f"0x{sub:02x}"
            row = _event(base, (src, sport, dst, dport), "smb", command, detail)
            row["event_uid"] = f"{ctx.file_id}:p{number}.{k}"
            old = conn.pending.pop(mid, None)
            if old is not None:  # a message id reused before its answer: keep the first
                rows.append(old)
            conn.pending[mid] = row

    @staticmethod
    def _dns(dpkt: Any, data: bytes, src: str, sport: int, dst: str, dport: int, number: int,
             base: dict[str, Any], rows: list[dict[str, Any]],
             ctx: ParseContext) -> None:  # fmt: skip
        try:
            msg = dpkt.dns.DNS(data)
        except (dpkt.dpkt.UnpackError, IndexError, ValueError):
            return
        if not msg.qr or not msg.qd:
            return
        q = msg.qd[0]
        rcode = RCODES[msg.rcode] if msg.rcode < len(RCODES) else str(msg.rcode)
        name = str(q.name)[:500] or None
        row = _event(base, (src, sport, dst, dport), "dns", name, QTYPES.get(q.type, str(q.type)))
        rows.append({**row, "status": rcode, "event_uid": f"{ctx.file_id}:p{number}"})
