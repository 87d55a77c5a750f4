"""Mail server authentication logs: Dovecot, Postfix (SASL), Exim, and Exchange/OWA (IIS).

Syslog lines (classic `Mon DD hh:mm:ss`, ISO 8601, or daemontools TAI64N `@4000...`) are
matched by a few precompiled patterns per daemon; each login attempt becomes one
`authentication` row (status success / failure, user, client address, service). A mail
daemon's lines that are not login attempts (connections, TLS chatter) are rejected with
the reason "not a login record", so the counts stay exact; Postfix's queue lines (`QID:
from=`, `QID: to=`, `NOQUEUE: reject: RCPT`) are the mail flow, read by `postfix_delivery`
(`rempart.sources.mail_transfer`), and other programs' lines (a central syslog also holds
the kernel's firewall lines, sshd, cron) are left to the sources that read them.
A line that holds none of the words a login line must hold is passed over on its raw bytes
(most of a central syslog or of a Postfix log: see `_candidate`), so only login lines pay
for the Python patterns. Exchange's OWA/EWS/ActiveSync access goes through IIS: its W3C
log (`#Fields:` header) gives user, client address and HTTP status.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from rempart.sources.base import ParseContext, Source
from rempart.sources.gzipcut import is_gzip

_BATCH = 5000
MAX_LINE = 4000
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1
    )
}
_SYSLOG_TS = re.compile(r"^([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d\d):(\d\d):(\d\d)\s+")
_ISO_TS = re.compile(r"^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:?\d\d)?\s+")
_TAI_TS = re.compile(r"^@(4000[0-9a-f]{12})[0-9a-f]{8}\s+")
_BRACKET_TS = re.compile(
    r"^\[(\d{1,2})-([A-Z][a-z]{2})-(\d{4}) (\d\d:\d\d:\d\d)(?: ([+-]\d{4}))?\]:?\s*"
)
_INNER_TS = re.compile(r"\b(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)\b")
_IP = r"(?P<ip>[0-9a-fA-F:.]*[0-9a-fA-F])"

_DOVECOT_LOGIN = re.compile(r"(?P<svc>imap|pop3|managesieve|submission|lmtp)-login: ")
_DOVECOT_FIELDS = re.compile(r"\buser=<(?P<user>[^>]*)>.*?\brip=" + _IP)
_DOVECOT_RIP = re.compile(r"\brip=" + _IP)
_DOVECOT_PASSDB = re.compile(
    r"\b(?:pam|passwd-file|sql|ldap|checkpassword|static|shadow|passwd|lua|oauth2|auth)"
    r"\((?P<user>[^,()]*),(?P<ip>[0-9a-fA-F:.]+)(?:,[^)]*)?\)"
)
_RHOST = re.compile(r"\brhost=(?P<ip>[0-9a-fA-F:.]+[0-9a-fA-F])(?:\s|$)")
_RUSER = re.compile(r"\s(?:user|ruser)=(?P<user>[^\s=]+)(?:\s|$)")
_FAIL_WORDS = re.compile(
    r"(?i)auth failed|password mismatch|unknown user|authentication failure|"
    r"pam_authenticate\(\) failed|invalid credentials|plaintext auth|proxy dest auth failed"
)
_POSTFIX_SASL_FAIL = re.compile(
    r"postfix(?:-[\w]+)?/[\w/]*smtpd\[\d+\]: warning: [^\[\s]*\[" + _IP
    + r"\](?::\d+)?: SASL (?P<mech>[\w-]+) authentication failed(?P<rest>.*)"
)  # fmt: skip
_POSTFIX_SASL_OK = re.compile(
    r"postfix(?:-[\w]+)?/[\w/]*smtpd\[\d+\]: \w+: client=[^\[\s]*\[" + _IP
    + r"\](?::\d+)?, sasl_method=(?P<mech>[\w-]+), sasl_username=(?P<user>\S+)"
)  # fmt: skip
_SASL_USER = re.compile(r"sasl_username=(?P<user>\S+)")
_EXIM_FAIL = re.compile(
    r"(?P<mech>\w+) authenticator failed for (?:[^\s\[(]+ )?(?:\((?:[^()]|\([^)]*\))*\) )?\["
    + _IP
    + r"\](?::\d+)?.*?: 535"
    r"(?:.*?\(set_id=(?P<user>[^)]*)\))?"
)
_EXIM_OK = re.compile(r" <= \S+ .*?\[" + _IP + r"\](?::\d+)? .*?\bA=(?P<mech>\w+):(?P<user>\S+)")

# Other mail servers and webmails (their lines as fail2ban's filters know them)
_COURIER = re.compile(
    r"\b(?P<prog>[\w-]*(?:imap|pop3)[\w-]*|courier[\w-]*)(?:\[\d+\])?: LOGIN(?P<fail> FAILED)?, "
    r"(?:method=(?P<mech>[\w-]+), )?(?:user=(?P<user>[^,]*), )?ip=\[(?:::ffff:)?" + _IP + r"\]"
)
_CYRUS_FAIL = re.compile(
    r"\b(?P<prog>(?:cyrus/)?(?:imaps?|pop3s?|imapd|pop3d|sieve|lmtp)\w*)(?:\[\d+\])?: "
    r"badlogin: (?:[^\s\[]+ ?)?\[" + _IP + r"\] (?P<mech>[\w-]+)(?: (?P<user>(?!SASL)[^\s\[]+))?"
)
_CYRUS_OK = re.compile(
    r"\b(?P<prog>(?:cyrus/)?(?:imaps?|pop3s?|imapd|pop3d|sieve)\w*)(?:\[\d+\])?: "
    r"login: (?:[^\s\[]+ ?)?\[" + _IP + r"\] (?P<user>\S+) (?P<mech>[\w-]+)\b.*User logged in"
)
_UW = re.compile(
    r"\b(?P<prog>imapd|ipop3d|ipop2d)\[\d+\]: (?P<what>Login (?:failed|excessive login failures|"
    r"disabled) |Failed \S+ override of |Login |Authenticated )user=(?P<user>\S*)\s.*?\["
    + _IP
    + r"\]"
)
_WEBMAIL_FAIL = re.compile(
    r"(?:IMAP Error: Login failed|FAILED login|Failed login) for (?P<user>.*?) from "
)
# roundcube: the user name is the attacker's text and may hold " from 127.0.0.1": the
# address is the last "from" that ends the message or leads to its error or session
_WEBMAIL_FROM = re.compile(
    r" from " + _IP + r"(?=(?:\([^)]*\))?(?:\.\s+AUTHENTICATE|\s+in session|\.?\s*$))"
)
_SOGO = re.compile(
    r"SOGoRootPage (?P<ok>successful )?[Ll]ogin from '(?P<ip>[0-9a-fA-F:.]+)[^']*' for user "
    r"'(?P<user>[^']*)'(?P<maybe> might not have worked)?"
)
_SENDMAIL_AUTH = re.compile(r"\bAUTH failure \((?P<mech>[^)]*)\)")
_SENDMAIL_RELAY = re.compile(r"\brelay=(?:[^\s\[,]+ )?\[" + _IP + r"\]")
_SENDMAIL_ATTACK = re.compile(
    r"\[" + _IP + r"\](?: \(may be forged\))?: possible SMTP attack: command=AUTH"
)
_SOLID = re.compile(r"solid-pop3d\[\d+\]: (?P<what>.*) - " + _IP + r"\s*$")
_SOLID_USER = re.compile(r"(?:user(?: name)?:? )(?P<user>\S+)")
_USER_EQ = re.compile(r"\buser=(?P<user>[^,\s]+)")

_SNIFF = re.compile(
    rb"(?m)(dovecot|imap-login|pop3-login|postfix(-\w+)?/[\w/]*smtpd\[\d+\]: |"
    rb"authenticator failed for|auth-worker\(|pam_unix\(dovecot|: LOGIN(?: FAILED)?, |"
    rb"badlogin: |: Login (?:failed|excessive|disabled) user=|[Ll]ogin failed for |"
    rb"FAILED login for |Failed login for |SOGoRootPage |AUTH failure \(|"
    rb"possible SMTP attack: command=AUTH|solid-pop3d\[|: login: .*User logged in|"
    rb"(?:imapd|ipop3d)\[\d+\]: (?:Login|Authenticated) user=)"
)


# The programs of a mail server's syslog lines (the tag before the message).
_MAIL_PROGRAM = re.compile(
    r"\b(?:postfix[\w/-]*|dovecot|imap-login|pop3-login|exim\w*|sendmail|sm-mta|courier\S*|"
    r"cyrus\S*|saslauthd|auth-worker|opendkim|amavis\S*|spamd|rspamd|imapd[\w-]*|"
    r"i?pop3d[\w-]*|solid-pop3d|roundcube|sogod)(?:\[\d+\])?:"
)


# Postfix's queue lines (`QID: from=...`, `QID: to=...`, `QID: removed`) and its refused
# recipients (`NOQUEUE: reject: RCPT from ...`) are the mail flow, read by `postfix_delivery`
# (rempart.sources.mail_transfer): not logins, yet not this source's to reject. The pattern
# is written for both Python's `re` and DuckDB's RE2. A queue id is upper-case hex (short
# ids) or, with `enable_long_queue_ids`, base-52 without vowels: never a word like
# `warning` or `statistics`.
POSTFIX_QID = r"[0-9A-F]{4,}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,}|NOQUEUE"
POSTFIX_QUEUE_LINE = r"postfix[\w.-]*/([\w/.-]+)\[[0-9]+\]: (" + POSTFIX_QID + "): "
# Exim's message id (4.97 and later: longer middle and last parts) and its event flags
EXIM_ID = r"[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}"
EXIM_FLAGS = r"<=|=>|->|>>|\*>|\*\*|=="
# Sendmail's programs, queue id and the queue lines `sendmail_delivery` reads
SENDMAIL_PROGRAM = r"(?:sendmail|sm-mta|sm-msp-queue|sm-acceptingconnections)\[[0-9]+\]: "
SENDMAIL_QID = r"[0-9A-Za-z]{10,20}"
SENDMAIL_KINDS = r"from=|to=|ruleset=check_rcpt, "
# what `postfix_delivery` reads: the queue lines, and the refused recipients (other
# NOQUEUE refusals, at EHLO or CONNECT, are chatter like `connect from`: rejected here);
# and Sendmail's (`sendmail_delivery`) and Exim's in syslog (`exim_delivery`): the mail
# flow too, not failed logins
_POSTFIX_FLOW = re.compile(
    r"postfix[\w.-]*/[\w/.-]+\[[0-9]+\]: (?:(?:"
    + POSTFIX_QID.replace("|NOQUEUE", "")
    + r"): |NOQUEUE: (?:milter-)?reject: RCPT from )"
    + rf"|{SENDMAIL_PROGRAM}{SENDMAIL_QID}: (?:{SENDMAIL_KINDS})"
    + rf"|exim\w*\[[0-9]+\]: (?:\[[0-9]+\] )?{EXIM_ID} (?:{EXIM_FLAGS}|Completed)"
)


def syslog_time_sql(reference: datetime, line: str = "line") -> str:
    """DuckDB twin of `_line_time` for sources that read syslog as lines in SQL.

    BSD stamps (`Mar 11 08:00:01`, fractions allowed) take the reference's year (the
    previous one past reference + 2 days: December read in January) and UTC; RFC 3339 /
    ISO stamps keep their zone (none: UTC). NULL when the line has neither."""
    year = int(reference.year)
    text = (
        f"'{year} ' || regexp_replace(regexp_extract({line}, '^([A-Z][a-z]{{2}} +[0-9]{{1,2}} +"
        r"[0-9]{2}:[0-9]{2}:[0-9]{2})(\.[0-9]+)?\s', 1), ' +', ' ', 'g')"
    )
    stamp = f"(CAST(try_strptime({text}, '%Y %b %d %H:%M:%S') AS TIMESTAMP) AT TIME ZONE 'UTC')"
    limit = f"TIMESTAMPTZ '{reference.astimezone(UTC).isoformat()}' + INTERVAL 2 DAY"
    iso = (
        rf"TRY_CAST(nullif(regexp_extract({line}, '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}[ T]"
        r"[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:?[0-9]{2})?\s'), '')"
        " AS TIMESTAMPTZ)"
    )
    return (
        f"coalesce({iso}, CASE WHEN {stamp} > {limit} THEN {stamp} - INTERVAL 1 YEAR "
        f"ELSE {stamp} END)"
    )


def _line_time(line: str, ref: datetime) -> tuple[datetime | None, str]:
    """(UTC time, rest of the line) from the line's timestamp prefix."""
    m = _SYSLOG_TS.match(line)
    if m:
        mon, day, hh, mm, ss = m.groups()
        try:
            when = datetime(ref.year, _MONTHS[mon], int(day), int(hh), int(mm), int(ss), tzinfo=UTC)
        except (KeyError, ValueError):
            return None, line
        if when > ref + timedelta(days=2):  # a year-less date after "now" is last year's
            when = when.replace(year=ref.year - 1)
        return when, line[m.end() :]
    m = _ISO_TS.match(line)
    if m:
        zone = m.group(3) or "+00:00"
        zone = "+00:00" if zone == "Z" else zone
        try:
            when = datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}{zone}").astimezone(UTC)
        except ValueError:
            return None, line
        return when, line[m.end() :]
    m = _TAI_TS.match(line)
    if m:
        seconds = int(m.group(1), 16) - 2**62 - 10
        return datetime.fromtimestamp(seconds, tz=UTC), line[m.end() :]
    m = _BRACKET_TS.match(line)  # Roundcube's own log: [22-Jan-2013 22:28:21 +0200]:
    if m:
        day, mon, year, clock, zone = m.groups()
        try:
            when = datetime.strptime(
                f"{day} {mon} {year} {clock} {zone or '+0000'}", "%d %b %Y %H:%M:%S %z"
            )
        except ValueError:
            return None, line
        return when.astimezone(UTC), line[m.end() :]
    m = _INNER_TS.search(line[:100])  # "host prog[pid]: 2021-07-17 23:20:49 ..." (journald)
    if m:
        try:
            return datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}+00:00"), line
        except ValueError:  # "0000-00-00 00:00:00" and the like: no time
            return None, line
    return None, line


def parse_line(rest: str) -> dict[str, Any] | None:
    """A login attempt from one log line (timestamp removed), or None."""
    rest = rest[:MAX_LINE]  # bounded: no pattern sees an unbounded attacker-made line
    m = _POSTFIX_SASL_FAIL.search(rest)
    if m and "Connection lost to authentication server" not in m.group("rest"):
        # (a lost authentication server fails every client: no one's password was wrong)
        u = _SASL_USER.search(m.group("rest"))
        return _row(
            m.group("ip"), u.group("user") if u else None, "smtp", "failure", m.group("mech")
        )
    m = _POSTFIX_SASL_OK.search(rest)
    if m:
        return _row(m.group("ip"), m.group("user"), "smtp", "success", m.group("mech"))
    m = _EXIM_FAIL.search(rest)
    if m:
        return _row(m.group("ip"), m.group("user"), "smtp", "failure", m.group("mech"))
    m = _EXIM_OK.search(rest)
    if m:
        return _row(m.group("ip"), m.group("user"), "smtp", "success", m.group("mech"))
    if "-login: " in rest:
        svc = _DOVECOT_LOGIN.search(rest)
        service = svc.group("svc") if svc else "imap"
        if re.search(r"-login: (?:Info: )?Login: ", rest):
            f = _DOVECOT_FIELDS.search(rest)
            if f:
                return _row(f.group("ip"), f.group("user"), service, "success", None)
        if _FAIL_WORDS.search(rest):
            f = _DOVECOT_FIELDS.search(rest)
            ip = f.group("ip") if f else None
            if ip is None:
                r = _DOVECOT_RIP.search(rest)
                ip = r.group("ip") if r else None
            if ip:
                return _row(ip, f.group("user") if f else None, service, "failure", None)
        return None
    other = _other_servers(rest)
    if other is not None:
        return other
    if _FAIL_WORDS.search(rest):
        m = _DOVECOT_PASSDB.search(rest)
        if m:
            return _row(m.group("ip"), m.group("user"), "imap", "failure", None)
        hosts = _RHOST.findall(rest)
        if hosts and "dovecot" in rest:
            u = _RUSER.search(rest.split("rhost=")[-1])
            return _row(hosts[-1], u.group("user") if u else None, "imap", "failure", None)
    return None


def _service(prog: str) -> str:
    return "pop3" if "pop" in prog.lower() else "imap"


# what one of `_other_servers`' patterns needs (one search instead of ten on other lines)
_OTHER_HINT = re.compile(
    r"LOGIN|badlogin: |login: |[Ll]ogin |Authenticated user=|FAILED login|Failed login|"
    r"SOGoRootPage|AUTH failure|command=AUTH|solid-pop3d|override of"
)


def _other_servers(rest: str) -> dict[str, Any] | None:
    """Courier, Cyrus, UW-IMAP, solid-pop3d, Sendmail, and the Roundcube and SOGo webmails."""
    if not _OTHER_HINT.search(rest):
        return None
    m = _COURIER.search(rest)
    if m:
        status = "failure" if m.group("fail") else "success"
        return _row(
            m.group("ip"), m.group("user"), _service(m.group("prog")), status, m.group("mech")
        )
    m = _CYRUS_FAIL.search(rest)
    if m:
        return _row(
            m.group("ip"), m.group("user"), _service(m.group("prog")), "failure", m.group("mech")
        )
    m = _CYRUS_OK.search(rest)
    if m:
        return _row(
            m.group("ip"), m.group("user"), _service(m.group("prog")), "success", m.group("mech")
        )
    m = _UW.search(rest)
    if m:
        ok = m.group("what") in ("Login ", "Authenticated ")
        status = "success" if ok else "failure"
        return _row(m.group("ip"), m.group("user"), _service(m.group("prog")), status, None)
    m = _WEBMAIL_FAIL.search(rest)
    if m:
        ips = _WEBMAIL_FROM.findall(rest)
        if ips:
            user = m.group("user").split(" from ")[0].split(" against ")[0]
            return _row(ips[-1], user[:200], "webmail", "failure", None)
    m = _SOGO.search(rest)
    if m and (m.group("ok") or m.group("maybe")):
        status = "failure" if m.group("maybe") else "success"
        return _row(m.group("ip"), m.group("user"), "webmail", status, None)
    m = _SENDMAIL_AUTH.search(rest)
    if m:
        relays = _SENDMAIL_RELAY.findall(rest)
        u = _USER_EQ.search(rest)
        if relays:
            return _row(
                relays[-1], u.group("user") if u else None, "smtp", "failure", m.group("mech")
            )
    m = _SENDMAIL_ATTACK.search(rest)
    if m:
        return _row(m.group("ip"), None, "smtp", "failure", None)
    m = _SOLID.search(rest)
    if m and re.search(r"failed|not allowed|can't", m.group("what")):
        u = _SOLID_USER.search(m.group("what"))
        return _row(m.group("ip"), u.group("user") if u else None, "pop3", "failure", None)
    return None


def _row(
    ip: str | None, user: str | None, service: str, status: str, proto: str | None
) -> dict[str, Any]:
    return {
        "src_ip": ip,
        "user": (user or "").strip().lower() or None,
        "service": service,
        "status": status,
        "auth_protocol": proto.upper() if proto else None,
    }


def _raw_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    import gzip

    opener = gzip.open if is_gzip(path) else open
    with opener(path, "rb") as fh:
        yield from enumerate(fh, start=1)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    for number, raw in _raw_lines(path):
        yield number, raw.decode("utf-8", errors="replace").rstrip("\r\n")


# A line `parse_line` can read holds one of these (each of its patterns needs one): the
# other lines, most of a central syslog or of a Postfix log, are passed over on their raw
# bytes, without decoding them, reading their time or trying every pattern. Two plain
# alternations, the second on the lower-cased line: one case-insensitive expression of the
# same words is four times slower in `re`.
_MARKERS = re.compile(rb"A=|sasl_username=|-login: ")  # (case-sensitive, as their patterns)
# the failure words ("auth" stands for every form of it)
_WORDS = re.compile(
    rb"auth|login|password mismatch|unknown user|invalid credentials|might not have worked|"
    rb"override of|apop"
)


def _candidate(raw: bytes) -> bool:
    """Whether `parse_line` may read this line (a superset: it decides)."""
    return _MARKERS.search(raw) is not None or _WORDS.search(raw.lower()) is not None


# the stamp `_line_time` removes (the rest of the line is what the program patterns see)
_STAMP = re.compile(
    rb"^(?:(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s+\d{1,2}\s+\d\d:\d\d:\d\d\s+|"
    rb"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?\s+|"
    rb"@4000[0-9a-f]{12}[0-9a-f]{8}\s+)"
)
_MAIL_PROGRAM_B = re.compile(_MAIL_PROGRAM.pattern.encode())
_POSTFIX_FLOW_B = re.compile(_POSTFIX_FLOW.pattern.encode())


def _other_mail_line(raw: bytes) -> bool:
    """A mail daemon's line that is not a login (rejected, so the counts stay exact), as
    opposed to the mail flow (`postfix_delivery`'s) or another program's line."""
    stamp = _STAMP.match(raw)
    start = stamp.end() if stamp else 0
    return bool(
        _MAIL_PROGRAM_B.search(raw, start, start + 160)
        and not _POSTFIX_FLOW_B.search(raw, start, start + 200)
    )


class MailAuthSyslogSource(Source):
    NAME = "mail_auth_syslog"
    SHARES_LINES = True
    VERSION = "1.0"
    EVENT_CLASS = "authentication"
    DESCRIPTION = (
        "Dovecot, Postfix SASL, Exim, Courier, Cyrus, UW-IMAP, Sendmail, Roundcube and SOGo "
        "login attempts from syslog or their own logs"
    )

    def sniff(self, head: bytes, path: Path) -> bool:
        return bool(_SNIFF.search(head))

    def parse(self, path: Path, ctx: ParseContext) -> None:
        rows: list[dict[str, Any]] = []
        for number, raw in _raw_lines(path):
            if raw.startswith(b"#"):
                continue
            if not _candidate(raw):
                if _other_mail_line(raw):
                    ctx.reject(number, "not a login record")
                continue
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            if not line.strip():
                continue
            when, rest = _line_time(line, ctx.reference_time)
            rec = parse_line(rest)
            if rec is None:
                # a mail daemon's other messages are rejected (the counts stay exact); other
                # programs' lines in a shared syslog (kernel, sshd, cron) are not this
                # source's: another one may read them (`SHARES_LINES`)
                if _MAIL_PROGRAM.search(rest[:160]) and not _POSTFIX_FLOW.search(rest[:200]):
                    ctx.reject(number, "not a login record")
                continue
            if when is None:
                ctx.reject(number, "no timestamp")
                continue
            rec.update(
                time=when,
                dst_host=rest.split(" ", 1)[0] if _SYSLOG_TS.match(line) else None,
                raw=line[:4000],
                event_uid=f"{ctx.file_id}:{number}",
                source_file=str(ctx.path),
                source_line=number,
                source_format=self.NAME,
            )
            rows.append(rec)
            if len(rows) >= _BATCH:
                ctx.emit(pa.Table.from_pylist(rows, schema=self.schema()))
                rows = []
        if rows:
            ctx.emit(pa.Table.from_pylist(rows, schema=self.schema()))


_OWA_PATHS = (
    "/owa",
    "/ews",
    "/mapi",
    "/microsoft-server-activesync",
    "/ecp",
    "/rpc",
    "/autodiscover",
    "/oab",
)


# IIS's 401 answers that are a step of Windows authentication, not a refused password:
# 401.2 (the anonymous first request) and SEC_E_NO_CREDENTIALS (0x8009030E, NTLM's
# challenge leg). Every Outlook connection to EWS, MAPI or Autodiscover starts with them;
# counted as failures, each busy client became a "brute force".
_NO_CREDENTIALS = "2148074254"
# win32 statuses of a refused logon: bad password or unknown user (0x52E), account locked
# (0x775), password expired (0x532), disabled (0x533), restricted (0x52F), SEC_E_LOGON_DENIED
_LOGON_FAILED = frozenset(["1326", "1909", "1330", "1331", "1327", "2148074252"])


def _challenge(values: dict[str, str], user: str) -> bool:
    """Is this 401 a step of the authentication handshake rather than a failed logon?
    Without IIS's sub-status and win32 status, only a 401 naming no user is taken as one."""
    sub, win32 = values.get("sc-substatus"), values.get("sc-win32-status")
    if sub is None and win32 is None:
        return user == "-"
    if win32 in _LOGON_FAILED:
        return False
    return sub == "2" or win32 == _NO_CREDENTIALS or (sub != "1" and user == "-")


class ExchangeIisSource(Source):
    """Exchange client access (OWA, EWS, ActiveSync, MAPI) from the IIS W3C log."""

    NAME = "exchange_iis"
    VERSION = "1.0"
    EVENT_CLASS = "authentication"
    DESCRIPTION = "Exchange OWA/EWS/ActiveSync access from IIS W3C logs (#Fields header)"

    def sniff(self, head: bytes, path: Path) -> bool:
        return b"#Fields:" in head and b"cs-uri-stem" in head and b"c-ip" in head

    def parse(self, path: Path, ctx: ParseContext) -> None:
        fields: list[str] = []
        rows: list[dict[str, Any]] = []
        for number, line in _lines(path):
            if line.startswith("#Fields:"):
                fields = line.split()[1:]
                continue
            if not line or line.startswith("#"):
                continue
            values = dict(zip(fields, line.split(" "), strict=False))
            stem = values.get("cs-uri-stem", "").lower()
            if not stem.startswith(_OWA_PATHS):
                ctx.reject(number, "not an Exchange client access")
                continue
            try:
                when = datetime.fromisoformat(f"{values['date']}T{values['time']}+00:00")
                status = int(values.get("sc-status", "0"))
            except (KeyError, ValueError):
                ctx.reject(number, "bad date, time or status")
                continue
            user = values.get("cs-username", "-")
            is_login = stem.startswith("/owa/auth") and values.get("cs-method") == "POST"
            if status == 401 and _challenge(values, user):
                ctx.reject(number, "authentication challenge (401 before credentials)")
                continue
            if status == 401 or (is_login and "reason=" in values.get("cs-uri-query", "")):
                outcome = "failure"
            elif user != "-" and 200 <= status < 400:
                outcome = "success"
            else:
                ctx.reject(number, "anonymous or unauthenticated request")
                continue
            rows.append(
                {
                    "time": when,
                    "user": None if user == "-" else user.lower().replace("%5c", "\\"),
                    "src_ip": values.get("c-ip"),
                    "dst_host": values.get("s-ip"),
                    "service": "owa"
                    if stem.startswith(("/owa", "/ecp"))
                    else stem.strip("/").split("/")[0],
                    "status": outcome,
                    "status_detail": str(status),
                    "raw": line[:4000],
                    "event_uid": f"{ctx.file_id}:{number}",
                    "source_file": str(ctx.path),
                    "source_line": number,
                    "source_format": self.NAME,
                }
            )
        if rows:
            ctx.emit(pa.Table.from_pylist(rows, schema=self.schema()))
