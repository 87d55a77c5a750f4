"""Mail auth sources (Dovecot, Postfix SASL, Exim, Exchange IIS, M365 audit) and detectors."""

from __future__ import annotations

import json
import re
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.mail.helpers import HOSPITAL, message

from rempart.detect import DetectContext
from rempart.detect.mail.intrusion import (
    InternalMassMail,
    MailboxMassAccess,
    MailboxRules,
    MailBruteForce,
    MailLoginAfterFailures,
    MailNewSource,
)
from rempart.ingest.files import ingest_file
from rempart.sources import sniff
from rempart.store import Store

T0 = datetime(2026, 3, 11, 8, 0, tzinfo=UTC)


def _dovecot(i: int, ok: bool, user: str, ip: str) -> str:
    t = (T0 + timedelta(seconds=20 * i)).strftime("%b %d %H:%M:%S")
    if ok:
        return f"{t} mx dovecot[12]: imap-login: Login: user=<{user}>, method=PLAIN, rip={ip}, lip=10.0.0.5, TLS"
    return (
        f"{t} mx dovecot[12]: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): "
        f"user=<{user}>, method=PLAIN, rip={ip}, lip=10.0.0.5, TLS"
    )


def _ingest_lines(tmp_path: Path, lines: list[str], name: str = "mail.log") -> Store:
    store = Store.memory()
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n")
    res = ingest_file(store, p, reference=T0 + timedelta(days=1))
    assert res.source == "mail_auth_syslog"
    return store


def test_source_formats(tmp_path: Path) -> None:
    lines = [
        _dovecot(0, False, "alice@chu-test.fr", "198.51.100.7"),
        "Mar 11 08:00:05 mx postfix/submission/smtpd[11538]: warning: unknown[203.0.113.9]: "
        "SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=bob@chu-test.fr",
        "Mar 11 08:00:06 mx postfix/smtpd[1]: 4F2A: client=pc[10.1.2.3], sasl_method=PLAIN, sasl_username=carol",
        "2026-03-11 08:00:07 dovecot_login authenticator failed for (User) [192.0.2.37]:4816: "
        "535 Incorrect authentication data (set_id=test@chu-test.fr)",
        # a Postfix queue line is the mail flow, read by `postfix_delivery`: no longer
        # rejected here (a central syslog would count it rejected for no fault of its own)
        "Mar 11 08:00:08 mx postfix/qmgr[2]: 4F2A: removed",
        # a mail daemon's other chatter is still rejected, with its line
        "Mar 11 08:00:09 mx dovecot[12]: imap(alice): Logged out in=12 out=345",
    ]
    store = _ingest_lines(tmp_path, lines)
    rows = store.sql(
        "SELECT user, src_ip, service, status FROM authentication ORDER BY time"
    ).to_pylist()
    assert rows == [
        {
            "user": "alice@chu-test.fr",
            "src_ip": "198.51.100.7",
            "service": "imap",
            "status": "failure",
        },
        {
            "user": "bob@chu-test.fr",
            "src_ip": "203.0.113.9",
            "service": "smtp",
            "status": "failure",
        },
        {"user": "carol", "src_ip": "10.1.2.3", "service": "smtp", "status": "success"},
        {
            "user": "test@chu-test.fr",
            "src_ip": "192.0.2.37",
            "service": "smtp",
            "status": "failure",
        },
    ]
    assert store.sql("SELECT line, reason FROM rejects").to_pylist() == [
        {"line": 6, "reason": "not a login record"}
    ]


def test_bruteforce_and_spray(tmp_path: Path) -> None:
    brute = [_dovecot(i, False, "dg@chu-test.fr", "198.51.100.7") for i in range(12)]
    spray = [_dovecot(i, False, f"user{i}@chu-test.fr", "203.0.113.50") for i in range(12)]
    few = [_dovecot(i, False, "x@chu-test.fr", "192.0.2.1") for i in range(3)]
    found = MailBruteForce().run(DetectContext(_ingest_lines(tmp_path, brute + spray + few)))
    by_ip = {f.entity: f for f in found}
    assert set(by_ip) == {"198.51.100.7", "203.0.113.50"}
    assert "force brute" in by_ip["198.51.100.7"].title
    assert "pulvérisation" in by_ip["203.0.113.50"].title


def test_success_after_failures(tmp_path: Path) -> None:
    lines = [_dovecot(i, False, "dg@chu-test.fr", "198.51.100.7") for i in range(6)]
    lines.append(_dovecot(7, True, "dg@chu-test.fr", "198.51.100.7"))
    found = MailLoginAfterFailures().run(DetectContext(_ingest_lines(tmp_path, lines)))
    assert len(found) == 1
    assert found[0].entity == "dg@chu-test.fr"
    ok_only = [_dovecot(i, i != 0, "x@chu-test.fr", "10.0.0.9") for i in range(3)]
    assert (
        MailLoginAfterFailures().run(DetectContext(_ingest_lines(tmp_path, ok_only, "b.log"))) == []
    )


def test_webmail_on_loopback_is_not_one_attacker(tmp_path: Path) -> None:
    """Roundcube in front of Dovecot: every user's login comes from 127.0.0.1."""
    typos = [_dovecot(i, False, f"user{i}@chu-test.fr", "127.0.0.1") for i in range(12)]
    other = [_dovecot(13, True, "dg@chu-test.fr", "127.0.0.1")]
    ctx = DetectContext(_ingest_lines(tmp_path, typos + other))
    assert MailBruteForce().run(ctx) == []
    assert MailLoginAfterFailures().run(ctx) == []
    # the same account failing then succeeding is still found through the account
    own = [_dovecot(i, False, "dg@chu-test.fr", "127.0.0.1") for i in range(6)]
    own.append(_dovecot(7, True, "dg@chu-test.fr", "127.0.0.1"))
    found = MailLoginAfterFailures().run(DetectContext(_ingest_lines(tmp_path, own, "c.log")))
    assert [f.entity for f in found] == ["dg@chu-test.fr"]


def test_new_external_source(tmp_path: Path) -> None:
    lines = [_dovecot(0, True, "ana@chu-test.fr", "10.2.0.4"), _dovecot(5, True, "ana@chu-test.fr", "10.2.0.9"),
             _dovecot(9, True, "ana@chu-test.fr", "185.220.101.3")]  # fmt: skip
    found = MailNewSource().run(DetectContext(_ingest_lines(tmp_path, lines), HOSPITAL))
    assert [f.related for f in found] == [("185.220.101.3",)]


def _m365(tmp_path: Path, records: list[dict[str, object]]) -> Store:
    store = Store.memory()
    p = tmp_path / "audit.json"
    p.write_text("\n".join(json.dumps(r) for r in records))
    res = ingest_file(store, p)
    assert res.source == "m365_audit"
    assert res.records == len(records)
    return store


def _rec(op: str, **kw: object) -> dict[str, object]:
    base: dict[str, object] = {"CreationTime": "2026-03-11T09:00:00", "Operation": op, "Workload": "Exchange",
                               "UserId": "dg@chu-test.fr", "ClientIP": "203.0.113.8", "ResultStatus": "Succeeded"}  # fmt: skip
    base.update(kw)
    return base


def test_forwarding_rule(tmp_path: Path) -> None:
    params = [{"Name": "Name", "Value": "."}, {"Name": "ForwardTo", "Value": "x@evil.example"}]
    store = _m365(tmp_path, [_rec("New-InboxRule", Parameters=params), _rec("MailboxLogin")])
    found = MailboxRules().run(DetectContext(store))
    assert len(found) == 1
    assert "x@evil.example" in found[0].reason
    assert found[0].severity.value == "high"


def test_mass_read(tmp_path: Path) -> None:
    folders = [
        {"FolderItems": [{"InternetMessageId": f"<{i}@x>"} for i in range(250)], "Path": "\\Inbox"}
    ]
    small = [{"FolderItems": [{"InternetMessageId": "<1@x>"}], "Path": "\\Inbox"}]
    store = _m365(tmp_path, [_rec("MailItemsAccessed", Folders=json.dumps(folders)),
                             _rec("MailItemsAccessed", UserId="b@chu-test.fr", Folders=json.dumps(small),
                                  ClientIP="10.0.0.3")])  # fmt: skip
    found = MailboxMassAccess().run(DetectContext(store))
    assert [f.entity for f in found] == ["dg@chu-test.fr"]


def test_internal_mass_mail(tmp_path: Path) -> None:
    store = Store.memory()
    for i in range(3):
        raw = message(sender="Infirmier <paul@chu-test.fr>", subject=f"Document {i}")
        rcpts = ", ".join(f"u{j}@chu-test.fr" for j in range(i * 15, i * 15 + 15))
        raw = raw.replace(
            b"To: bob@chu-test.fr", f"To: {rcpts}\nDate: Wed, 11 Mar 2026 09:0{i}:00 +0000".encode()
        )
        (tmp_path / f"{i}.eml").write_bytes(raw.replace(b"<test-1@", f"<t{i}@".encode()))
        ingest_file(store, tmp_path / f"{i}.eml")
    found = InternalMassMail().run(DetectContext(store, HOSPITAL))
    assert [f.entity for f in found] == ["paul@chu-test.fr"]
    assert "45 destinataires" in found[0].reason
    assert InternalMassMail().run(DetectContext(store, None)) == []


@pytest.mark.corpus
def test_fail2ban_attackers_found(shared_data: Path, tmp_path: Path) -> None:
    """Every annotated auth-failure line of the mail servers' and webmails' fixtures gives
    its host (Dovecot, Postfix, Exim, Courier, Cyrus, UW-IMAP, Roundcube, SOGo, Sendmail,
    solid-pop3d)."""
    folder = shared_data / "fail2ban_log_fixtures"
    auth_line = re.compile(r"auth failed|Password mismatch|unknown user|authentication fail|"
                           r"authenticator failed|SASL \w+ authentication failed|plaintext auth|"
                           r"LOGIN FAILED|badlogin|Login (?:failed|excessive|disabled)|override of|"
                           r"[Ff]ailed login|FAILED login|might not have worked|AUTH failure|"
                           r"command=AUTH|solid-pop3d")  # fmt: skip
    for name in ("dovecot", "postfix", "exim", "courier-auth", "cyrus-imap", "uwimap-auth",
                 "roundcube-auth", "sogo-auth", "sendmail-auth", "solid-pop3d"):  # fmt: skip
        store = Store.memory()
        ingest_file(store, folder / name, reference=datetime(2026, 1, 1, tzinfo=UTC))
        found = {(r["src_ip"], r["source_line"]) for r in
                 store.sql("SELECT src_ip, source_line FROM authentication WHERE status='failure'").to_pylist()}  # fmt: skip
        expected = []
        lines = (folder / name).read_text(errors="replace").splitlines()
        for number, line in enumerate(lines, start=1):
            if "failJSON" in line and '"match": true' in line.replace(" ,", ","):
                meta = json.loads(line.split("failJSON:", 1)[1])
                target = lines[number] if number < len(lines) else ""
                if meta.get("host") and auth_line.search(target):
                    expected.append((meta["host"], number + 1))
        missing = [e for e in expected if e not in found]
        assert len(expected) >= 5, name
        assert len(missing) <= len(expected) // 20, (name, missing)


@pytest.mark.corpus
def test_otrf_golden_saml_mail_access(shared_data: Path, tmp_path: Path) -> None:
    folder = shared_data / "otrf_security_datasets" / "compound" / "GoldenSAMLADFSMailAccess"
    store = Store.memory()
    for name in ("OfficeActivityEvents.Zip", "AADAuditEvents.Zip"):
        with zipfile.ZipFile(folder / name) as zf:
            zf.extractall(tmp_path)
    for p in sorted(tmp_path.glob("*Events.json")):
        if sniff(p) is not None:
            ingest_file(store, p)
    ctx = DetectContext(store)
    access = MailboxMassAccess().run(ctx)
    grants = MailboxRules().run(ctx)
    assert [f.entity for f in access] == ["pgustavo@simulandlabs.com"]
    assert "1.2.3.4" in access[0].reason
    assert len(grants) == 1
    assert "Mail.ReadWrite" in grants[0].reason


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_auth_line_parser_never_crashes(line: str) -> None:
    from rempart.sources.mail_auth import _line_time, parse_line

    _, rest = _line_time(line, T0)
    row = parse_line(rest)
    assert row is None or row["status"] in ("success", "failure")


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["Operation", "CreationTime", "UserId", "ClientIP", "Folders",
                                         "Parameters", "InitiatedBy", "TargetResources", "ResultStatus"]),
                       st.one_of(st.text(max_size=40), st.integers(), st.none(),
                                 st.lists(st.text(max_size=10), max_size=3))))  # fmt: skip
def test_m365_normalise_never_crashes(record: dict[str, object]) -> None:
    from rempart.sources.m365_audit import normalise

    row = normalise(record)
    assert row is None or row["status"] in ("success", "failure")


_LOGIN_LINES = [
    _dovecot(0, False, "alice@chu-test.fr", "198.51.100.7"),
    _dovecot(1, True, "alice@chu-test.fr", "198.51.100.7"),
    "Mar 11 08:00:05 mx postfix/submission/smtpd[11538]: warning: unknown[203.0.113.9]: "
    "SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=bob@chu-test.fr",
    "Mar 11 08:00:06 mx postfix/smtpd[1]: 4F2A: client=pc[10.1.2.3], sasl_method=PLAIN, "
    "sasl_username=carol",
    "2026-03-11 08:00:07 dovecot_login authenticator failed for (User) [192.0.2.37]:4816: "
    "535 Incorrect authentication data (set_id=test@chu-test.fr)",
    "2026-03-11 08:00:07 1lJQ <= a@b.fr H=(pc) [10.0.0.9]:55 P=esmtpsa A=dovecot_plain:alice",
    "Mar 11 08:00:08 mx dovecot: auth-worker(3): pam(bob,192.0.2.8): pam_authenticate() failed",
    "Mar 11 08:00:09 mx dovecot: auth: Error: pam_unix(dovecot:auth): authentication failure; "
    "logname= uid=0 euid=0 tty=dovecot ruser=eve rhost=192.0.2.9  user=eve",
]


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(_LOGIN_LINES),
    st.text(max_size=12),
    st.integers(0, 200),
    st.integers(0, 200),
    st.integers(0, 200),
)
def test_every_readable_line_is_a_candidate(
    line: str, noise: str, at: int, start: int, stop: int
) -> None:
    """The syslog reader passes over the lines `_candidate` refuses without parsing them:
    whatever `parse_line` reads must be a candidate (mutated lines: inserted text, a slice
    with its case swapped)."""
    from rempart.sources.mail_auth import _candidate, _line_time, parse_line

    lo, hi = sorted((start, stop))
    mutated = line[:at] + noise + line[at:]
    mutated = mutated[:lo] + mutated[lo:hi].swapcase() + mutated[hi:]
    _, rest = _line_time(mutated, T0)
    if parse_line(rest) is not None:
        assert _candidate(mutated.encode())
    assert all(parse_line(_line_time(x, T0)[1]) is not None for x in _LOGIN_LINES)


def test_inner_date_out_of_range_is_a_reject_not_a_failed_file(tmp_path: Path) -> None:
    """A stamp inside the line that is no date (year 0) rejects that line only."""
    lines = [
        _dovecot(0, False, "alice@chu-test.fr", "198.51.100.7"),
        "mx dovecot: 0000-12-30 00:00:00 imap-login: Disconnected (auth failed, 1 attempts "
        "in 2 secs): user=<bob>, method=PLAIN, rip=192.0.2.4, lip=10.0.0.5, TLS",
    ]
    p = tmp_path / "mail.log"
    p.write_text("\n".join(lines) + "\n")
    res = ingest_file(Store.memory(), p, reference=T0 + timedelta(days=1))
    assert (res.source, res.records, res.rejected) == ("mail_auth_syslog", 1, 1)
    assert res.reasons == (("no timestamp", 1),)


def test_m365_array_and_bad_json(tmp_path: Path) -> None:
    p = tmp_path / "audit.json"
    p.write_text(json.dumps([_rec("UserLoggedIn"), _rec("UserLoginFailed", ResultStatus="Failed")]))
    store = Store.memory()
    res = ingest_file(store, p)
    assert (res.source, res.records) == ("m365_audit", 2)
    rows = store.sql(
        "SELECT operation, status, src_ip FROM mailbox_activity ORDER BY operation"
    ).to_pylist()
    assert [r["status"] for r in rows] == ["success", "failure"]
    q = tmp_path / "audit2.json"
    q.write_text(
        json.dumps(_rec("MailboxLogin")) + "\n{not json\n" + json.dumps({"Workload": "x"}) + "\n"
    )
    res2 = ingest_file(Store.memory(), q)
    assert (res2.records, res2.rejected) == (1, 2)


@pytest.mark.parametrize("powershell", [False, True])
def test_m365_purview_csv_export(tmp_path: Path, powershell: bool) -> None:
    """The CSV of the Purview audit search (or `Search-UnifiedAuditLog | Export-Csv`):
    one record per row, its JSON in `AuditData` (quotes doubled, newlines allowed)."""
    import csv
    import io

    params = [{"Name": "ForwardTo", "Value": "x@evil.example"}]
    records = [_rec("New-InboxRule", Parameters=params), _rec("MailboxLogin")]
    buf = io.StringIO()
    if powershell:
        buf.write("#TYPE Deserialized.Microsoft.Exchange.Management.UnifiedAuditLogRecord\r\n")
        names = ["RunspaceId", "RecordType", "CreationDate", "UserIds", "Operations", "AuditData"]
    else:
        names = ["RecordId", "CreationDate", "RecordType", "Operation", "UserId", "AuditData"]
    writer = csv.writer(buf, quoting=csv.QUOTE_ALL if powershell else csv.QUOTE_MINIMAL)
    writer.writerow(names)
    for r in records:
        audit = json.dumps(r, indent=1 if powershell else None)  # pretty JSON spans lines
        writer.writerow(["x", "2026-03-11T09:00:00", "ExchangeAdmin", r["Operation"], "dg", audit])
    writer.writerow(["x", "2026-03-11T09:00:00", "ExchangeItem", "Broken", "dg", "{not json"])
    path = tmp_path / "AuditLog_2026-03-11.csv"
    path.write_text("\ufeff" + buf.getvalue(), encoding="utf-8")
    store = Store.memory()
    res = ingest_file(store, path)
    assert (res.source, res.records, res.rejected) == ("m365_audit", 2, 1)
    lines = store.sql("SELECT source_line FROM mailbox_activity ORDER BY source_line").to_pylist()
    first = 3 if powershell else 2
    assert lines[0]["source_line"] == first  # the line where the record's row starts
    assert any("invalid JSON" in reason for reason, _ in res.reasons)
    found = MailboxRules().run(DetectContext(store))
    assert [f.entity for f in found] == ["dg@chu-test.fr"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Mar 11 09:00:01 mx imapd-ssl: LOGIN FAILED, user=jean@chu-test.fr, ip=[::ffff:198.51.100.4]",
         ("198.51.100.4", "jean@chu-test.fr", "imap", "failure")),
        ("Mar 11 09:00:01 mx pop3d: LOGIN, user=jean@chu-test.fr, ip=[::ffff:10.1.2.3], port=[4000]",
         ("10.1.2.3", "jean@chu-test.fr", "pop3", "success")),
        ("Mar 11 09:00:01 mx cyrus/imaps[55]: badlogin: scan.example [198.51.100.5] plain jean SASL(-13): authentication failure",
         ("198.51.100.5", "jean", "imap", "failure")),
        ("Mar 11 09:00:01 mx cyrus/pop3[55]: login: pc12 [10.1.2.3] jean plaintext User logged in SESSIONID=<x>",
         ("10.1.2.3", "jean", "pop3", "success")),
        ("Mar 11 09:00:01 mx imapd[66]: Login failed user=jean auth=jean host=scan.example [198.51.100.6]",
         ("198.51.100.6", "jean", "imap", "failure")),
        ("Mar 11 09:00:01 mx imapd[66]: Login user=jean host=pc12 [10.1.2.3]",
         ("10.1.2.3", "jean", "imap", "success")),
        # the user name is the attacker's text: the address is the last "from" of the message
        ("Mar 11 09:00:01 web roundcube: IMAP Error: Login failed for x from 127.0.0.1 from 198.51.100.7. AUTHENTICATE PLAIN: NO",
         ("198.51.100.7", "x", "webmail", "failure")),
        ("[11-Mar-2026 10:00:01 +0100]: <ab12> Failed login for jean@chu-test.fr from 198.51.100.8 in session abc (error: 0)",
         ("198.51.100.8", "jean@chu-test.fr", "webmail", "failure")),
        ("Mar 11 09:00:01 web sogod [77]: SOGoRootPage Login from '198.51.100.9' for user 'jean' might not have worked - password policy: 65535",
         ("198.51.100.9", "jean", "webmail", "failure")),
        ("Mar 11 09:00:01 mx sm-mta[88]: x1: AUTH failure (LOGIN): authentication failure (-13) SASL(-13): checkpass failed, user=jean, relay=[10.0.0.1], relay=[198.51.100.10]",
         ("198.51.100.10", "jean", "smtp", "failure")),
        ("Mar 11 09:00:01 mx sendmail[88]: x2: scan.example [198.51.100.11]: possible SMTP attack: command=AUTH, count=5",
         ("198.51.100.11", None, "smtp", "failure")),
        ("Mar 11 09:00:01 mx solid-pop3d[99]: authentication failed for user jean - 198.51.100.12",
         ("198.51.100.12", "jean", "pop3", "failure")),
    ],
)  # fmt: skip
def test_other_mail_servers_and_webmails(
    tmp_path: Path, line: str, expected: tuple[str, str | None, str, str]
) -> None:
    path = tmp_path / "maillog"
    path.write_text(line + "\n", encoding="utf-8")
    store = Store.memory()
    res = ingest_file(store, path, reference=datetime(2026, 3, 12, tzinfo=UTC))
    assert (res.source, res.records, res.rejected) == ("mail_auth_syslog", 1, 0), res
    row = store.sql("SELECT src_ip, user, service, status, time FROM authentication").to_pylist()[0]
    assert (row["src_ip"], row["user"], row["service"], row["status"]) == expected
    assert row["time"].astimezone(UTC).date() == datetime(2026, 3, 11).date()


def test_lost_authentication_server_is_no_failed_login(tmp_path: Path) -> None:
    path = tmp_path / "maillog"
    path.write_text(
        "Mar 11 09:00:01 mx postfix/smtpd[1]: warning: pc12[10.1.2.3]: SASL LOGIN authentication "
        "failed: Connection lost to authentication server\n",
        encoding="utf-8",
    )
    store = Store.memory()
    res = ingest_file(store, path, reference=datetime(2026, 3, 12, tzinfo=UTC))
    assert (res.records, res.rejected) == (0, 1)


def test_webmail_brute_force(tmp_path: Path) -> None:
    lines = [
        f"[11-Mar-2026 10:{i:02d}:00 +0100]: IMAP Error: Login failed for user{i}@chu-test.fr "
        "from 203.0.113.50. AUTHENTICATE PLAIN: Authentication failed."
        for i in range(30)
    ]
    path = tmp_path / "errors.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    store = Store.memory()
    ingest_file(store, path, reference=datetime(2026, 3, 12, tzinfo=UTC))
    found = MailBruteForce().run(DetectContext(store, HOSPITAL))
    assert [f.entity for f in found] == ["203.0.113.50"]
