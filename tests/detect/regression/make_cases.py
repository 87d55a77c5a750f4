"""Writes the regression cases' input files (run by hand, from the repository root:
`python tests/detect/regression/make_cases.py`).

Each detector has a folder `<name>/positive/` and `<name>/negative/` holding files in the
formats Rempart ingests (Zeek conn.log, mail server syslog, Exim main log, Microsoft 365
audit JSON, Windows events as JSON lines, EML), written here from the scenarios of the
detectors' unit tests, and a `hospital.yaml` where the detector judges against the model.
The files are committed; this script says how they were made.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

HERE = Path(__file__).parent
T0 = datetime(2019, 3, 11, 6, 0, tzinfo=UTC)
M0 = datetime(2026, 3, 11, 8, 0, tzinfo=UTC)

ZEEK_HEAD = (
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n"
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\t"
    "orig_bytes\tresp_bytes\tconn_state\n"
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\n"
)


class Conn:
    """Zeek conn.log lines: one per flow, answered (SF) or not (S0)."""

    def __init__(self) -> None:
        self.rows: list[tuple[float, str]] = []

    def add(
        self, minute: float, src: str, dst: str, port: int, *, ok: bool = True, proto: str = "tcp"
    ) -> None:
        n = len(self.rows)
        ts = (T0 + timedelta(minutes=minute)).timestamp()
        state, resp = ("SF", 200) if ok else ("S0", 0)
        line = (
            f"{ts:.6f}\tC{n + 1}\t{src}\t{40000 + n % 20000}\t{dst}\t{port}\t{proto}\t-\t0.1\t"
            f"100\t{resp}\t{state}"
        )
        self.rows.append((ts, line))

    def background(self, hours: float = 3.0) -> None:
        for i in range(int(hours * 6)):
            for c in range(1, 6):
                self.add(i * 10, f"10.1.0.{c}", "10.9.0.10", 445)
                self.add(i * 10 + 1, f"10.1.0.{c}", "93.184.216.34", 443)

    def worm(self, src: str, start: float, peers: list[str], port: int = 445) -> None:
        for k, p in enumerate(peers):
            self.add(start + k * 0.2, src, p, port)

    def text(self) -> str:
        lines = [line for _, line in sorted(self.rows, key=lambda r: r[0])]
        return ZEEK_HEAD + "\n".join(lines) + "\n"


def _spread() -> Conn:
    c = Conn()
    c.background(4)
    c.worm("10.1.0.50", 120, [f"10.1.0.{i}" for i in range(60, 72)])
    c.worm("10.1.0.60", 125, [f"10.1.3.{i}" for i in range(2, 14)])
    c.worm("10.1.0.61", 126, [f"10.1.4.{i}" for i in range(2, 8)])
    c.worm("10.1.3.5", 140, [f"10.1.5.{i}" for i in range(2, 8)])
    return c


CAMPUS = {
    "hospital": {"name": "CH Test"},
    "zones": [
        {"id": "b1", "name": "Bâtiment 1", "building": "B1", "cidrs": ["10.1.0.0/16"]},
        {"id": "b2", "name": "Bâtiment 2", "building": "B2", "cidrs": ["10.2.0.0/16"]},
        {"id": "srv", "name": "Serveurs", "kind": "server", "cidrs": ["10.9.0.0/16"]},
        {"id": "med", "name": "Biomédical", "kind": "medical", "cidrs": ["10.5.0.0/16"]},
    ],
    "assets": [
        {"hostname": "fs1", "ip": "10.9.0.10", "kind": "server", "role": "file_server",
         "zone": "srv"},
        {"hostname": "pompe-12", "ip": "10.5.0.7", "kind": "medical_device", "zone": "med"},
    ],
    "partners": [{"id": "lab", "name": "Labo", "addresses": ["198.51.100.0/24"],
                  "ports": [443]}],
}  # fmt: skip
MAIL = {"hospital": {"name": "CHU Test", "domains": ["chu-test.fr"]}}


def network_scan(c: Conn, positive: bool) -> None:
    c.background(2)
    if positive:
        for i in range(30):
            c.add(60 + i * 0.05, "10.1.0.66", f"10.1.2.{i + 1}", 445, ok=(i % 10 == 0))
    else:
        for i in range(40):  # a busy client, one failure in ten
            c.add(30 + i, "10.1.0.7", f"10.9.1.{i + 1}", 443, ok=(i % 10 != 3))


def lateral(c: Conn, positive: bool) -> None:
    if positive:
        c.rows = _spread().rows
    else:
        c.background(4)


def spread_tree(c: Conn, positive: bool) -> None:
    if positive:
        c.rows = _spread().rows
    else:
        c.background(4)
        c.worm("10.1.0.50", 120, [f"10.1.0.{i}" for i in range(60, 64)])


def zone_policy(c: Conn, positive: bool) -> None:
    c.background(2)
    if positive:
        c.add(30, "10.1.0.4", "10.2.0.9", 445, ok=False)
        c.add(31, "10.5.0.7", "8.8.4.4", 443)


def medical(c: Conn, positive: bool) -> None:
    c.background(3)
    for i in range(18):
        c.add(i * 10, "10.5.0.7", "10.9.0.30", 104)
    if positive:
        c.add(150, "10.5.0.7", "10.1.0.99", 22)
        c.add(151, "10.5.0.7", "8.8.4.4", 443)


def _probes(c: Conn, target: str, sources: int, start: float = 30) -> None:
    for i in range(sources):
        src = f"203.0.{113 + i // 200}.{i % 200 + 1}"
        c.add(start + i, src, target, 23, ok=False)
        if i % 2:
            c.add(start + i + 0.5, src, target, 445, ok=False)


def inbound(c: Conn, positive: bool) -> None:
    c.background(2)
    if positive:
        _probes(c, "10.1.0.30", 40)


def exposed(c: Conn, positive: bool) -> None:
    c.background(2)
    if positive:
        _probes(c, "10.1.0.30", 5)
        c.add(20, "203.0.113.1", "10.1.0.31", 3389, ok=False)
    for k in range(3):
        c.add(40 + k, "203.0.113.1", "10.1.0.30", 3389)


def c2(c: Conn, positive: bool) -> None:
    c.background(4)
    if positive:
        for k in range(40):
            shift = (k * 7 % 5 - 2) * 0.01 * 5.0
            c.add(5 + k * 5.0 + shift, "10.1.0.8", "45.33.2.79", 8443)
    else:
        for k in range(40):
            c.add(5 + (k // 8) * 40 + (k % 8) * 0.3 * (k % 3 + 1), "10.1.0.9", "45.33.2.80", 8443)


def udp_fanout(c: Conn, positive: bool) -> None:
    c.background(2)
    for i in range(30):  # ordinary fan-out: DNS, NTP, QUIC, STUN to many addresses
        for port in (53, 123, 443, 3478):
            c.add(30 + i * 0.1, "10.1.0.7", f"198.51.100.{i + 1}", port, proto="udp")
    for i in range(30 if positive else 12):  # a P2P bot's peer list on high ports
        c.add(40 + i * 0.1, "10.1.0.66", f"203.0.113.{i + 1}", 16471, proto="udp", ok=i % 4 == 0)


def c2_short(c: Conn, positive: bool) -> None:
    """A quarter of an hour of capture: a beacon every 30 s, or a person's bursts."""
    for k in range(30):
        c.add(k / 12, f"10.1.0.{1 + k % 5}", "10.9.0.10", 445)
    for k in range(16):
        if positive:
            c.add(1 + k * 0.5 + (k * 7 % 5 - 2) * 0.005, "10.1.0.8", "45.33.2.79", 8443)
        else:
            c.add(1 + (k // 4) * 2 + (k % 4) * 0.05 * (k % 3 + 1), "10.1.0.9", "45.33.2.80", 8443)


def outbound(c: Conn, positive: bool) -> None:
    c.background(2)
    if positive:
        for i in range(40):
            c.add(10 + i * 0.5, "10.1.0.40", f"198.18.0.{i + 1}", 25)


NETWORK: dict[str, tuple[Callable[[Conn, bool], None], dict[str, object] | None]] = {
    "network_scan": (network_scan, None),
    "lateral_spread": (lateral, None),
    "spread_tree": (spread_tree, None),
    "zone_policy": (zone_policy, CAMPUS),
    "medical_exposure": (medical, CAMPUS),
    "inbound_probe": (inbound, CAMPUS),
    "exposed_service": (exposed, None),
    "c2_beacon": (c2, None),
    "outbound_abuse": (outbound, None),
    "udp_fanout": (udp_fanout, None),
}
# Further conn.log cases of a detector that already has its folder: (folder, file name).
EXTRA: dict[str, tuple[str, str, Callable[[Conn, bool], None]]] = {
    "c2_short": ("c2_beacon", "short-conn.log", c2_short),
}


def dovecot(i: int, ok: bool, user: str, ip: str) -> str:
    t = (M0 + timedelta(seconds=20 * i)).strftime("%b %d %H:%M:%S")
    if ok:
        return (
            f"{t} mx dovecot[12]: imap-login: Login: user=<{user}>, method=PLAIN, rip={ip}, "
            "lip=10.0.0.5, TLS"
        )
    return (
        f"{t} mx dovecot[12]: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): "
        f"user=<{user}>, method=PLAIN, rip={ip}, lip=10.0.0.5, TLS"
    )


def audit(op: str, **kw: object) -> str:
    base: dict[str, object] = {
        "CreationTime": "2026-03-11T09:00:00", "Operation": op, "Workload": "Exchange",
        "UserId": "dg@chu-test.fr", "ClientIP": "203.0.113.8", "ResultStatus": "Succeeded",
    }  # fmt: skip
    return json.dumps({**base, **kw})


def exim_burst(recipients: int) -> str:
    rcpts = [f"u{i}@chu-test.fr" for i in range(recipients)]
    lines = []
    for m in range(3):
        stamp = (M0 + timedelta(hours=1, minutes=m)).strftime("%Y-%m-%d %H:%M:%S")
        qid = f"1rjX{m:02d}-0004V{m}-2B"
        lines.append(
            f"{stamp} {qid} <= paul@chu-test.fr H=(pc12) [10.1.2.3] P=esmtpsa A=plain:paul "
            f'S=2000 id={m}@chu-test.fr T="Facture urgente"'
        )
        lines += [f"{stamp} {qid} => {r} R=local_user T=lmtp" for r in rcpts[m::3]]
    return "\n".join(lines) + "\n"


def windows(rows: list[dict[str, object]]) -> str:
    return "\n".join(json.dumps(r) for r in rows) + "\n"


SECURITY = {"Hostname": "DC1", "Channel": "Security"}
SYSMON = {"Hostname": "PC7", "Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1}

DOMAIN_SID = "S-1-5-21-1111-2222-3333-"


def logon_4624(host: str, rid: str, name: str, ip: str, day: int) -> dict[str, object]:
    return {"Hostname": host, "Channel": "Security", "EventID": 4624,
            "TargetUserSid": DOMAIN_SID + rid, "TargetUserName": name,
            "TargetDomainName": "CORP", "LogonType": "3", "IpAddress": ip,
            "@timestamp": f"2026-01-0{day}T09:00:00Z"}  # fmt: skip


def tgt(host: str, name: str, status: str, day: int, minute: int) -> dict[str, object]:
    return {"Hostname": host, "Channel": "Security", "EventID": 4768, "TargetUserName": name,
            "ServiceName": "krbtgt", "Status": status, "IpAddress": "::ffff:10.0.0.8",
            "@timestamp": f"2026-01-0{day}T09:{minute:02d}:00Z"}  # fmt: skip


# the RID-500 account's usual logons, a machine's TGT, a user's, and a failed TGT for a
# machine's name (a typo, no ticket issued); another domain's ALICE$ lends no name to dc1
FORGERY_BASE = [
    *(logon_4624("fs02.corp.lan", "500", "Administrator", "10.0.0.5", d) for d in (1, 2, 3)),
    tgt("dc1.corp.lan", "FS02$", "0x0", 3, 0),
    tgt("dc1.corp.lan", "alice", "0x0", 3, 5),
    tgt("dc1.corp.lan", "fs02", "0x6", 3, 6),
]

PHISH = """\
Authentication-Results: mx.chu-test.fr; spf=fail smtp.mailfrom=paypa1-secure.top;
 dkim=fail; dmarc=fail header.from=paypa1-secure.top
From: "PayPal Service" <service@paypa1-secure.top>
Reply-To: recovery.team@gmail.com
To: alice.martin@chu-test.fr
Subject: Your account has been suspended - action required
Date: Wed, 11 Mar 2026 09:00:00 +0000
Message-ID: <p1@paypa1-secure.top>
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<html><body><p>Dear customer, your account has been suspended. Verify your account within 24 hours
or it will be closed. <a href="http://bit.ly/3xPayPal">https://www.paypal.com/signin</a></p>
<p>PayPal Security Team</p></body></html>
"""
HAM = """\
Authentication-Results: mx.chu-test.fr; spf=pass smtp.mailfrom=chu-test.fr;
 dkim=pass; dmarc=pass header.from=chu-test.fr
From: Alice Martin <alice.martin@chu-test.fr>
To: bob.durand@chu-test.fr
Subject: Réunion de service jeudi
Date: Wed, 11 Mar 2026 09:00:00 +0000
Message-ID: <h1@chu-test.fr>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Bonjour, la réunion de service est déplacée à jeudi 14 h en salle 3. Merci.
Alice
"""


def sshd(i: int, ok: bool, user: str, ip: str, host: str = "srv1") -> str:
    """An OpenSSH auth.log line, `i` minutes after 08:00 on 11 March."""
    when = (M0 + timedelta(minutes=i)).strftime("%b %d %H:%M:%S")
    what = "Accepted password" if ok else "Failed password"
    return f"{when} {host} sshd[{4000 + i}]: {what} for {user} from {ip} port {40000 + i} ssh2"


def ssh_log(lines: list[str]) -> dict[str, str]:
    return {"auth.log": "\n".join(lines) + "\n"}


def eve(rows: list[dict[str, object]]) -> dict[str, str]:
    """Suricata EVE lines, the i-th one second after 10:00 on 13 May 2017."""
    out = []
    for i, row in enumerate(rows):
        ts = (datetime(2017, 5, 13, 10, 0, tzinfo=UTC) + timedelta(seconds=i)).isoformat()
        base = {
            "timestamp": ts.replace("+00:00", ".000000+0000"),
            "flow_id": 100 + i,
            "src_ip": "192.168.56.10",
            "src_port": 49000 + i,
            "dest_ip": "192.168.56.20",
            "dest_port": 445,
            "proto": "TCP",
        }
        out.append(json.dumps({**base, **row}))
    return {"eve.json": "\n".join(out) + "\n"}


def smb(command: str, status: str = "STATUS_SUCCESS", **more: object) -> dict[str, object]:
    return {
        "event_type": "smb",
        "app_proto": "smb",
        "smb": {"id": 1, "command": command, "status": status, **more},
    }


def reverse_flow() -> dict[str, object]:
    """The victim calling the attacker back on 4444."""
    return {
        "event_type": "flow",
        "src_ip": "192.168.56.20",
        "src_port": 50000,
        "dest_ip": "192.168.56.10",
        "dest_port": 4444,
        "app_proto": "failed",
        "flow": {
            "pkts_toserver": 20,
            "pkts_toclient": 20,
            "bytes_toserver": 3000,
            "bytes_toclient": 900,
            "start": "2017-05-13T10:05:00.000000+0000",
            "end": "2017-05-13T10:09:00.000000+0000",
            "state": "closed",
        },
        "tcp": {"syn": True, "ack": True},
    }


ALERT = {
    "event_type": "alert",
    "alert": {
        "action": "allowed",
        "signature_id": 2024218,
        "severity": 1,
        "signature": "ET EXPLOIT Possible ETERNALBLUE MS17-010 Echo Response",
        "category": "Attempted Administrator Privilege Gain",
        "metadata": {"mitre_technique_id": ["T1210"]},
    },
}


def eve_http(rows: list[tuple[float, str, str, str]], src: str = "192.168.56.30") -> dict[str, str]:
    """Suricata EVE `http` events (minute, server address, host, URI) from `src`."""
    return eve_http_from([(minute, src, dst, host, uri) for minute, dst, host, uri in rows])


def eve_http_from(rows: list[tuple[float, str, str, str, str]]) -> dict[str, str]:
    """Suricata EVE `http` events (minute, internal client, server address, host, URI)."""
    out = []
    for i, (minute, src, dst, host, uri) in enumerate(rows):
        when = datetime(2017, 5, 13, 10, 0, tzinfo=UTC) + timedelta(minutes=minute)
        out.append(json.dumps({
            "timestamp": when.isoformat().replace("+00:00", ".000000+0000"),
            "flow_id": 500 + i, "event_type": "http", "src_ip": src,
            "src_port": 49500 + i, "dest_ip": dst, "dest_port": 80, "proto": "TCP",
            "app_proto": "http",
            "http": {"hostname": host, "url": uri, "http_method": "GET", "status": 404},
        }))  # fmt: skip
    return {"eve.json": "\n".join(out) + "\n"}


ZEEK_DNS_HEAD = (
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdns\n"
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\t"
    "query\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\t"
    "answers\tTTLs\trejected\n"
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\t"
    "string\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]\t"
    "vector[interval]\tbool\n"
)


def zeek_dns(rows: list[tuple[float, str, str, str]]) -> dict[str, str]:
    """Zeek dns.log lines (minute, client, query, rcode name) to an internal resolver."""
    lines = []
    for i, (minute, client, query, rcode) in enumerate(rows):
        ts = (T0 + timedelta(minutes=minute)).timestamp()
        code = {"NOERROR": 0, "SERVFAIL": 2, "NXDOMAIN": 3}[rcode]
        lines.append(
            f"{ts:.6f}\tD{i + 1}\t{client}\t{50000 + i}\t10.9.0.53\t53\tudp\t{i + 1}\t0.01\t"
            f"{query}\t1\tC_INTERNET\t1\tA\t{code}\t{rcode}\tF\tF\tT\tT\t0\t-\t-\tF"
        )
    return {"dns.log": ZEEK_DNS_HEAD + "\n".join(lines) + "\n"}


DGA = ("vocyzit", "qegyqaq", "purydyv", "lygymoj", "qekyqop", "qedyfyq", "gadyfuh",
       "qeqyxov", "gaqycos", "lyxywer", "gacyryw", "lyryvex")  # fmt: skip
PAGE = ("/", "/favicon.ico", "/css/style.css", "/js/jquery.min.js?ver=3.6.1", "/img/logo.png",
        "/wp-json/", "/p/42/index.html")  # fmt: skip


def beacon_visits(
    src: str, n: int, dst: str, host: str, every: float = 1.0
) -> list[tuple[float, str, str, str, str]]:
    """A check-in every `every` minutes (up to 3 s of jitter, seeded), each a POST of a
    numbered forum post and, 0.3 s later, a second request of the same shape."""
    rows, rng = [], random.Random(f"{src}{n}")
    for i in range(n):
        minute = i * every + rng.uniform(-3, 3) / 60
        uri = f"/forum/viewtopic.php?t={1000 + 37 * i}"
        rows += [(minute, src, dst, host, uri), (minute + 0.005, src, dst, host, uri)]
    return rows


# a person reading one news site: irregular gaps between articles (minutes)
READING = (0.2, 0.5, 3.0, 0.4, 7.5, 1.1, 0.3, 2.2, 0.6, 5.0, 0.2, 1.4, 9.0, 0.8, 0.3, 2.7)


def reading(src: str) -> list[tuple[float, str, str, str, str]]:
    t, rows = 0.0, []
    for i, gap in enumerate(READING):
        t += gap
        rows.append((t, src, "203.0.113.9", "www.news.example", f"/article/{4000 + i}.html"))
    return rows


# name -> (positive files, negative files, hospital model or None)
Files = dict[str, str]
OTHERS: dict[str, tuple[Files, Files, dict[str, object] | None]] = {
    "sigma": (
        {"pc7.json": windows([{**SYSMON, "@timestamp": "2026-01-01T10:00:00Z",
                               "Image": "C:\\w\\vssadmin.exe",
                               "CommandLine": "vssadmin delete shadows /all /quiet"}])},
        {"pc7.json": windows([{**SYSMON, "@timestamp": "2026-01-01T10:01:00Z",
                               "Image": "C:\\w\\notepad.exe", "CommandLine": "notepad"}])},
        None,
    ),
    "phishing": ({"message.eml": PHISH}, {"message.eml": HAM}, MAIL),
    "mail_bruteforce": (
        {"mail.log": "\n".join(dovecot(i, False, "dg@chu-test.fr", "198.51.100.7")
                               for i in range(12)) + "\n"},
        {"mail.log": "\n".join(dovecot(i, False, "x@chu-test.fr", "192.0.2.1")
                               for i in range(3)) + "\n"},
        None,
    ),
    "mail_login_after_failures": (
        {"mail.log": "\n".join([*(dovecot(i, False, "dg@chu-test.fr", "198.51.100.7")
                                  for i in range(6)),
                                dovecot(7, True, "dg@chu-test.fr", "198.51.100.7")]) + "\n"},
        {"mail.log": "\n".join(dovecot(i, i != 0, "x@chu-test.fr", "10.0.0.9")
                               for i in range(3)) + "\n"},
        None,
    ),
    "mail_new_source": (
        {"mail.log": "\n".join([dovecot(0, True, "ana@chu-test.fr", "10.2.0.4"),
                                dovecot(5, True, "ana@chu-test.fr", "10.2.0.9"),
                                dovecot(9, True, "ana@chu-test.fr", "185.220.101.3")]) + "\n"},
        {"mail.log": "\n".join([dovecot(0, True, "ana@chu-test.fr", "10.2.0.4"),
                                dovecot(5, True, "ana@chu-test.fr", "10.2.0.9")]) + "\n"},
        MAIL,
    ),
    "mailbox_rules": (
        {"audit.json": "\n".join([
            audit("New-InboxRule", Parameters=[{"Name": "Name", "Value": "."},
                                               {"Name": "ForwardTo", "Value": "x@evil.example"}]),
            audit("MailboxLogin")]) + "\n"},
        {"audit.json": audit("MailboxLogin") + "\n"},
        None,
    ),
    "mailbox_mass_access": (
        {"audit.json": audit("MailItemsAccessed", Folders=json.dumps([
            {"FolderItems": [{"InternetMessageId": f"<{i}@x>"} for i in range(250)],
             "Path": "\\Inbox"}])) + "\n"},
        {"audit.json": audit("MailItemsAccessed", Folders=json.dumps([
            {"FolderItems": [{"InternetMessageId": "<1@x>"}], "Path": "\\Inbox"}])) + "\n"},
        None,
    ),
    "linux_bruteforce": (
        ssh_log([sshd(i // 4, False, f"user{i % 6}", "203.0.113.50") for i in range(12)]),
        ssh_log([sshd(i * 20, False, "alice", "10.1.2.3") for i in range(3)]),
        None,
    ),
    "linux_login_after_failures": (
        ssh_log([*(sshd(i, False, "alice", "203.0.113.50") for i in range(6)),
                 sshd(7, True, "alice", "203.0.113.50")]),
        ssh_log([sshd(0, False, "alice", "10.1.2.3"), sshd(1, True, "alice", "10.1.2.3")]),
        None,
    ),
    "linux_new_source": (
        ssh_log([sshd(0, True, "alice", "10.1.2.3"), sshd(60, True, "alice", "198.51.100.9")]),
        ssh_log([sshd(0, True, "alice", "10.1.2.3"), sshd(60, True, "alice", "10.1.2.3")]),
        None,
    ),
    "root_login": (
        ssh_log([sshd(0, True, "root", "198.51.100.9")]),
        ssh_log([sshd(0, True, "alice", "10.1.2.3"), sshd(1, False, "root", "10.1.2.3")]),
        None,
    ),
    "windows_bruteforce": (
        # 16 failed logons in four minutes (under the old 20-in-5-minutes bar), then a
        # domain controller's usual trickle of Kerberos failures
        {"dc1.json": windows([{**SECURITY, "EventID": 4625, "TargetUserName": "admin",
                               "IpAddress": "10.9.9.9", "Status": "0xc000006d",
                               "@timestamp": f"2026-01-01T10:{i // 4:02d}:{i % 4 * 15:02d}Z"}
                              for i in range(16)])},
        {"dc1.json": windows([{**SECURITY, "EventID": 4771, "TargetUserName": f"u{i}",
                               "IpAddress": "10.1.1.1", "Status": "0x18",
                               "@timestamp": f"2026-01-01T{8 + i:02d}:00:00Z"}
                              for i in range(4)]
                             + [{**SECURITY, "EventID": 4768, "TargetUserName": "ok",
                                 "Status": "0x0", "@timestamp": "2026-01-01T12:00:00Z"}])},
        None,
    ),
    "windows_ticket_forgery": (
        {"golden.json": windows([*FORGERY_BASE, logon_4624("fs02.corp.lan", "500",
                                                            "not_existing_user", "10.0.0.9", 4)]),
         "nopac.json": windows([*FORGERY_BASE, tgt("dc1.corp.lan", "dc1", "0x0", 4, 0)])},
        {"domain.json": windows([*FORGERY_BASE, tgt("dc9.other.lan", "ALICE$", "0x0", 3, 7)])},
        None,
    ),
    "ids_alert": (
        eve([ALERT]),
        eve([smb("SMB2_COMMAND_NEGOTIATE_PROTOCOL"), reverse_flow()]),
        None,
    ),
    "smb_exploit": (
        eve([smb("SMB1_COMMAND_NEGOTIATE_PROTOCOL", dialect="NT LM 0.12"),
             smb("SMB1_COMMAND_NT_TRANS"),
             *(smb("SMB1_COMMAND_TRANS2_SECONDARY") for _ in range(5)),
             reverse_flow()]),
        eve([smb("SMB2_COMMAND_NEGOTIATE_PROTOCOL"), smb("SMB2_COMMAND_TREE_CONNECT"),
             smb("SMB2_COMMAND_CREATE"), smb("SMB1_COMMAND_NT_TRANS"), reverse_flow()]),
        None,
    ),
    "internal_mass_mail": ({"mainlog": exim_burst(35)}, {"mainlog": exim_burst(29)}, MAIL),
    "http_fanout": (
        # a bot asking /gate.php of twelve servers in two minutes
        eve_http([(i * 0.1, f"198.51.100.{i + 1}", f"c{i}x{i * 7}.example",
                   f"/gate.php?id={i}&v=2") for i in range(12)]),
        # a person browsing twelve sites sharing asset paths, and a bot's gate on five
        eve_http([(i + k / 100, f"203.0.113.{i + 1}", f"site{i}.example", path)
                  for i in range(12) for k, path in enumerate(PAGE)]
                 + [(i * 0.1, f"198.51.100.{i + 1}", f"c{i}.example", "/gate.php?id=1")
                    for i in range(5)]),
        None,
    ),
    "http_beacon": (
        # one host checking in every minute for a quarter of an hour (Kovter-like), and
        # nothing else of it but its HTTP requests
        eve_http_from(beacon_visits("192.168.56.30", 16, "198.51.100.77", "cdn-upd.example")),
        # a person reading a news site; the same check-ins from four hosts (a service
        # every PC uses); eight check-ins only
        eve_http_from(reading("192.168.56.31")
                      + [r for k in range(4)
                         for r in beacon_visits(f"192.168.56.{40 + k}", 16, "198.51.100.80",
                                                "status.vendor.example")]
                      + beacon_visits("192.168.56.32", 8, "198.51.100.77", "cdn-upd.example")),
        None,
    ),
    "dns_failures": (
        # Simda's generated names, NXDOMAIN within two minutes, next to ordinary lookups
        zeek_dns([(i * 0.1, "10.1.0.66", f"{label}.com", "NXDOMAIN")
                  for i, label in enumerate(DGA)]
                 + [(i, "10.1.0.7", f"site{i}.fr", "NOERROR") for i in range(12)]),
        # blocklist lookups under one domain, single labels, local names, typos over hours,
        # ordinary lookups
        zeek_dns([(i * 0.1, "10.1.0.7", f"{i}.2.0.192.zen.spamhaus.org", "NXDOMAIN")
                  for i in range(30)]
                 + [(i * 0.1, "10.1.0.8", f"wpad{i}", "NXDOMAIN") for i in range(12)]
                 + [(i * 0.1, "10.1.0.8", f"pc{i}.local", "NXDOMAIN") for i in range(12)]
                 + [(i * 15, "10.1.0.9", f"gogle{i}.com", "NXDOMAIN") for i in range(12)]
                 + [(i, "10.1.0.7", f"site{i}.fr", "NOERROR") for i in range(12)]),
        None,
    ),
}  # fmt: skip


def _write(name: str, positive: Files, negative: Files, model: dict[str, object] | None) -> None:
    folder = HERE / name
    for kind, files in (("positive", positive), ("negative", negative)):
        (folder / kind).mkdir(parents=True, exist_ok=True)
        for fname, text in files.items():
            (folder / kind / fname).write_text(text, encoding="utf-8")
    if model is not None:
        text = yaml.safe_dump(model, allow_unicode=True, sort_keys=False)
        (folder / "hospital.yaml").write_text(text, encoding="utf-8")


def main() -> None:
    for name, (scenario, model) in NETWORK.items():
        pos, neg = Conn(), Conn()
        scenario(pos, True)
        scenario(neg, False)
        _write(name, {"conn.log": pos.text()}, {"conn.log": neg.text()}, model)
    for folder, fname, scenario in EXTRA.values():
        pos, neg = Conn(), Conn()
        scenario(pos, True)
        scenario(neg, False)
        _write(folder, {fname: pos.text()}, {fname: neg.text()}, None)
    for name, (positive, negative, model) in OTHERS.items():
        _write(name, positive, negative, model)


if __name__ == "__main__":
    main()
