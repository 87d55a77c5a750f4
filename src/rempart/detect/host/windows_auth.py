"""Windows password guessing, judged against the machine's own habits as well as absolutely.

Failures of every kind a Windows machine logs are counted together: logons (4625),
Kerberos pre-authentication and TGT requests (4771, 4768 refused), NTLM validation (4776
refused), SQL Server logins (18456, Application log) and OpenSSH for Windows. A machine
with ten or more in an hour is being guessed at; one with five or more and five times its
usual hourly failures too (a quiet server's sudden burst, below the absolute bar). Five
or more distinct accounts is password spraying. The Sigma rules say the same on fixed
windows (`rempart_failed_logon.yml`); this detector adds the machine's baseline.
"""

from __future__ import annotations

from typing import Any

from rempart.core.i18n import msg
from rempart.detect.base import DetectContext, Detector, Finding, Severity

ABSOLUTE_MIN = 10
RELATIVE_MIN = 5
RELATIVE_FACTOR = 5
SPRAY_MIN_USERS = 5

FAILURES = """failures AS (
    SELECT event_uid, time, coalesce(host, '?') AS host,
           coalesce(fields['TargetUserName'], fields['payload']) AS user,
           nullif(nullif(fields['IpAddress'], '-'), '') AS src_ip, event_code
    FROM process
    WHERE source_format IN ('evtx', 'winevent_json') AND (
        (channel = 'Security' AND (
            event_code IN (4625, 4771)
            OR (event_code IN (4768, 4776)
                AND coalesce(fields['Status'], '0x0') NOT IN ('0x0', '0'))))
        OR (channel = 'Application' AND event_code = 18456
            AND coalesce(fields['Provider_Name'], '') LIKE 'MSSQL%')
        OR (channel = 'OpenSSH/Operational'
            AND regexp_matches(coalesce(fields['payload'], ''),
                               'Failed password|Invalid user|Failed keyboard'))))"""


class WindowsBruteForce(Detector):
    NAME = "windows_bruteforce"
    VERSION = "1.0"
    INPUTS = ("process",)
    ATTACK = ("T1110.001", "T1110.003")
    DESCRIPTION = (
        "Many failed Windows, Kerberos, NTLM, SQL Server or OpenSSH logons on one machine, "
        "absolutely or against its own usual rate."
    )

    def run(self, ctx: DetectContext) -> list[Finding]:
        sql = f"""WITH {FAILURES},
        hourly AS (
            SELECT host, time_bucket(INTERVAL 1 HOUR, time) AS hour, count(*) AS n,
                   count(DISTINCT user) AS users, min(time) AS first, max(time) AS last,
                   list(event_uid ORDER BY time)[1:50] AS ids,
                   list(DISTINCT src_ip) FILTER (WHERE src_ip IS NOT NULL)[1:20] AS sources,
                   list(DISTINCT event_code ORDER BY event_code) AS codes
            FROM failures GROUP BY ALL),
        judged AS (
            SELECT h.*, (SELECT avg(o.n) FROM hourly o
                         WHERE o.host = h.host AND o.hour <> h.hour) AS usual
            FROM hourly h)
        SELECT * FROM judged
        WHERE n >= $abs OR users >= $spray
           OR (n >= $rel AND usual IS NOT NULL AND n >= $factor * usual)
        ORDER BY first"""
        params = {
            "abs": ABSOLUTE_MIN,
            "rel": RELATIVE_MIN,
            "factor": RELATIVE_FACTOR,
            "spray": SPRAY_MIN_USERS,
        }
        out: list[Finding] = []
        rows: list[dict[str, Any]] = list(ctx.engine.query(sql, params).to_pylist())
        for r in rows:
            spray = r["users"] >= SPRAY_MIN_USERS
            usual = r["usual"]
            out.append(
                self.finding(
                    severity=Severity.HIGH,
                    title_key="host.win_brute.title",
                    reason_key="host.win_brute.reason",
                    params={
                        "kind": msg("mail.brute.spray" if spray else "mail.brute.force"),
                        "host": r["host"],
                        "failures": r["n"],
                        "users": r["users"],
                        "codes": ", ".join(str(c) for c in r["codes"]),
                        "usual": "-" if usual is None else f"{usual:.1f}",
                        "sources": ", ".join((r["sources"] or [])[:5]) or "-",
                    },
                    entity=r["host"],
                    entity_type="host",
                    first_seen=r["first"],
                    last_seen=r["last"],
                    evidence_class="process",
                    evidence=tuple(r["ids"]),
                    evidence_count=r["n"],
                    score=min(100.0, 50.0 + r["n"]),
                    attack=("T1110.003",) if spray else ("T1110.001",),
                    related=tuple(r["sources"] or ()),
                )
            )
        return out


# A domain account's SID with a second name in successful logons, and a TGT asked for a
# machine's name without its `$` (CVE-2021-42278/42287, "noPac"): both are tickets the domain
# controller never issued as such. Machine names: the domain controller's own, and the `NAME$`
# accounts in its own events (a collection of several domains must not lend one its names).
FORGERY = """
logons AS (
    SELECT event_uid, time, coalesce(host, '?') AS host, fields['TargetUserSid'] AS sid,
           lower(fields['TargetUserName']) AS name, nullif(fields['IpAddress'], '-') AS src_ip
    FROM process
    WHERE source_format IN ('evtx', 'winevent_json') AND channel = 'Security'
      AND event_code = 4624 AND fields['TargetUserSid'] LIKE 'S-1-5-21-%'
      AND coalesce(fields['TargetUserName'], '') NOT IN ('', '-')),
usual AS (
    SELECT sid, name, count(*) AS n, min(time) AS first,
           row_number() OVER (PARTITION BY sid ORDER BY count(*) DESC, min(time), name) AS rank
    FROM logons GROUP BY sid, name),
renamed AS (
    SELECT l.*, 'sid' AS kind, u1.name AS usual_name
    FROM logons l JOIN usual u ON l.sid = u.sid AND l.name = u.name AND u.rank > 1
    JOIN usual u1 ON u1.sid = l.sid AND u1.rank = 1),
machines AS (
    SELECT DISTINCT host, lower(split_part(host, '.', 1)) AS m FROM process
    WHERE source_format IN ('evtx', 'winevent_json') AND host IS NOT NULL
    UNION
    SELECT DISTINCT host, lower(rtrim(v, '$')) FROM (
        SELECT host, unnest([fields['ServiceName'], fields['TargetUserName'],
                             fields['SubjectUserName']]) AS v
        FROM process WHERE source_format IN ('evtx', 'winevent_json') AND channel = 'Security')
    WHERE v LIKE '%$'),
machine_tgt AS (
    SELECT event_uid, time, coalesce(host, '?') AS host, fields['TargetSid'] AS sid,
           lower(fields['TargetUserName']) AS name,
           nullif(regexp_replace(coalesce(fields['IpAddress'], ''), '^::ffff:', ''), '')
               AS src_ip,
           'machine' AS kind, lower(fields['TargetUserName']) || '$' AS usual_name
    FROM process
    WHERE source_format IN ('evtx', 'winevent_json') AND channel = 'Security'
      AND event_code = 4768 AND coalesce(fields['Status'], '0x0') IN ('0x0', '0')
      AND NOT coalesce(fields['TargetUserName'], '$') LIKE '%$'
      AND (host, lower(fields['TargetUserName'])) IN (SELECT (host, m) FROM machines))"""


class WindowsTicketForgery(Detector):
    """Kerberos tickets the domain did not issue as they read: a golden ticket names a real
    SID (often RID 500) with whatever name the attacker typed; the noPac attack gets a TGT
    for a machine's name without its trailing `$` and then a ticket as that machine."""

    NAME = "windows_ticket_forgery"
    VERSION = "1.0"
    INPUTS = ("process",)
    ATTACK = ("T1558.001", "T1068")
    DESCRIPTION = (
        "A domain SID logging on under a second name (forged ticket), or a Kerberos TGT for a "
        "machine's name without its trailing $ (sAMAccountName spoofing)."
    )

    def run(self, ctx: DetectContext) -> list[Finding]:
        sql = f"""WITH {FORGERY},
        found AS (SELECT event_uid, time, host, sid, name, src_ip, kind, usual_name
                 FROM renamed UNION ALL SELECT * FROM machine_tgt)
        SELECT kind, host, sid, name, any_value(usual_name) AS usual_name, count(*) AS n,
               min(time) AS first, max(time) AS last,
               list(event_uid ORDER BY time)[1:50] AS ids,
               list(DISTINCT src_ip) FILTER (WHERE src_ip IS NOT NULL)[1:20] AS sources
        FROM found GROUP BY kind, host, sid, name ORDER BY first"""
        out: list[Finding] = []
        for r in ctx.engine.query(sql).to_pylist():
            machine = r["kind"] == "machine"
            out.append(
                self.finding(
                    severity=Severity.HIGH,
                    title_key="host.win_ticket.title",
                    reason_key=(
                        "host.win_ticket.machine" if machine else "host.win_ticket.renamed"
                    ),
                    params={
                        "host": r["host"],
                        "name": r["name"],
                        "usual": r["usual_name"],
                        "sid": r["sid"] or "-",
                        "n": r["n"],
                        "sources": ", ".join((r["sources"] or [])[:5]) or "-",
                    },
                    entity=r["host"],
                    entity_type="host",
                    first_seen=r["first"],
                    last_seen=r["last"],
                    evidence_class="process",
                    evidence=tuple(r["ids"]),
                    evidence_count=r["n"],
                    attack=("T1558", "T1068") if machine else ("T1558.001",),
                    related=tuple(r["sources"] or ()),
                )
            )
        return out
