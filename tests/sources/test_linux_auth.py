"""Linux and OpenSSH authentication (syslog, RFC 5424, journald JSON): counts, rejects, one
exact record, and the sshd fixtures of fail2ban's test suite."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.sources.harness import ingest_sample

from rempart.sources.linux_auth import parse_message, split_line

REF = datetime(2026, 6, 1, tzinfo=UTC)
FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "data" / "fail2ban_log_fixtures"

AUTH_LOG = """\
Mar  1 10:00:00 srv sshd[1]: Failed password for invalid user admin from 203.0.113.5 port 4242 ssh2
Mar  1 10:00:01 srv sshd[1]: Accepted publickey for root from 198.51.100.7 port 22 ssh2
<38>1 2026-03-01T10:00:02.5Z srv sshd 77 - - Invalid user bob from 203.0.113.5 port 1
<86>Mar  1 10:00:03 srv sudo:   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash
Mar  1 10:00:04 srv su[9]: FAILED SU (to root) alice on pts/0
Mar  1 10:00:05 srv systemd-logind[5]: New session 3 of user alice.
Mar  1 10:00:06 srv sshd[1]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 \
tty=ssh ruser= rhost=203.0.113.5  user=root
Mar  1 10:00:07 srv sudo: pam_unix(sudo:auth): authentication failure; logname=alice uid=1000 \
euid=0 tty=/dev/pts/0 ruser=alice rhost=  user=alice
Mar  1 10:00:08 srv kernel: [1.0] eth0: link up
Mar  1 10:00:09 srv sshd[1]: Received disconnect from 203.0.113.5 port 4242:11: Bye
2026-03-01T11:00:00+01:00 srv sshd[2]: Connection closed by authenticating user root 203.0.113.9 \
port 5 [preauth]
"""


def test_syslog_counts_rejects_and_one_record(tmp_path: Path) -> None:
    got = ingest_sample(tmp_path, "auth.log", AUTH_LOG, reference=REF)
    assert got.ok
    assert got.counts == (8, 0)  # the PAM line repeating sshd's, the kernel's, a disconnect
    row = got.record("authentication", source_line=1)
    assert {k: row[k] for k in ("user", "src_ip", "dst_host", "service", "status")} == {
        "user": "admin",
        "src_ip": "203.0.113.5",
        "dst_host": "srv",
        "service": "ssh",
        "status": "failure",
    }
    assert row["status_detail"] == "invalid user" and row["auth_protocol"] == "password"
    assert row["time"] == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    rfc5424 = got.record("authentication", source_line=3)
    assert (rfc5424["user"], rfc5424["time"].microsecond) == ("bob", 500000)
    iso = got.record("authentication", source_line=11)
    assert iso["time"] == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert (iso["user"], iso["src_ip"]) == ("root", "203.0.113.9")
    services = {r["source_line"]: (r["service"], r["status"]) for r in got.rows("authentication")}
    assert services[4] == ("sudo", "success") and services[5] == ("su", "failure")
    assert services[6] == ("logind", "success") and services[8] == ("sudo", "failure")


def test_journald_json(tmp_path: Path) -> None:
    def entry(message: object, ident: str = "sshd", ts: object = "1772359200000000") -> str:
        return json.dumps({"__REALTIME_TIMESTAMP": ts, "_HOSTNAME": "web1",
                           "SYSLOG_IDENTIFIER": ident, "MESSAGE": message})  # fmt: skip

    text = "\n".join([
        entry("Failed password for root from 192.0.2.4 port 22 ssh2"),
        entry("Started Session 3 of user alice.", ident="systemd"),
        entry("Server listening on 0.0.0.0 port 22."),
        entry([65, 99, 99, *list(b"epted password for bob from 192.0.2.5 port 1 ssh2")]),
        entry("Failed password for root from 192.0.2.4 port 22 ssh2", ts="soon"),
        "{not json",
    ]) + "\n"  # fmt: skip
    got = ingest_sample(tmp_path, "journal.json", text, reference=REF)
    assert got.ok, got.result
    assert got.counts == (2, 2)  # systemd's line and sshd's chatter are passed over
    assert got.reasons == {"no timestamp": 1, "not JSON": 1}
    row = got.record("authentication", source_line=1)
    assert (row["user"], row["src_ip"], row["dst_host"], row["status"]) == (
        "root", "192.0.2.4", "web1", "failure")  # fmt: skip
    assert row["time"] == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert got.record("authentication", source_line=4)["status"] == "success"


def test_fail2ban_sshd_fixtures() -> None:
    """fail2ban's labelled sshd lines: the authentication failures among them (its
    aggressive mode also matches key-exchange and banner errors, not logins) are read with
    the right client address, and no line labelled harmless becomes a password failure."""
    path = FIXTURES / "sshd"
    if not path.exists():
        pytest.skip(f"{path} absent (public corpus not present)")
    labelled = read_as_failure = same_host = 0
    label: dict[str, object] | None = None
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("# failJSON:"):
            try:
                label = json.loads(line.split(":", 1)[1])
            except ValueError:
                label = None
            continue
        if line.startswith("#") or not line.strip():
            continue
        parts = split_line(line, REF)
        rec = parse_message(parts[2], parts[3]) if parts else "no tag"
        if label is not None and label.get("match"):
            labelled += 1
            if isinstance(rec, dict) and rec["status"] == "failure":
                read_as_failure += 1
                same_host += rec["src_ip"] == label.get("host")
        label = None
    assert labelled == 109
    assert read_as_failure >= 62 and same_host >= 58
