"""Linux and SSH logins: password guessing and spraying, a login that finally works, an
account used from a new address, root logging in remotely.

Set-based queries over `authentication`, Linux services only (`ssh`, `sudo`, `su`,
`login`, `logind`: `rempart.sources.linux_auth`); the mail services have their own
detectors (`rempart.detect.mail.intrusion`) and Windows logons theirs
(`rempart.detect.host.windows_auth`).
"""

from __future__ import annotations

from typing import Any

from rempart.core.i18n import msg
from rempart.detect.base import DetectContext, Detector, Finding, Severity, internal_checker


def _not_loopback(col: str) -> str:
    """SQL: `col` is not a loopback address (a local proxy speaking for every client)."""
    return (
        f"NOT ({col} LIKE '127.%' OR {col} LIKE '::ffff:127.%' OR {col} = '::1' "
        f"OR {col} = 'localhost')"
    )


LINUX_SERVICES = ("ssh", "sudo", "su", "login", "logind")
BRUTE_MIN_FAILURES = 10  # in one hour from one address
BRUTE_RELATIVE_MIN = 5  # ... or this many and five times the target's usual hourly failures
SPRAY_MIN_USERS = 5
AFTER_FAILURES_MIN = 5

_SERVICES = ", ".join(f"'{s}'" for s in LINUX_SERVICES)
LOGINS = f"""logins AS (
    SELECT event_uid, time, user, src_ip, dst_host, service, status, status_detail
    FROM authentication WHERE service IN ({_SERVICES}))"""


def _rows(
    ctx: DetectContext, sql: str, params: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    return list(ctx.engine.query(sql, params).to_pylist())


class LinuxBruteForce(Detector):
    NAME = "linux_bruteforce"
    VERSION = "1.0"
    INPUTS = ("authentication",)
    ATTACK = ("T1110.001", "T1110.003")
    DESCRIPTION = "Many failed SSH or local logins from one address: guessing or spraying."

    def run(self, ctx: DetectContext) -> list[Finding]:
        sql = f"""WITH {LOGINS},
        hourly AS (
            SELECT src_ip, coalesce(dst_host, '?') AS host,
                   time_bucket(INTERVAL 1 HOUR, time) AS hour,
                   count(*) AS failures, count(DISTINCT user) AS users,
                   min(time) AS first, max(time) AS last,
                   list(event_uid ORDER BY time)[1:50] AS ids, list(DISTINCT user)[1:20] AS names
            FROM logins WHERE status = 'failure' AND src_ip IS NOT NULL
              AND {_not_loopback("src_ip")}
            GROUP BY ALL),
        host_hours AS (
            SELECT host, hour, sum(failures) AS n FROM hourly GROUP BY ALL),
        judged AS (
            SELECT h.*, (SELECT avg(o.n) FROM host_hours o
                         WHERE o.host = h.host AND o.hour <> h.hour) AS usual
            FROM hourly h)
        SELECT * FROM judged
        WHERE failures >= $abs
           OR (failures >= $rel AND usual IS NOT NULL AND failures >= 5 * usual)
           OR users >= $spray
        ORDER BY first"""
        params = {"abs": BRUTE_MIN_FAILURES, "rel": BRUTE_RELATIVE_MIN, "spray": SPRAY_MIN_USERS}
        out: list[Finding] = []
        for r in _rows(ctx, sql, params):
            spray = r["users"] >= SPRAY_MIN_USERS
            out.append(
                self.finding(
                    severity=Severity.HIGH,
                    title_key="host.linux_brute.title",
                    reason_key="host.linux_brute.reason",
                    params={
                        "kind": msg("mail.brute.spray" if spray else "mail.brute.force"),
                        "src": r["src_ip"],
                        "host": r["host"],
                        "failures": r["failures"],
                        "users": r["users"],
                    },
                    entity=r["src_ip"],
                    entity_type="host",
                    first_seen=r["first"],
                    last_seen=r["last"],
                    evidence_class="authentication",
                    evidence=tuple(r["ids"]),
                    evidence_count=r["failures"],
                    score=min(100.0, 50.0 + r["failures"]),
                    attack=("T1110.003",) if spray else ("T1110.001",),
                    related=tuple(n for n in [r["host"], *r["names"]] if n),
                )
            )
        return out


class LinuxLoginAfterFailures(Detector):
    NAME = "linux_login_after_failures"
    VERSION = "1.0"
    INPUTS = ("authentication",)
    ATTACK = ("T1110", "T1078")
    DESCRIPTION = "A successful SSH login right after many failures (same account or address)."

    def run(self, ctx: DetectContext) -> list[Finding]:
        sql = f"""WITH {LOGINS},
        ok AS (SELECT * FROM logins WHERE status = 'success' AND service = 'ssh'),
        ko AS (SELECT * FROM logins WHERE status = 'failure' AND service = 'ssh')
        SELECT ok.event_uid, ok.time, ok.user, ok.src_ip, ok.dst_host,
               count(ko.event_uid) AS failures, min(ko.time) AS first,
               list(ko.event_uid ORDER BY ko.time)[1:49] AS ids
        FROM ok JOIN ko ON ((ko.user = ok.user AND ko.dst_host IS NOT DISTINCT FROM ok.dst_host)
                            OR (ko.src_ip = ok.src_ip AND {_not_loopback("ok.src_ip")}))
             AND ko.time < ok.time AND ko.time >= ok.time - INTERVAL 1 HOUR
        GROUP BY ALL HAVING count(ko.event_uid) >= $min ORDER BY ok.time"""
        out = []
        for r in _rows(ctx, sql, {"min": AFTER_FAILURES_MIN}):
            out.append(
                self.finding(
                    severity=Severity.CRITICAL,
                    title_key="host.linux_after_failures.title",
                    reason_key="host.linux_after_failures.reason",
                    params={
                        "user": r["user"],
                        "src": r["src_ip"],
                        "host": r["dst_host"] or "?",
                        "failures": r["failures"],
                    },
                    entity=r["user"] or r["src_ip"] or "?",
                    entity_type="account",
                    first_seen=r["first"],
                    last_seen=r["time"],
                    evidence_class="authentication",
                    evidence=(r["event_uid"], *r["ids"]),
                    evidence_count=r["failures"] + 1,
                    score=90.0,
                    related=tuple(x for x in (r["src_ip"], r["dst_host"]) if x),
                )
            )
        return out


class LinuxNewSource(Detector):
    NAME = "linux_new_source"
    VERSION = "1.0"
    INPUTS = ("authentication",)
    ATTACK = ("T1078",)
    DESCRIPTION = "An SSH account logging in from an address never seen for it before."

    def run(self, ctx: DetectContext) -> list[Finding]:
        internal = internal_checker(ctx)
        sql = f"""WITH {LOGINS},
        firsts AS (
            SELECT user, src_ip, min(time) AS first, arg_min(event_uid, time) AS uid,
                   arg_min(dst_host, time) AS host, count(*) AS n
            FROM logins WHERE status = 'success' AND service = 'ssh'
              AND user IS NOT NULL AND src_ip IS NOT NULL
            GROUP BY user, src_ip),
        users AS (SELECT user, min(first) AS since FROM firsts GROUP BY user)
        SELECT f.* FROM firsts f JOIN users u USING (user) WHERE f.first > u.since
        ORDER BY f.first"""
        out = []
        for r in _rows(ctx, sql):
            inside = internal(r["src_ip"])
            out.append(
                self.finding(
                    severity=Severity.LOW if inside else Severity.MEDIUM,
                    title_key="host.linux_new_source.title",
                    reason_key="host.linux_new_source.reason",
                    params={
                        "user": r["user"],
                        "src": r["src_ip"],
                        "host": r["host"] or "?",
                        "n": r["n"],
                    },
                    entity=r["user"],
                    entity_type="account",
                    first_seen=r["first"],
                    last_seen=r["first"],
                    evidence_class="authentication",
                    evidence=(r["uid"],),
                    evidence_count=r["n"],
                    score=40.0 if inside else 60.0,
                    related=tuple(x for x in (r["src_ip"], r["host"]) if x),
                )
            )
        return out


class RootLogin(Detector):
    NAME = "root_login"
    VERSION = "1.0"
    INPUTS = ("authentication",)
    ATTACK = ("T1078.003", "T1021.004")
    DESCRIPTION = "root logging in over SSH (direct administrator access, no named account)."

    def run(self, ctx: DetectContext) -> list[Finding]:
        internal = internal_checker(ctx)
        sql = f"""WITH {LOGINS}
        SELECT src_ip, coalesce(dst_host, '?') AS host, count(*) AS n, min(time) AS first,
               max(time) AS last, list(event_uid ORDER BY time)[1:50] AS ids
        FROM logins WHERE status = 'success' AND service = 'ssh' AND user = 'root'
        GROUP BY ALL ORDER BY first"""
        out = []
        for r in _rows(ctx, sql):
            outside = r["src_ip"] is not None and not internal(r["src_ip"])
            out.append(
                self.finding(
                    severity=Severity.HIGH if outside else Severity.MEDIUM,
                    title_key="host.root_login.title",
                    reason_key="host.root_login.reason",
                    params={"src": r["src_ip"] or "?", "host": r["host"], "n": r["n"]},
                    entity=r["host"],
                    entity_type="host",
                    first_seen=r["first"],
                    last_seen=r["last"],
                    evidence_class="authentication",
                    evidence=tuple(r["ids"]),
                    evidence_count=r["n"],
                    score=75.0 if outside else 50.0,
                    related=(r["src_ip"],) if r["src_ip"] else (),
                )
            )
        return out
