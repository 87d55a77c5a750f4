"""Where a remote execution came from: the network logon that preceded it on the target.

A host finding of a lateral-movement technique (a service installed remotely, a scheduled
task or WMI call made from another machine: ATT&CK T1021, T1569, T1047, T1053...) names the
machine it ran on, which is the *target*. Windows logged, seconds before, the network logon
(event 4624, logon type 3 or 10) that carried it: its `IpAddress` is the machine the attacker
came from, and the account is the one they used. That machine is the incident's source (its
patient zero when nothing earlier is known), and the incident is a lateral spread, not one
host's compromise.

The source address is named when the logs say which machine owns it: a Sysmon network
connection the machine itself initiated from that address (event 3, `Initiated` true), or
the logon's `WorkstationName`. Machine accounts (`NAME$`), anonymous logons, loopback and
link-local addresses are never a source: they are Windows talking to itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from rempart.store import Store

__all__ = ["LATERAL_TECHNIQUES", "LOOKBACK", "RemoteSource", "remote_sources"]

# ATT&CK techniques whose finding names the target of a remote execution
LATERAL_TECHNIQUES = ("T1021", "T1569", "T1047", "T1053", "T1543.003", "T1570")
# how long before the finding the carrying logon may be (a service starts within seconds)
LOOKBACK = timedelta(minutes=10)


@dataclass(frozen=True)
class RemoteSource:
    """The network logon that carried a remote execution on `target`."""

    target: str  # the finding's entity (the host it ran on)
    ip: str  # the address the logon came from
    hostname: str | None  # the machine that owns it, when the logs say
    user: str  # the account used
    time: datetime  # when the logon happened


_SQL = """
WITH lateral_findings AS (
    SELECT DISTINCT entity, first_seen AS t FROM finding
    WHERE entity_type = 'host' AND severity IN ('medium', 'high', 'critical')
      AND list_contains($detectors, detector)
      AND len(list_filter(coalesce(attack, []),
              lambda a: list_contains($techniques, split_part(a, '.', 1))
                   OR list_contains($techniques, a))) > 0
),
logons AS (
    SELECT lower(p.host) AS host, p.time, p.fields['IpAddress'] AS ip,
           p.fields['TargetUserName'] AS "user",
           nullif(nullif(p.fields['WorkstationName'], '-'), '') AS workstation
    FROM process p
    WHERE p.event_code = 4624 AND p.fields['LogonType'] IN ('3', '10')
      AND coalesce(p.fields['IpAddress'], '-') NOT IN ('-', '', '::1', '127.0.0.1')
      AND NOT starts_with(lower(p.fields['IpAddress']), 'fe80:')
      AND NOT ends_with(coalesce(p.fields['TargetUserName'], '$'), '$')
      AND upper(p.fields['TargetUserName']) <> 'ANONYMOUS LOGON'
),
-- each finding with the last logon in its window (a finding the logon does not precede,
-- such as a service's registry write logged before the Security channel's logon, has none)
carried AS (
    SELECT f.entity, f.t,
           arg_max(struct_pack(ip := l.ip, "user" := l."user", workstation := l.workstation,
                               time := l.time), l.time) AS logon
    FROM lateral_findings f
    JOIN logons l ON l.host = lower(f.entity) OR split_part(l.host, '.', 1) = lower(f.entity)
         OR l.host = split_part(lower(f.entity), '.', 1)
    WHERE l.time <= f.t + INTERVAL 1 SECOND AND l.time >= f.t - $lookback
    GROUP BY f.entity, f.t
)
-- per target, the logon that carried its first such finding that has one
SELECT entity AS target, arg_min(logon, t) AS logon FROM carried GROUP BY entity
"""


def remote_sources(store: Store, detectors: tuple[str, ...]) -> list[RemoteSource]:
    """The source of each remote execution the findings of `detectors` name (one per
    target: the last qualifying logon before the first such finding that has one)."""
    have = set(store.sql("SELECT table_name AS n FROM duckdb_tables()").column("n").to_pylist())
    if not {"process", "finding"} <= have:
        return []
    rows = store.sql(
        _SQL,
        {
            "detectors": list(detectors),
            "techniques": list(LATERAL_TECHNIQUES),
            "lookback": LOOKBACK,
        },
    ).to_pylist()
    if not rows:
        return []
    rows = [{"target": r["target"], **r["logon"]} for r in rows]
    owners = {
        str(r["ip"]): str(r["host"])
        for r in store.sql(
            """SELECT p.fields['SourceIp'] AS ip, mode(p.host) AS host FROM process p
               WHERE p.event_code = 3 AND lower(coalesce(p.fields['Initiated'], '')) = 'true'
                 AND list_contains($ips, p.fields['SourceIp'])
               GROUP BY 1""",
            {"ips": [str(r["ip"]) for r in rows]},
        ).to_pylist()
    }
    return [
        RemoteSource(
            str(r["target"]),
            str(r["ip"]),
            owners.get(str(r["ip"])) or (str(r["workstation"]) if r["workstation"] else None),
            str(r["user"]),
            r["time"],
        )
        for r in rows
    ]
