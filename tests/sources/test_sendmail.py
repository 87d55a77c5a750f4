"""Sendmail's syslog lines as `mail_transfer` (recipient lines joined to their `from=`
line, refused recipients), read beside its logins."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.sources.harness import ingest_sample

from rempart.ingest.files import ingest_file
from rempart.store import Store

REF = datetime(2026, 3, 12, tzinfo=UTC)
LOG = """\
Mar 11 09:00:01 mx sm-mta[123]: 2BB9a1ab012345: from=<Alice@chu-test.fr>, size=2345, class=0, nrcpts=3, msgid=<x1@chu-test.fr>, proto=ESMTPSA, daemon=MTA, auth=PLAIN, relay=pc12.chu-test.fr [10.1.2.3]
Mar 11 09:00:02 mx sm-mta[124]: 2BB9a1ab012345: to=<bob@chu-test.fr>,<carol@chu-test.fr>, ctladdr=<alice@chu-test.fr> (1000/1000), delay=00:00:01, xdelay=00:00:01, mailer=local, pri=120345, dsn=2.0.0, stat=Sent
Mar 11 09:00:03 mx sm-mta[124]: 2BB9a1ab012345: to=<dave@ext.example>, delay=00:00:02, xdelay=00:00:01, mailer=esmtp, pri=120345, relay=mx.ext.example. [192.0.2.5], dsn=2.0.0, stat=Sent (Ok: queued as 4F1)
Mar 11 09:00:04 mx sm-mta[124]: 2BB9a1ab012345: to=<erin@slow.example>, delay=00:00:03, xdelay=00:00:01, mailer=esmtp, pri=120345, relay=mx.slow.example., dsn=4.0.0, stat=Deferred: Connection refused by mx.slow.example.
Mar 11 09:00:04 mx sm-mta[124]: 2BB9a1ab012345: to=<nobody@ext.example>, delay=00:00:03, xdelay=00:00:01, mailer=esmtp, pri=120345, relay=mx.ext.example. [192.0.2.5], dsn=5.1.1, stat=User unknown
Mar 11 09:00:05 mx sm-mta[125]: s1P819mk027713: ruleset=check_rcpt, arg1=<spam@freemail.example>, relay=bad.example [198.51.100.7] (may be forged), reject=550 5.7.1 <spam@freemail.example>... Relaying denied
Mar 11 09:00:06 mx sm-mta[126]: 2BB9a1ab012345: to=<broken@ext.example>, delay=00:00:03
Mar 11 09:00:07 mx sm-mta[127]: s1GNXHYB005133: [190.5.230.178]: possible SMTP attack: command=AUTH, count=5
Mar 11 09:00:08 mx sshd[9]: Accepted publickey for root from 10.0.0.9 port 22 ssh2
"""


def test_sendmail_rows_joined_to_their_from_line(tmp_path: Path) -> None:
    got = ingest_sample(tmp_path, "maillog", LOG, reference=REF)
    store, res = got.store, got.result
    assert got.ok
    parts = {p[0]: p[2:] for p in res.parts}
    assert parts == {
        "sendmail_delivery": (6, 1),
        "mail_auth_syslog": (1, 0),
        "linux_auth_syslog": (1, 0),  # root's SSH login
    }
    assert ("malformed delivery line (no stat=)", 1) in res.reasons
    rows = store.sql(
        "SELECT time, sender, recipient, message_id, queue_id, src_ip, client_host, relay, "
        "status, size, source_line FROM mail_transfer ORDER BY source_line, recipient"
    ).to_pylist()
    assert rows[0] == {
        "time": datetime(2026, 3, 11, 9, 0, 2, tzinfo=UTC),
        "sender": "alice@chu-test.fr",
        "recipient": "bob@chu-test.fr",
        "message_id": "x1@chu-test.fr",
        "queue_id": "2BB9a1ab012345",
        "src_ip": "10.1.2.3",
        "client_host": "pc12.chu-test.fr",
        "relay": None,
        "status": "delivered",
        "size": 2345,
        "source_line": 2,
    }
    assert [(r["recipient"], r["status"], r["relay"]) for r in rows[1:]] == [
        ("carol@chu-test.fr", "delivered", None),
        ("dave@ext.example", "relayed", "mx.ext.example."),
        ("erin@slow.example", "deferred", None),
        ("nobody@ext.example", "bounced", "mx.ext.example."),
        ("spam@freemail.example", "rejected", None),
    ]
    assert rows[-1]["src_ip"] == "198.51.100.7" and rows[-1]["sender"] is None


@pytest.mark.corpus
def test_fail2ban_sendmail_reject_fixture(shared_data: Path) -> None:
    """Real Sendmail refusals (fail2ban's fixture): every annotated `check_rcpt` line is a
    rejected row with its client address."""
    path = shared_data / "fail2ban_log_fixtures" / "sendmail-reject"
    if not path.exists():
        pytest.skip("fail2ban sendmail-reject fixture absent")
    store = Store.memory()
    ingest_file(store, path, reference=REF)
    found = {
        (r["src_ip"], r["source_line"])
        for r in store.sql(
            "SELECT src_ip, source_line FROM mail_transfer WHERE status = 'rejected'"
        ).to_pylist()
    }
    lines = path.read_text(errors="replace").splitlines()
    expected = []
    for number, line in enumerate(lines, start=1):
        if "failJSON" in line and '"match": true' in line.replace(" ,", ","):
            meta = json.loads(line.split("failJSON:", 1)[1])
            target = lines[number] if number < len(lines) else ""
            if meta.get("host") and "ruleset=check_rcpt" in target:
                expected.append((meta["host"], number + 1))
    assert len(expected) >= 10
    assert [e for e in expected if e not in found] == []
