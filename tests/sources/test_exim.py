"""Exim's main log as `mail_transfer` (deliveries joined to their arrival), read beside
its logins, and the internal mass-mail detector on it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.mail.helpers import HOSPITAL
from tests.sources.harness import ingest_sample

from rempart.detect import DetectContext
from rempart.detect.mail.intrusion import InternalMassMail
from rempart.ingest.files import ingest_file
from rempart.store import Store

REF = datetime(2024, 3, 12, tzinfo=UTC)

MAINLOG = """\
2024-03-11 08:00:01 1rjXkA-0004Vd-2B <= alice@chu-test.fr H=(pc-alice) [10.1.2.3]:51234 P=esmtpsa X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no A=dovecot_plain:alice S=2345 id=20240311080001.ABC@chu-test.fr T="Planning de \\"garde\\"" for bob@chu-test.fr carol@partner.example
2024-03-11 08:00:02 1rjXkA-0004Vd-2B => bob <bob@chu-test.fr> R=local_user T=mail_spool
2024-03-11 08:00:03 1rjXkA-0004Vd-2B => carol@partner.example R=dnslookup T=remote_smtp H=mx.partner.example [203.0.113.25] X=TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256 CV=yes C="250 2.0.0 Ok: queued as 4F1"
2024-03-11 08:00:03 1rjXkA-0004Vd-2B Completed
2024-03-11 08:01:00 1rjXkB-0004Ve-3C <= <> R=1rjXkA-0004Vd-2B U=Debian-exim P=local S=1800
2024-03-11 08:01:01 1rjXkB-0004Ve-3C ** dave@nowhere.example R=dnslookup T=remote_smtp: retry time not reached for any host
2024-03-11 08:02:00 H=(bad) [198.51.100.7]:4444 F=<spam@bad.example> rejected RCPT <eve@chu-test.fr>: relay not permitted
2024-03-11 08:03:00 dovecot_plain authenticator failed for (x) [198.51.100.9]:5555: 535 Incorrect authentication data (set_id=alice)
2024-03-11 08:04:00 +0100 1rjXkC-00000004Vf-4Dxy == frank@slow.example R=dnslookup T=remote_smtp defer (-44): SMTP error from remote mail server after RCPT TO:<frank@slow.example>: 451 try later
2024-03-11 08:05:00 1rjXkD-0004Vg-5E =>  R=local_user T=lmtp
"""


def test_mainlog_rows_joined_to_their_arrival(tmp_path: Path) -> None:
    got = ingest_sample(tmp_path, "mainlog", MAINLOG, reference=REF)
    store, res = got.store, got.result
    assert got.ok
    parts = {p[0]: p[2:] for p in res.parts}
    assert parts["exim_delivery"] == (5, 1)  # 5 rows; the recipient line with no address
    assert parts["mail_auth_syslog"][0] == 2  # the A= arrival and the failed login
    assert ("recipient line without an address", 1) in res.reasons
    rows = store.con.execute(
        "SELECT time, sender, recipient, message_id, queue_id, subject, src_ip, client_host, "
        "relay, status, size, source_line FROM mail_transfer ORDER BY source_line"
    ).fetchall()
    assert rows[0] == (
        datetime(2024, 3, 11, 8, 0, 2, tzinfo=UTC),
        "alice@chu-test.fr",
        "bob@chu-test.fr",
        "20240311080001.ABC@chu-test.fr",
        "1rjXkA-0004Vd-2B",
        'Planning de "garde"',
        "10.1.2.3",
        "pc-alice",
        None,
        "delivered",
        2345,
        2,
    )
    assert [(r[2], r[8], r[9]) for r in rows[1:]] == [
        ("carol@partner.example", "mx.partner.example", "relayed"),
        ("dave@nowhere.example", None, "bounced"),
        ("eve@chu-test.fr", None, "rejected"),
        ("frank@slow.example", None, "deferred"),
    ]
    assert rows[2][1] is None  # a bounce's null sender
    assert rows[3][1] == "spam@bad.example" and rows[3][6] == "198.51.100.7"
    # the stamp's zone is applied (08:04 at +0100 is 07:04 UTC)
    assert rows[4][0] == datetime(2024, 3, 11, 7, 4, tzinfo=UTC)


def test_exim_lines_in_syslog(tmp_path: Path) -> None:
    text = (
        "Mar 11 08:00:01 mail1 exim[2345]: 1rjXkA-0004Vd-2B <= paul@chu-test.fr "
        "H=pc12.chu-test.fr [10.1.2.3] P=esmtpa A=plain:paul S=100 id=x@chu-test.fr\n"
        "Mar 11 08:00:02 mail1 exim[2346]: 1rjXkA-0004Vd-2B => u1@chu-test.fr R=local T=lmtp\n"
        "Mar 11 08:00:02 mail1 sshd[99]: Accepted publickey for bob from 10.1.0.9 port 5555\n"
    )
    got = ingest_sample(tmp_path, "syslog", text, reference=REF)
    store, res = got.store, got.result
    assert got.ok
    assert res.rejected == 0  # Exim's queue lines are the mail flow, not failed logins
    row = store.con.execute(
        "SELECT sender, recipient, server, src_ip, client_host FROM mail_transfer"
    ).fetchall()
    assert row == [("paul@chu-test.fr", "u1@chu-test.fr", "mail1", "10.1.2.3", "pc12.chu-test.fr")]


def _burst(sender: str, rcpts: list[str], start: datetime) -> str:
    lines = []
    for m in range(3):
        when = start + timedelta(minutes=m)
        qid = f"1rjX{m:02d}-0004V{m}-2B"
        stamp = when.strftime("%Y-%m-%d %H:%M:%S")
        lines.append(
            f"{stamp} {qid} <= {sender} H=(pc12) [10.1.2.3] P=esmtpsa A=plain:paul S=2000 "
            f'id={m}@chu-test.fr T="Facture urgente"'
        )
        lines += [f"{stamp} {qid} => {r} R=local_user T=lmtp" for r in rcpts[m::3]]
    return "\n".join(lines) + "\n"


def test_internal_mass_mail_from_exim(tmp_path: Path) -> None:
    start = datetime(2024, 3, 11, 9, 0, tzinfo=UTC)
    internal = [f"u{i}@chu-test.fr" for i in range(35)]
    path = tmp_path / "mainlog"
    path.write_text(_burst("paul@chu-test.fr", internal, start), encoding="utf-8")
    store = Store.memory()
    ingest_file(store, path, reference=REF)
    found = InternalMassMail().run(DetectContext(store, HOSPITAL))
    assert [f.entity for f in found] == ["paul@chu-test.fr"]
    assert "journaux Exim" in found[0].reason and "35 destinataires internes" in found[0].reason
    few = tmp_path / "few"
    few.write_text(_burst("paul@chu-test.fr", internal[:29], start), encoding="utf-8")
    store = Store.memory()
    ingest_file(store, few, reference=REF)
    assert InternalMassMail().run(DetectContext(store, HOSPITAL)) == []
