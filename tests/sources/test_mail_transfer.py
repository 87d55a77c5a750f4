"""Mail servers' delivery logs (`mail_transfer`): Postfix syslog, Exchange message tracking,
and the internal mass-mail detector reading them next to ingested messages."""

from __future__ import annotations

import gzip
import re
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.mail.helpers import HOSPITAL, message

from rempart.detect import DetectContext, Finding
from rempart.detect.mail.intrusion import InternalMassMail
from rempart.ingest.files import FileStatus, ingest_file
from rempart.model import Hospital
from rempart.sources import SOURCES
from rempart.sources.mail_auth import _line_time, syslog_time_sql
from rempart.store import Store

REF = datetime(2026, 3, 12, tzinfo=UTC)
T0 = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)

POSTFIX = """\
Mar 11 09:00:00 mx postfix/smtpd[100]: 4F2A1B: client=pc12.chu-test.fr[10.1.2.3], sasl_method=PLAIN, sasl_username=paul
Mar 11 09:00:00 mx postfix/cleanup[101]: 4F2A1B: info: header Subject: Facture urgente from pc12.chu-test.fr[10.1.2.3]; from=<paul@chu-test.fr> to=<u1@chu-test.fr> proto=ESMTP helo=<pc12>
Mar 11 09:00:00 mx postfix/cleanup[101]: 4F2A1B: message-id=<ABC@chu-test.fr>
Mar 11 09:00:01 mx postfix/qmgr[102]: 4F2A1B: from=<Paul@chu-test.fr>, size=2345, nrcpt=3 (queue active)
Mar 11 09:00:02 mx postfix/lmtp[103]: 4F2A1B: to=<u1@chu-test.fr>, relay=mail.chu-test.fr[private/dovecot-lmtp], delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (250 2.0.0 <u1@chu-test.fr> Saved)
Mar 11 09:00:02 mx postfix/smtp[104]: 4F2A1B: to=<x@ext.fr>, orig_to=<liste@chu-test.fr>, relay=mx.ext.fr[192.0.2.5]:25, delay=1, delays=0/0/0.5/0.5, dsn=4.7.1, status=deferred (host mx.ext.fr said: 451 try later)
Mar 11 09:00:03 mx postfix/smtp[104]: 4F2A1B: to=<broken@ext.fr>, relay=mx.ext.fr[192.0.2.5]:25, delay=1
Mar 11 09:00:04 mx postfix/smtpd[100]: NOQUEUE: reject: RCPT from unknown[203.0.113.9]: 554 5.7.1 <z@ext.fr>: Relay access denied; from=<spam@evil.example> to=<z@ext.fr> proto=ESMTP helo=<x>
Mar 11 09:00:05 mx postfix/qmgr[102]: 4F2A1B: removed
Mar 11 09:00:06 mx dovecot[12]: imap-login: Login: user=<alice>, method=PLAIN, rip=10.1.0.5, lip=10.0.0.5, TLS
Mar 11 09:00:07 mx postfix/smtpd[100]: warning: unknown[203.0.113.7]: SASL LOGIN authentication failed: UGFzc3dvcmQ6
Mar 11 09:00:08 fw1 kernel: [12345.6] DROP-IN IN=eth0 OUT= SRC=203.0.113.9 DST=10.1.0.6 LEN=60 TTL=50 ID=1 DF PROTO=TCP SPT=4444 DPT=445 WINDOW=29200 SYN URGP=0
Mar 11 09:00:09 srv sshd[99]: Accepted publickey for bob from 10.1.0.9 port 5555 ssh2
"""

EXCHANGE_FIELDS = (
    "date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,"
    "source,event-id,internal-message-id,message-id,network-message-id,recipient-address,"
    "recipient-status,total-bytes,recipient-count,related-recipient-address,reference,"
    "message-subject,sender-address,return-path,message-info,directionality,tenant-id,"
    "original-client-ip,original-server-ip,custom-data,transport-traffic-type,log-id,"
    "schema-version"
)
EXCHANGE_HEAD = (
    "#Software: Microsoft Exchange Server\r\n#Version: 15.02.1118.007\r\n"
    "#Log-type: Message Tracking Log\r\n#Date: 2026-03-11T09:00:01.234Z\r\n"
    f"#Fields: {EXCHANGE_FIELDS}\r\n"
)


def _exchange_line(
    when: datetime,
    event: str,
    rcpts: list[str],
    *,
    sender: str = "paul@chu-test.fr",
    mid: str = "abc@chu-test.fr",
    internal_id: str = "12345",
    subject: str = "Facture, urgente",
    related: str = "",
    source: str = "STOREDRIV",
) -> str:
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    statuses = ";".join("250 2.1.5 Recipient OK" for _ in rcpts) if event == "DELIVER" else ""
    return (
        f"{stamp},10.1.2.3,PC12,10.0.0.20,EXCH01,08D9,,{source},{event},{internal_id},"
        f"<{mid}>,1b2c-guid,{';'.join(rcpts)},{statuses},5120,{len(rcpts)},{related},,"
        f'"{subject}",{sender},{sender},,Originating,,,,,Email,guid1,15.02.1118.007'
    )


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_postfix_delivery_joined_on_queue_id(tmp_path: Path) -> None:
    """Each delivery carries its sender, size, message-id, subject and client (joined in SQL
    on host and queue id); the refused RCPT is a `rejected` row; a truncated delivery line
    is rejected with its line; logins stay `mail_auth_syslog`'s, firewall lines
    `netfilter_log`'s, and nobody rejects another source's lines."""
    store = Store.memory()
    res = ingest_file(store, _write(tmp_path, "syslog", POSTFIX), reference=REF)
    assert res.status is FileStatus.INGESTED
    parts = {name: (cls, n, bad) for name, cls, n, bad in res.parts}
    assert parts == {
        "mail_auth_syslog": ("authentication", 3, 0),  # paul's SASL, alice, the failure
        "postfix_delivery": ("mail_transfer", 3, 1),
        "netfilter_log": ("network_flow", 1, 0),
        "linux_auth_syslog": ("authentication", 1, 0),  # bob's SSH login
    }
    rows = store.sql(
        "SELECT * EXCLUDE (source_file, event_uid, raw) FROM mail_transfer ORDER BY source_line"
    ).to_pylist()
    assert [(r["recipient"], r["status"]) for r in rows] == [
        ("u1@chu-test.fr", "delivered"),
        ("x@ext.fr", "deferred"),
        ("z@ext.fr", "rejected"),
    ]
    assert rows[0] == {
        "time": T0 + timedelta(seconds=2),
        "sender": "paul@chu-test.fr",
        "recipient": "u1@chu-test.fr",
        "orig_recipient": None,
        "message_id": "ABC@chu-test.fr",
        "queue_id": "4F2A1B",
        "subject": "Facture urgente",
        "src_ip": "10.1.2.3",
        "client_host": "pc12.chu-test.fr",
        "server": "mx",
        "relay": "mail.chu-test.fr[private/dovecot-lmtp]",
        "status": "delivered",
        "status_detail": "lmtp dsn=2.0.0 250 2.0.0 <u1@chu-test.fr> Saved",
        "size": 2345,
        "source_line": 5,
        "source_format": "postfix_delivery",
    }
    assert rows[1]["orig_recipient"] == "liste@chu-test.fr"
    assert (rows[2]["sender"], rows[2]["src_ip"], rows[2]["queue_id"]) == (
        "spam@evil.example",
        "203.0.113.9",
        None,
    )
    assert store.sql("SELECT line, reason FROM rejects").to_pylist() == [
        {"line": 7, "reason": "malformed delivery line (no relay, dsn or status)"}
    ]
    uid = store.sql("SELECT event_uid FROM mail_transfer WHERE source_line = 5").to_pylist()
    assert uid[0]["event_uid"].endswith(":5")
    assert ingest_file(store, tmp_path / "syslog", reference=REF).status is FileStatus.ALREADY


def test_postfix_rfc3339_gzip_and_reused_queue_id(tmp_path: Path) -> None:
    """RFC 3339 stamps keep their zone; a queue id used again later joins its own sender
    (the latest qmgr line before the delivery), per host."""
    lines = [
        "2026-03-11T10:00:00.250+01:00 mx1 postfix/qmgr[2]: 3F9A2C: from=<a@chu-test.fr>, size=10, nrcpt=1 (queue active)",
        "2026-03-11T10:00:01+01:00 mx2 postfix/qmgr[2]: 3F9A2C: from=<other@chu-test.fr>, size=99, nrcpt=1 (queue active)",
        "2026-03-11T10:00:02+01:00 mx1 postfix/local[3]: 3F9A2C: to=<b@chu-test.fr>, relay=local, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (delivered to mailbox)",
        "2026-03-11T11:00:00+01:00 mx1 postfix/qmgr[2]: 3F9A2C: from=<c@chu-test.fr>, size=20, nrcpt=1 (queue active)",
        "2026-03-11T11:00:01+01:00 mx1 postfix-out/smtp[4]: 3F9A2C: to=<d@ext.fr>, relay=mx.ext.fr[192.0.2.5]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.1.1, status=bounced (host mx.ext.fr said: 550 no such user)",
    ]
    p = tmp_path / "maillog.gz"
    p.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    store = Store.memory()
    res = ingest_file(store, p, reference=REF)
    assert (res.source, res.records, res.rejected) == ("postfix_delivery", 2, 0)
    rows = store.sql(
        "SELECT time, sender, recipient, size, status, server FROM mail_transfer ORDER BY time"
    ).to_pylist()
    assert rows == [
        {"time": T0 + timedelta(seconds=2), "sender": "a@chu-test.fr",
         "recipient": "b@chu-test.fr", "size": 10, "status": "delivered", "server": "mx1"},
        {"time": T0 + timedelta(hours=1, seconds=1), "sender": "c@chu-test.fr",
         "recipient": "d@ext.fr", "size": 20, "status": "bounced", "server": "mx1"},
    ]  # fmt: skip


@pytest.mark.parametrize(
    "line",
    [
        "Mar 11 08:00:01 mx x",
        "Mar  1 08:00:01 mx x",
        "Dec 31 23:59:59 mx x",
        "2026-03-11T08:00:00+01:00 mx z",
        "2026-03-11 08:00:00 mx",
        "2026-03-11T08:00:00Z mx",
        "garbage line",
    ],
)
def test_sql_stamps_match_mail_auth(line: str) -> None:
    """The SQL stamp reader gives what `mail_auth_syslog`'s Python one gives."""
    ref = datetime(2026, 1, 5, tzinfo=UTC)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    got = con.execute(f"SELECT {syslog_time_sql(ref)} FROM (SELECT ? AS line)", [line])
    assert got.fetchone()[0] == _line_time(line, ref)[0]  # type: ignore[index]


def test_exchange_tracking(tmp_path: Path) -> None:
    lines = [
        _exchange_line(T0, "RECEIVE", ["u1@chu-test.fr", "u2@chu-test.fr"]),
        _exchange_line(T0 + timedelta(seconds=1), "DELIVER", ["u1@chu-test.fr", "u2@chu-test.fr"]),
        "not-a-date,10.0.0.20,EXCH01,,,,,SMTP,SEND,1,,,a@b;c@d,,1,2,,,x,y@z,,,,,,,,,,",
        _exchange_line(T0, "", ["a@chu-test.fr"]),
    ]
    p = _write(tmp_path, "MSGTRK2026031109-1.LOG", EXCHANGE_HEAD + "\r\n".join(lines) + "\r\n")
    store = Store.memory()
    res = ingest_file(store, p)
    assert (res.source, res.records, res.rejected) == ("exchange_tracking", 4, 2)
    assert store.sql("SELECT line, reason FROM rejects ORDER BY line").to_pylist() == [
        {"line": 8, "reason": "missing or bad timestamp"},
        {"line": 9, "reason": "missing or bad event-id"},
    ]
    rows = store.sql(
        "SELECT * EXCLUDE (source_file, raw) FROM mail_transfer ORDER BY source_line, event_uid"
    ).to_pylist()
    assert [(r["recipient"], r["status"]) for r in rows] == [
        ("u1@chu-test.fr", "received"),
        ("u2@chu-test.fr", "received"),
        ("u1@chu-test.fr", "delivered"),
        ("u2@chu-test.fr", "delivered"),
    ]
    first = rows[1]
    assert first["event_uid"].endswith(":6/2")
    first.pop("event_uid")
    assert first == {
        "time": T0,
        "sender": "paul@chu-test.fr",
        "recipient": "u2@chu-test.fr",
        "orig_recipient": None,
        "message_id": "abc@chu-test.fr",
        "queue_id": "12345",
        "subject": "Facture, urgente",
        "src_ip": "10.1.2.3",
        "client_host": "PC12",
        "server": "EXCH01",
        "relay": None,
        "status": "received",
        "status_detail": "RECEIVE STOREDRIV",
        "size": 5120,
        "source_line": 6,
        "source_format": "exchange_tracking",
    }
    assert rows[3]["status_detail"] == "DELIVER STOREDRIV 250 2.1.5 Recipient OK"


def test_exchange_without_fields_header_fails_with_reason(tmp_path: Path) -> None:
    head = "#Software: Microsoft Exchange Server\n#Log-type: Message Tracking Log\n#Fields: x\n"
    res = ingest_file(Store.memory(), _write(tmp_path, "MSGTRK1.LOG", head + "a\n"))
    assert res.status is FileStatus.FAILED
    assert "no #Fields header naming date-time" in (res.error or "")


# --- the detector ---------------------------------------------------------------------------


def _postfix_burst(
    sender: str,
    rcpts: list[str],
    start: datetime,
    n_msgs: int = 3,
    qid: int = 0xA000,
    client: str = "10.1.2.3",
) -> list[str]:
    """Postfix lines of `n_msgs` messages from `sender`, the recipients spread over them."""
    out = []
    per = -(-len(rcpts) // n_msgs)
    for i in range(n_msgs):
        q = f"{qid + i:X}"
        t = (start + timedelta(minutes=i)).strftime("%b %d %H:%M:%S")
        out += [
            f"{t} mx postfix/smtpd[1]: {q}: client=pc12[{client}]",
            f"{t} mx postfix/cleanup[2]: {q}: message-id=<m{q}@chu-test.fr>",
            f"{t} mx postfix/qmgr[3]: {q}: from=<{sender}>, size=900, nrcpt={per} (queue active)",
        ]
        for r in rcpts[i * per : (i + 1) * per]:
            out.append(
                f"{t} mx postfix/lmtp[4]: {q}: to=<{r}>, relay=mail[private/lmtp], delay=0.1, "
                "delays=0/0/0/0.1, dsn=2.0.0, status=sent (250 ok)"
            )
    return out


def _detect(tmp_path: Path, name: str, text: str) -> list[str]:
    store = Store.memory()
    res = ingest_file(store, _write(tmp_path, name, text), reference=REF)
    assert res.status is FileStatus.INGESTED and res.rejected == 0
    return [f.entity for f in InternalMassMail().run(DetectContext(store, HOSPITAL))]


def test_mass_mail_from_postfix_log(tmp_path: Path) -> None:
    internal = [f"u{i}@chu-test.fr" for i in range(35)]
    lines = _postfix_burst("paul@chu-test.fr", internal, T0)
    store = Store.memory()
    ingest_file(store, _write(tmp_path, "mail.log", "\n".join(lines) + "\n"), reference=REF)
    found = InternalMassMail().run(DetectContext(store, HOSPITAL))
    assert [f.entity for f in found] == ["paul@chu-test.fr"]
    f = found[0]
    assert "35 destinataires internes" in f.reason and "3 messages" in f.reason
    assert "journaux Postfix" in f.reason and "10.1.2.3" in f.reason
    assert f.evidence_class == "mail_transfer" and len(f.evidence) == 35
    assert f.evidence_count == 3
    # below the threshold: 29 recipients
    few = _postfix_burst("paul@chu-test.fr", internal[:29], T0)
    assert _detect(tmp_path, "few.log", "\n".join(few) + "\n") == []


def test_mass_mail_from_exchange_tracking(tmp_path: Path) -> None:
    """Counted on the RECEIVE rows (what the sender wrote), not the DELIVER copies; a
    message sent to a list (one RECEIVE to the list, EXPAND, a DELIVER per member) is one
    recipient, not the list's members."""
    internal = [f"u{i}@chu-test.fr" for i in range(32)]
    lines = []
    for i in range(2):
        part = internal[i * 16 : (i + 1) * 16]
        t = T0 + timedelta(minutes=i)
        lines += [
            _exchange_line(t, "RECEIVE", part, mid=f"m{i}@chu-test.fr", internal_id=str(i)),
            _exchange_line(t, "DELIVER", part, mid=f"m{i}@chu-test.fr", internal_id=str(i)),
        ]
    members = [f"m{i}@chu-test.fr" for i in range(60)]
    lines += [
        _exchange_line(T0, "RECEIVE", ["tous@chu-test.fr"], sender="dir@chu-test.fr", mid="l@x"),
        _exchange_line(T0, "EXPAND", members, sender="dir@chu-test.fr", mid="l@x",
                       related="tous@chu-test.fr"),
        _exchange_line(T0, "DELIVER", members, sender="dir@chu-test.fr", mid="l@x"),
    ]  # fmt: skip
    text = EXCHANGE_HEAD + "\r\n".join(lines) + "\r\n"
    store = Store.memory()
    ingest_file(store, _write(tmp_path, "MSGTRK1.LOG", text))
    found = InternalMassMail().run(DetectContext(store, HOSPITAL))
    assert [f.entity for f in found] == ["paul@chu-test.fr"]
    assert "32 destinataires internes" in found[0].reason
    assert "2 messages" in found[0].reason
    assert "suivi des messages Exchange" in found[0].reason
    assert found[0].related == ("Facture, urgente",)


def test_mass_mail_negatives(tmp_path: Path) -> None:
    """The sender's usual rate (35 internal recipients every hour for a day) and a burst to
    external recipients are no alert."""
    internal = [f"u{i}@chu-test.fr" for i in range(35)]
    usual: list[str] = []
    for h in range(8):
        usual += _postfix_burst("secretariat@chu-test.fr", internal, T0 + timedelta(hours=h),
                                qid=0xB000 + 16 * h)  # fmt: skip
    external = [f"x{i}@ext-partner.fr" for i in range(40)]
    usual += _postfix_burst("paul@chu-test.fr", external, T0, qid=0xC000)
    assert _detect(tmp_path, "neg.log", "\n".join(usual) + "\n") == []


def _found(lines: list[str], tmp_path: Path, hospital: Hospital = HOSPITAL) -> list[Finding]:
    store = Store.memory()
    res = ingest_file(store, _write(tmp_path, "b.log", "\n".join(lines) + "\n"), reference=REF)
    assert res.status is FileStatus.INGESTED and res.rejected == 0
    return InternalMassMail().run(DetectContext(store, hospital))


def test_declared_broadcaster_reported_only_from_a_new_client(tmp_path: Path) -> None:
    """A declared broadcast account mailing all staff from its usual workstation is no
    alert; the same mailing from a machine it never used is one, said as such."""
    staff = [f"u{i}@chu-test.fr" for i in range(300)]
    hospital = HOSPITAL.model_copy(
        update={
            "hospital": HOSPITAL.hospital.model_copy(
                update={"broadcast_senders": ("communication@chu-test.fr", "*@info.chu-test.fr")}
            )
        }
    )
    before = _postfix_burst("communication@chu-test.fr", staff[:3], T0 - timedelta(days=1),
                            n_msgs=1, qid=0x1000)  # fmt: skip
    usual = _postfix_burst("communication@chu-test.fr", staff, T0, qid=0x2000)
    listed = _postfix_burst("lettre@info.chu-test.fr", staff, T0, qid=0x3000)
    assert _found(before + usual + listed, tmp_path, hospital) == []
    # not declared: the same mailing is a burst
    assert [f.entity for f in _found(before + usual, tmp_path)] == ["communication@chu-test.fr"]
    moved = _postfix_burst("communication@chu-test.fr", staff, T0, qid=0x2000, client="10.9.9.9")
    found = _found(before + moved, tmp_path, hospital)
    assert [f.entity for f in found] == ["communication@chu-test.fr"]
    assert "compte de diffusion (déclaré dans hospital.yaml)" in found[0].reason
    assert "part de 10.9.9.9, jamais vu pour ce compte" in found[0].reason
    assert "300 destinataires internes" in found[0].reason


def test_learnt_broadcaster_needs_earlier_days(tmp_path: Path) -> None:
    """A sender whose bursts were seen on two earlier days is a known broadcaster (its
    next burst from a known client is no alert, from a new one it is); bursts within one
    day are a campaign, each hour of which stays reported."""
    staff = [f"u{i}@chu-test.fr" for i in range(40)]
    lines: list[str] = []
    for h in range(24):  # a day of ordinary mail: one recipient an hour
        lines += _postfix_burst("paie@chu-test.fr", staff[:1], T0 - timedelta(days=5, hours=h),
                                n_msgs=1, qid=0xE000 + h)  # fmt: skip
    for d in (3, 2):
        lines += _postfix_burst("paie@chu-test.fr", staff, T0 - timedelta(days=d), qid=0x1000 * d)
    found = _found([*lines, *_postfix_burst("paie@chu-test.fr", staff, T0, qid=0x9000)], tmp_path)
    assert [f.first_seen.date() for f in found] == [
        (T0 - timedelta(days=3)).date(),
        (T0 - timedelta(days=2)).date(),
    ]
    again = _postfix_burst("paie@chu-test.fr", staff, T0, qid=0x9000, client="10.6.6.6")
    found = _found([*lines, *again], tmp_path)
    assert len(found) == 3 and "déjà vus sur 2 jours précédents" in found[-1].reason
    assert "part de 10.6.6.6" in found[-1].reason
    # a campaign of three hours on one day (with a day of ordinary mail before it)
    campaign: list[str] = []
    for h in range(3):
        campaign += _postfix_burst("paie@chu-test.fr", staff, T0 + timedelta(hours=h),
                                   qid=0xA000 + 16 * h)  # fmt: skip
    found = _found(lines[: 24 * 4] + campaign, tmp_path)
    assert len(found) == 3


def test_mass_mail_message_in_both_tables_counted_once(tmp_path: Path) -> None:
    """A message ingested whole and seen in the server's log is one message; the evidence
    points at the full messages when the burst has some."""
    store = Store.memory()
    rcpts = [f"u{j}@chu-test.fr" for j in range(30)]
    raw = message(sender="Paul <paul@chu-test.fr>", subject="Document")
    raw = raw.replace(
        b"To: bob@chu-test.fr",
        f"To: {', '.join(rcpts)}\nDate: Wed, 11 Mar 2026 09:00:00 +0000".encode(),
    )
    (tmp_path / "m.eml").write_bytes(raw.replace(b"<test-1@", b"<mA000@"))
    ingest_file(store, tmp_path / "m.eml")
    lines = _postfix_burst("paul@chu-test.fr", rcpts, T0, n_msgs=1)
    ingest_file(store, _write(tmp_path, "mail.log", "\n".join(lines) + "\n"), reference=REF)
    found = InternalMassMail().run(DetectContext(store, HOSPITAL))
    assert len(found) == 1
    assert "30 destinataires internes" in found[0].reason
    assert "(1 messages" in found[0].reason
    assert "messages ingérés, journaux Postfix" in found[0].reason
    assert found[0].evidence_class == "email" and found[0].evidence_count == 1


# --- robustness -----------------------------------------------------------------------------

_HEADS = [
    b"Mar 11 09:00:01 mx sm-mta[1]: 2BB9a1ab012345: to=<a@b.fr>, delay=00:00:01, stat=Sent\n",
    b"2026-03-11 09:00:01 1rjXkA-0004Vd-2B <= a@b.fr H=(pc) [10.1.2.3] P=esmtpsa S=1\n",
    b"Mar 11 09:00:01 mx postfix/qmgr[102]: 4F2A1B: from=<a@b.fr>, size=1, nrcpt=1 (queue active)\n",
    (EXCHANGE_HEAD + _exchange_line(T0, "RECEIVE", ["a@b.fr"]) + "\r\n").encode(),
    (
        b"#TYPE x\r\n"
        b'"MessageId","Received","SenderAddress","RecipientAddress","Subject","Status"\r\n'
    ),
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.binary(max_size=1500), head=st.sampled_from(_HEADS))
def test_delivery_logs_never_crash(body: bytes, head: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input"
        path.write_bytes(head + body)
        for source in SOURCES:
            if source.EVENT_CLASS != "mail_transfer" or not source.sniff(head + body, path):
                continue
            store = Store.memory()
            res = ingest_file(store, path, source=source, reference=REF)
            assert res.status is FileStatus.INGESTED
            assert res.records == store.count("mail_transfer")


def test_line_not_utf8_is_rejected_and_later_lines_keep_their_number(tmp_path: Path) -> None:
    """An 8-bit subject (a Latin-1 log) is one rejected line, not a failed file."""
    lines = _postfix_burst("paul@chu-test.fr", ["a@chu-test.fr", "b@chu-test.fr"], T0, 1)
    raw = "\n".join(lines).encode().split(b"\n")
    raw.insert(2, b"Mar 11 09:00:00 mx postfix/cleanup[2]: A000: info: header Subject: caf\xe9")
    p = tmp_path / "latin1.log"
    p.write_bytes(b"\n".join(raw) + b"\n")
    store = Store.memory()
    res = ingest_file(store, p, reference=REF)
    assert (res.records, res.rejected, res.reasons) == (2, 1, (("not UTF-8 text", 1),))
    assert store.sql("SELECT line, reason FROM rejects").to_pylist() == [
        {"line": 3, "reason": "not UTF-8 text"}
    ]
    got = store.sql("SELECT source_line, recipient, sender FROM mail_transfer ORDER BY 1")
    assert got.to_pylist() == [
        {"source_line": 5, "recipient": "a@chu-test.fr", "sender": "paul@chu-test.fr"},
        {"source_line": 6, "recipient": "b@chu-test.fr", "sender": "paul@chu-test.fr"},
    ]
    assert [r[:6] for r in raw[4:6]] == [b"Mar 11"] * 2
    text = EXCHANGE_HEAD.encode() + b"2026-03-11T09:00:00.000Z,caf\xe9\r\n"
    text += (_exchange_line(T0, "RECEIVE", ["u1@chu-test.fr"]) + "\r\n").encode()
    res = ingest_file(store, _write_bytes(tmp_path / "MSGTRK2.LOG", text))
    assert (res.records, res.rejected) == (1, 1)
    assert store.sql("SELECT line FROM rejects WHERE path LIKE '%MSGTRK2%'").to_pylist() == [
        {"line": 6}
    ]
    rows = store.sql(
        "SELECT source_line FROM mail_transfer WHERE source_format = 'exchange_tracking'"
    )
    assert rows.to_pylist() == [{"source_line": 7}]


def _write_bytes(p: Path, data: bytes) -> Path:
    p.write_bytes(data)
    return p


TRACE_HEAD = (
    "#TYPE Deserialized.Microsoft.Exchange.Management.FfoReporting.MessageTrace\r\n"
    '"Organization","MessageId","Received","SenderAddress","RecipientAddress","Subject",'
    '"Status","ToIP","FromIP","Size","MessageTraceId","StartDate","EndDate","Index"\r\n'
)


def _trace_line(received: str, rcpt: str, status: str = "Delivered", subject: str = "x") -> str:
    return (
        f'"chu.onmicrosoft.com","<{rcpt}.1@chu-test.fr>","{received}","Paul@chu-test.fr",'
        f'"{rcpt}","{subject}","{status}","","10.1.2.3","5120","guid-{rcpt}","","","0"'
    )


def test_m365_message_trace(tmp_path: Path) -> None:
    """Get-MessageTrace | Export-Csv: PowerShell's #TYPE line, every value quoted, dates in
    the exporting machine's culture (US, French day-first, ISO); all UTC."""
    lines = [
        _trace_line("3/11/2026 9:00:00 AM", "u1@chu-test.fr", subject='Facture, ""urgente""'),
        _trace_line("11/03/2026 14:00:00", "u2@chu-test.fr", "Failed"),
        _trace_line("2026-03-11T09:05:00", "u3@chu-test.fr", "Pending"),
        _trace_line("yesterday", "u4@chu-test.fr"),
        _trace_line("3/11/2026 9:00:00 PM", "", "Delivered"),
    ]
    p = _write(tmp_path, "trace.csv", TRACE_HEAD + "\r\n".join(lines) + "\r\n")
    store = Store.memory()
    res = ingest_file(store, p)
    assert (res.source, res.records, res.rejected) == ("m365_message_trace", 3, 2)
    assert store.sql("SELECT line, reason FROM rejects ORDER BY line").to_pylist() == [
        {"line": 6, "reason": "missing or bad timestamp"},
        {"line": 7, "reason": "no recipient address"},
    ]
    rows = store.sql(
        "SELECT * EXCLUDE (source_file, event_uid, raw) FROM mail_transfer ORDER BY source_line"
    ).to_pylist()
    assert [(r["time"], r["status"]) for r in rows] == [
        (T0, "delivered"),
        (T0 + timedelta(hours=5), "bounced"),
        (T0 + timedelta(minutes=5), "deferred"),
    ]
    assert rows[0] == {
        "time": T0,
        "sender": "paul@chu-test.fr",
        "recipient": "u1@chu-test.fr",
        "orig_recipient": None,
        "message_id": "u1@chu-test.fr.1@chu-test.fr",
        "queue_id": "guid-u1@chu-test.fr",
        "subject": 'Facture, "urgente"',
        "src_ip": "10.1.2.3",
        "client_host": None,
        "server": "Exchange Online",
        "relay": None,
        "status": "delivered",
        "status_detail": "Delivered",
        "size": 5120,
        "source_line": 3,
        "source_format": "m365_message_trace",
    }
    internal = [f"u{i}@chu-test.fr" for i in range(31)]
    burst = [_trace_line("3/11/2026 9:00:00 AM", r) for r in internal]
    assert _detect(tmp_path, "burst.csv", TRACE_HEAD + "\r\n".join(burst) + "\r\n") == [
        "paul@chu-test.fr"
    ]


def test_postfix_refusals_forms(tmp_path: Path) -> None:
    """postscreen's `from=<s>, to=<r>,` form; `from=<> to=<>` (refused at HELO) is a row
    without addresses, not a malformed line; a refusal at EHLO is chatter, which
    mail_auth_syslog still rejects (its line is not this source's)."""
    lines = [
        "May  5 15:51:11 mx postfix/postscreen[1148]: NOQUEUE: reject: RCPT from "
        "[216.245.194.173]:60591: 550 5.7.1 Service unavailable; client [216.245.194.173] "
        "blocked using rbl.example.com; from=<spammer@example.com>, to=<goodguy@chu-test.fr>, "
        "proto=ESMTP, helo=<badguy.example.com>",
        "May  5 15:51:12 mx postfix/smtpd[14398]: NOQUEUE: reject: RCPT from example.com"
        "[192.0.43.10]: 450 4.7.1 : Helo command rejected: Host not found; from=<> to=<> "
        "proto=ESMTP helo=",
        "May  5 15:51:13 mx postfix/smtpd[3462]: NOQUEUE: reject: EHLO from x.example.ru"
        "[78.107.251.238]: 504 5.5.2 <User>: Helo command rejected: need fully-qualified "
        "hostname; proto=SMTP helo=<User>",
        "May  5 15:51:14 mx postfix/smtpd[3462]: NOQUEUE: reject: RCPT from x[192.0.2.9]: 554 "
        "5.7.1 <a@b>: Relay access denied; from=<a@b",
    ]
    store = Store.memory()
    res = ingest_file(store, _write(tmp_path, "mail.log", "\n".join(lines) + "\n"), reference=REF)
    parts = {name: (n, bad) for name, _, n, bad in res.parts}
    assert parts == {"mail_auth_syslog": (0, 1), "postfix_delivery": (2, 1)}
    assert store.sql("SELECT line, reason FROM rejects ORDER BY line").to_pylist() == [
        {"line": 3, "reason": "not a login record"},
        {"line": 4, "reason": "malformed reject line (no from=, to=)"},
    ]
    rows = store.sql(
        "SELECT sender, recipient, src_ip, client_host, status FROM mail_transfer ORDER BY 1"
    ).to_pylist()
    assert rows == [
        {"sender": "spammer@example.com", "recipient": "goodguy@chu-test.fr",
         "src_ip": "216.245.194.173", "client_host": None, "status": "rejected"},
        {"sender": None, "recipient": None, "src_ip": "192.0.43.10",
         "client_host": "example.com", "status": "rejected"},
    ]  # fmt: skip


@pytest.mark.corpus
def test_fail2ban_postfix_fixture_refusals(shared_data: Path) -> None:
    """Real Postfix lines (fail2ban's fixtures): every `reject: RCPT from` line is one
    `rejected` row with its client address, none is rejected as malformed, and no line is
    both a row and a reject."""
    path = shared_data / "fail2ban_log_fixtures" / "postfix"
    if not path.is_file():
        pytest.skip("fail2ban postfix fixture absent")
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    expected = [n for n, line in enumerate(text, start=1) if re.search(r"reject: RCPT from ", line)]
    store = Store.memory()
    res = ingest_file(store, path, reference=REF)
    parts = {name: (n, bad) for name, _, n, bad in res.parts}
    assert parts["postfix_delivery"] == (len(expected), 0)
    rows = store.sql("SELECT source_line, src_ip, status FROM mail_transfer ORDER BY 1")
    assert [r["source_line"] for r in rows.to_pylist()] == expected
    assert all(r["src_ip"] and r["status"] == "rejected" for r in rows.to_pylist())
    rejected = {r["line"] for r in store.sql("SELECT line FROM rejects").to_pylist()}
    assert not rejected & set(expected)


def test_arrow_path_when_the_sink_takes_no_query(tmp_path: Path) -> None:
    """Without the store's query path, the same SELECT streams Arrow from the scratch
    DuckDB: same rows, same rejects."""
    from rempart.sources.base import ParseContext
    from rempart.sources.mail_transfer import PostfixDeliverySource

    tables: list[object] = []

    def sink(data: object) -> int:
        import pyarrow as pa

        table = data.read_all() if isinstance(data, pa.RecordBatchReader) else data
        assert isinstance(table, pa.Table)
        tables.append(table)
        return table.num_rows

    p = _write(tmp_path, "syslog", POSTFIX)
    ctx = ParseContext(path=p, digest="0" * 64, sink=sink, reference_time=REF)
    PostfixDeliverySource().parse(p, ctx)
    ctx.close()
    assert (ctx.records, ctx.rejected) == (3, 1)
    assert ctx.kept_rejects == [(7, "malformed delivery line (no relay, dsn or status)")]
