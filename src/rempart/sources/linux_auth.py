"""Linux and OpenSSH authentication: sshd, sudo, su, PAM, login and systemd-logind.

Two carriers of the same messages: syslog lines (BSD `Mon DD hh:mm:ss host prog[pid]:`,
RFC 3164 or RFC 5424 with their `<PRI>` prefix, or an ISO 8601 stamp as rsyslog writes it)
and journald's JSON export (`journalctl -o json`, one object a line). Each login attempt
becomes one `authentication` row: service `ssh`, `sudo`, `su`, `login` or `logind`, status
success / failure, the account, the client address (sshd), the machine (`dst_host`).

The lines of these programs that are not login attempts (session closed, disconnects, key
exchange chatter: most of an auth.log) are passed over like other programs' lines in a
shared syslog (`SHARES_LINES`), not rejected: nothing in them is broken. PAM's
`pam_unix(sshd:auth)` failure repeats the `Failed password` line sshd writes next to it:
it is passed over too, so one wrong password is one failure. A login line without a
readable time is rejected.
"""

from __future__ import annotations

import json
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
_PRI = r"(?:<\d{1,3}>)?"
# RFC 5424: <PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD | -] MSG
_RFC5424 = re.compile(
    r"^<\d{1,3}>1 (?P<ts>\S+) (?P<host>\S+) (?P<prog>\S+) (?P<pid>\S+) \S+ "
    r"(?:-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: |$)(?:\ufeff)?(?P<msg>.*)$"
)
_BSD = re.compile(
    r"^" + _PRI + r"(?P<mon>[A-Z][a-z]{2})\s+(?P<day>\d{1,2})\s+(?P<clock>\d\d:\d\d:\d\d)"
    r"(?:\.\d+)?\s+(?P<rest>.*)$"
)
_ISO = re.compile(
    r"^" + _PRI + r"(?P<ts>\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)\s+"
    r"(?P<rest>.*)$"
)
# after the stamp: an optional host, then `prog[pid]:` (Solaris adds `[ID n facility]`)
_TAG = re.compile(
    r"^(?:(?P<host>[^\s\[\]:]+)\s+)?(?P<prog>[\w./-]+|\[[\w./-]+\])(?:\[(?P<pid>\d+)\])?:\s?"
    r"(?:\[ID \d+ [\w.]+\]\s)?(?P<msg>.*)$"
)
PROGRAMS = ("sshd", "sshd-session", "sudo", "su", "login", "systemd-logind")
_PROGRAM_OF = {"sshd-session": "sshd", "[sshd]": "sshd"}

_IP = r"(?:::ffff:)?(?P<ip>[0-9a-fA-F:.]*[0-9a-fA-F]|[\w.-]+)"
_SSH_FAILED = re.compile(
    r"^Failed (?P<method>[\w/-]+) for (?P<invalid>invalid user )?(?P<user>.*?) from "
    + _IP
    + r"(?: port \d+)?(?: ssh2)?"
)
_SSH_ACCEPTED = re.compile(
    r"^Accepted (?P<method>[\w/-]+) for (?P<user>\S+) from " + _IP + r"(?: port \d+)?"
)
_SSH_INVALID = re.compile(r"^[Ii]nvalid user (?P<user>.*?) from " + _IP + r"(?: port \d+)?\s*$")
_SSH_PAM_ERR = re.compile(
    r"^error: PAM: [Aa]uthentication (?:failure|error) for (?:illegal user )?(?P<user>\S+) from "
    + _IP
)
_SSH_PAM_UNKNOWN = re.compile(
    r"^error: PAM: User not known to the underlying authentication module for "
    r"(?:illegal user )?(?P<user>\S+) from " + _IP
)
_SSH_MAX_TRIES = re.compile(
    r"^(?:error: )?maximum authentication attempts exceeded for (?:invalid user )?(?P<user>\S+) "
    r"from " + _IP
)
# a client that gives up while authenticating (key probing, or a guesser's next try)
_SSH_CLOSED_AUTH = re.compile(
    r"^(?:Connection (?:closed|reset) by|Disconnected from|Disconnecting) "
    r"(?P<kind>authenticating|invalid) user (?P<user>\S*) +(?:\S+ )*?" + _IP + r" port \d+"
)
_SSH_AUTH_FAIL = re.compile(
    r"^(?:error: )?Received disconnect from " + _IP + r"(?: port \d+)?: ?3: .*Auth fail"
)
_SSH_ROOT_REFUSED = re.compile(r"^ROOT LOGIN REFUSED FROM " + _IP)
_SSH_NOT_ALLOWED = re.compile(r"^User (?P<user>\S+) from " + _IP + r" not allowed because")
_PAM_FAIL = re.compile(r"^pam_unix\((?P<svc>[\w-]+):auth\): authentication failure;")
_PAM_FIELD = re.compile(r"\b(?P<key>ruser|rhost|user)=(?P<value>\S*)")
_SUDO_OK = re.compile(r"^\s*(?P<user>\S+) : (?:.*?; )?TTY=.*?; USER=(?P<target>\S+) ;")
_SUDO_FAIL = re.compile(r"^\s*(?P<user>\S+) : (?:\d+ incorrect password attempts?|"
                        r"user NOT in sudoers|a password is required) ;")  # fmt: skip
_SU_OK = re.compile(
    r"^(?:\(to (?P<target>\S+)\) (?P<user>\S+) on \S+|Successful su for (?P<target2>\S+) by "
    r"(?P<user2>\S+))"
)
_SU_FAIL = re.compile(
    r"^(?:FAILED SU \(to (?P<target>\S+)\) (?P<user>\S+) on \S+|FAILED su for (?P<target2>\S+) "
    r"by (?P<user2>\S+))"
)
_LOGIN_FAIL = re.compile(r"^FAILED LOGIN \(\d+\) on '?(?P<tty>[^' ]+)'? FOR '?(?P<user>[^',]+)")
_LOGIN_ROOT = re.compile(r"^ROOT LOGIN\s+ON '?(?P<tty>[^' ]+)")
_LOGIND = re.compile(r"^New session \S+ of user (?P<user>[^\s.]+)\.?")

_SNIFF = re.compile(
    rb"(?m)\b(?:sshd(?:-session)?|sudo|su|login|systemd-logind)(?:(?:\[\d+\])?: | \d+ \S+ )"
    rb"|\[sshd\]: |\"SYSLOG_IDENTIFIER\" ?: ?\"(?:sshd|sudo|su|login|systemd-logind)\""
)
_LINE_HINT = re.compile(
    rb"\b(?:sshd(?:-session)?|sudo|su|login|systemd-logind)(?:(?:\[\d+\])?: | \S+ \S+ )|\[sshd\]: "
)


def _row(
    user: str | None,
    ip: str | None,
    service: str,
    status: str,
    detail: str | None = None,
    proto: str | None = None,
) -> dict[str, Any]:
    user = (user or "").strip() or None
    if user in ("<invalid username>", "(unknown)"):
        user = None
    return {
        "user": user[:200] if user else None,
        "src_ip": (ip or "").strip() or None,
        "service": service,
        "status": status,
        "status_detail": detail,
        "auth_protocol": proto,
    }


def parse_message(program: str, message: str) -> dict[str, Any] | str:
    """A login attempt from one program's message, or the reason it is not one."""
    program = _PROGRAM_OF.get(program, program)
    message = message[:MAX_LINE].rstrip()
    if program == "sshd":
        m = _SSH_FAILED.match(message)
        if m:
            detail = "invalid user" if m.group("invalid") else None
            return _row(m.group("user"), m.group("ip"), "ssh", "failure", detail, m.group("method"))
        m = _SSH_ACCEPTED.match(message)
        if m:
            return _row(m.group("user"), m.group("ip"), "ssh", "success", None, m.group("method"))
        m = _SSH_INVALID.match(message)
        if m:
            return _row(m.group("user"), m.group("ip"), "ssh", "failure", "invalid user")
        m = _SSH_PAM_ERR.match(message)
        if m:
            return _row(m.group("user"), m.group("ip"), "ssh", "failure", None, "PAM")
        m = _SSH_PAM_UNKNOWN.match(message)
        if m:
            return _row(m.group("user"), m.group("ip"), "ssh", "failure", "unknown user", "PAM")
        m = _SSH_MAX_TRIES.match(message)
        if m:
            return _row(m.group("user"), m.group("ip"), "ssh", "failure", "too many attempts")
        m = _SSH_CLOSED_AUTH.match(message)
        if m:
            detail = (
                "invalid user" if m.group("kind") == "invalid" else "closed while authenticating"
            )
            return _row(m.group("user"), m.group("ip"), "ssh", "failure", detail)
        m = _SSH_AUTH_FAIL.match(message)
        if m:
            return _row(None, m.group("ip"), "ssh", "failure", "client reported auth fail")
        m = _SSH_ROOT_REFUSED.match(message)
        if m:
            return _row("root", m.group("ip"), "ssh", "failure", "root login refused")
        m = _SSH_NOT_ALLOWED.match(message)
        if m:
            return _row(m.group("user"), m.group("ip"), "ssh", "failure", "not allowed")
        if message.startswith("pam_unix(sshd:auth)"):
            return "PAM line repeating sshd's own"
        return "not a login record"
    m = _PAM_FAIL.match(message)
    if m:
        svc = {"sudo": "sudo", "su": "su", "su-l": "su", "login": "login"}.get(
            m.group("svc"), m.group("svc")
        )
        fields = {f.group("key"): f.group("value") for f in _PAM_FIELD.finditer(message)}
        user = fields.get("user") or fields.get("ruser")
        return _row(user, fields.get("rhost") or None, svc, "failure", None, "PAM")
    if program == "sudo":
        m = _SUDO_FAIL.match(message)
        if m:
            return _row(m.group("user"), None, "sudo", "failure", message.split(" ; ")[0].split(
                " : ", 1)[-1].strip()[:200])  # fmt: skip
        m = _SUDO_OK.match(message)
        if m:
            return _row(m.group("user"), None, "sudo", "success", f"as {m.group('target')}")
    elif program == "su":
        m = _SU_FAIL.match(message)
        if m:
            target = m.group("target") or m.group("target2")
            return _row(m.group("user") or m.group("user2"), None, "su", "failure", f"to {target}")
        m = _SU_OK.match(message)
        if m:
            target = m.group("target") or m.group("target2")
            return _row(m.group("user") or m.group("user2"), None, "su", "success", f"to {target}")
    elif program == "login":
        m = _LOGIN_FAIL.match(message)
        if m:
            return _row(m.group("user"), None, "login", "failure", m.group("tty"))
        m = _LOGIN_ROOT.match(message)
        if m:
            return _row("root", None, "login", "success", m.group("tty"))
    elif program == "systemd-logind":
        m = _LOGIND.match(message)
        if m:
            return _row(m.group("user"), None, "logind", "success")
    return "not a login record"


def split_line(line: str, ref: datetime) -> tuple[datetime | None, str | None, str, str] | None:
    """(time, host, program, message) of a syslog line, or None when it has no tag."""
    m = _RFC5424.match(line)
    if m:
        return _iso(m.group("ts")), _nil(m.group("host")), m.group("prog"), m.group("msg")
    when: datetime | None
    m = _BSD.match(line)
    if m:
        try:
            when = datetime.strptime(
                f"{ref.year} {m.group('mon')} {m.group('day')} {m.group('clock')}",
                "%Y %b %d %H:%M:%S",
            ).replace(tzinfo=UTC)
        except ValueError:
            when = None
        if when is not None and when > ref + timedelta(days=2):  # December read in January
            when = when.replace(year=ref.year - 1)
        rest = m.group("rest")
    else:
        m = _ISO.match(line)
        if not m:
            return None
        when, rest = _iso(m.group("ts")), m.group("rest")
    t = _TAG.match(rest)
    if not t:
        return None
    return when, t.group("host"), t.group("prog").strip("[]"), t.group("msg")


def _nil(value: str) -> str | None:
    return None if value == "-" else value


def _iso(text: str) -> datetime | None:
    text = text.replace(" ", "T").replace("Z", "+00:00")
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _raw_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    import gzip

    opener = gzip.open if is_gzip(path) else open
    with opener(path, "rb") as fh:
        yield from enumerate(fh, start=1)


class _Emitter:
    def __init__(self, source: Source, ctx: ParseContext) -> None:
        self.source, self.ctx, self.rows = source, ctx, []  # type: ignore[var-annotated]

    def add(self, rec: dict[str, Any], number: int, raw: str) -> None:
        ctx = self.ctx
        rec.update(
            raw=raw[:4000],
            event_uid=f"{ctx.file_id}:{number}",
            source_file=str(ctx.path),
            source_line=number,
            source_format=self.source.NAME,
        )
        self.rows.append(rec)
        if len(self.rows) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.ctx.emit(pa.Table.from_pylist(self.rows, schema=self.source.schema()))
            self.rows = []


class LinuxAuthSyslogSource(Source):
    NAME = "linux_auth_syslog"
    VERSION = "1.0"
    EVENT_CLASS = "authentication"
    SHARES_LINES = True
    DESCRIPTION = "sshd, sudo, su, login, PAM and systemd-logind logins from syslog (auth.log)"

    def sniff(self, head: bytes, path: Path) -> bool:
        """A syslog line of one of these programs among the first ones."""
        if head.lstrip().startswith(b"{") or not _SNIFF.search(head):
            return False
        ref = datetime.now(UTC)
        for raw in head.split(b"\n")[:200]:
            if not _LINE_HINT.search(raw, 0, 300):
                continue
            parts = split_line(raw.decode("utf-8", errors="replace").rstrip("\r"), ref)
            if parts is not None and _PROGRAM_OF.get(parts[2], parts[2]) in PROGRAMS:
                return True
        return False

    def parse(self, path: Path, ctx: ParseContext) -> None:
        out = _Emitter(self, ctx)
        for number, raw in _raw_lines(path):
            if not _LINE_HINT.search(raw, 0, 300):
                continue  # another program's line (a shared syslog): not this source's
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            parts = split_line(line, ctx.reference_time)
            if parts is None:
                continue
            when, host, program, message = parts
            if _PROGRAM_OF.get(program, program) not in PROGRAMS:
                continue
            rec = parse_message(program, message)
            if isinstance(rec, str):
                continue  # chatter, not a login (see the module's docstring)
            if when is None:
                ctx.reject(number, "no timestamp")
                continue
            rec.update(time=when, dst_host=host)
            out.add(rec, number, line)
        out.flush()


class JournaldAuthSource(Source):
    NAME = "journald_auth"
    VERSION = "1.0"
    EVENT_CLASS = "authentication"
    DESCRIPTION = "sshd, sudo, su, login, PAM and systemd-logind logins from `journalctl -o json`"

    def sniff(self, head: bytes, path: Path) -> bool:
        return head.lstrip().startswith(b"{") and b'"__REALTIME_TIMESTAMP"' in head

    def parse(self, path: Path, ctx: ParseContext) -> None:
        out = _Emitter(self, ctx)
        for number, raw in _raw_lines(path):
            if not raw.strip():
                continue
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            try:
                obj = json.loads(line)
            except ValueError:
                ctx.reject(number, "not JSON")
                continue
            if not isinstance(obj, dict):
                ctx.reject(number, "not a JSON object")
                continue
            program = str(obj.get("SYSLOG_IDENTIFIER") or obj.get("_COMM") or "")
            if _PROGRAM_OF.get(program, program) not in PROGRAMS:
                continue  # the journal holds every program: only these are logins
            message = obj.get("MESSAGE")
            if isinstance(message, list):  # journald writes non-UTF-8 messages as bytes
                message = bytes(b for b in message if isinstance(b, int) and 0 <= b < 256)
                message = message.decode("utf-8", errors="replace")
            if not isinstance(message, str):
                ctx.reject(number, "no message")
                continue
            rec = parse_message(program, message)
            if isinstance(rec, str):
                continue  # chatter, not a login
            try:
                micros = int(obj["__REALTIME_TIMESTAMP"])
                when = datetime.fromtimestamp(micros / 1e6, tz=UTC)
            except (KeyError, TypeError, ValueError, OverflowError, OSError):
                ctx.reject(number, "no timestamp")
                continue
            host = obj.get("_HOSTNAME")
            rec.update(time=when, dst_host=str(host) if host else None)
            out.add(rec, number, line)
        out.flush()
