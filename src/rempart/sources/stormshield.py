"""Stormshield Network Security (SNS) firewall logs: the WELF key=value audit logs.

    id=firewall time="2019-03-11 09:00:05" fw="SNS-CHU" tz=+0100 startime="2019-03-11
    09:00:01" pri=5 confid=01 slotlevel=2 ruleid=12 srcif="Ethernet1" srcifname="in"
    ipproto=tcp dstif="Ethernet0" dstifname="out" proto=microsoft-ds src=10.1.0.5
    srcport=49152 dst=10.2.0.9 dstport=445 ipv=4 sent=0 rcvd=0 duration=0.00 action=block
    logtype="connection"

Stormshield Network Security is a French firewall line qualified by ANSSI, a second
appliance format next to FortiGate's. Its audit logs are written to files per kind
(`l_connection`, `l_filter`, `l_alarm`...) and sent to syslog with `logtype` naming the
kind; each line is WELF
(`key=value`, values in double quotes when they hold spaces). The connection log (one line
per ended connection: `sent`, `rcvd`, `duration`) and the filter log (packets of rules
set to log, e.g. what was blocked) are flows; the other kinds (alarms, web, auth,
system...) are skipped, not rejected. `startime` (when the connection began) is the row's
time, `time` (when the line was written) when it is missing; both are the firewall's
local clock, `tz` its offset from UTC (`+0100`); without `tz` they are read as UTC.
`action=block` is a denied attempt; a passed TCP connection that received nothing is a
failed one; a filter line without byte counts has an unknown outcome. ICMP type and code
(`icmptype`, `icmpcode`) are the ports, as Zeek writes them.
"""

from __future__ import annotations

import re
from pathlib import Path

from rempart.sources.base import ParseContext, Source
from rempart.sources.flowsql import emit_flows, flow_select, keyed_lines, kv

_HEAD = re.compile(rb'(^|\s)id=firewall\s(.*\s)?time="[^"]*"\s(.*\s)?fw=')
FLOW_KINDS = ("connection", "filter")
_WELF = "regexp_matches(line, '(^|\\s)id=firewall\\s')"  # a Stormshield line, in SQL


class StormshieldSource(Source):
    NAME = "stormshield_log"
    VERSION = "1.0"
    EVENT_CLASS = "network_flow"
    DESCRIPTION = "Stormshield SNS firewall logs (WELF key=value: l_connection, l_filter)"

    def sniff(self, head: bytes, path: Path) -> bool:
        return any(_HEAD.search(line) for line in head.split(b"\n")[:10])

    def parse(self, path: Path, ctx: ParseContext) -> None:
        tz = f"coalesce({kv('tz')}, '+0000')"

        def stamp(key: str) -> str:  # local clock at `tz`; the ISO form, or M/D/Y
            text = kv(key)
            return (
                f"coalesce(TRY_CAST({text} || {tz} AS TIMESTAMPTZ), "
                f"try_strptime({text} || {tz}, '%m/%d/%Y %H:%M:%S%z'))"
            )

        action = f"lower(coalesce({kv('action')}, ''))"
        denied = f"{action} = 'block'"
        rcvd = f"TRY_CAST({kv('rcvd')} AS BIGINT)"
        proto = f"lower({kv('ipproto')})"
        icmp = f"{proto} IN ('icmp', 'icmpv6', 'ipv6-icmp')"
        exprs = {
            "time": f"coalesce({stamp('startime')}, {stamp('time')})",
            "duration": kv("duration"),
            "src_ip": kv("src"),
            "dst_ip": kv("dst"),
            "src_port": f"CASE WHEN {icmp} THEN {kv('icmptype')} ELSE {kv('srcport')} END",
            "dst_port": f"CASE WHEN {icmp} THEN {kv('icmpcode')} ELSE {kv('dstport')} END",
            "protocol": f"CASE WHEN {icmp} THEN 'icmp' ELSE {proto} END",
            "service": f"lower({kv('proto')})",
            "bytes_out": kv("sent"),
            "bytes_in": kv("rcvd"),
            "conn_state": f"nullif({action}, '')",
            "action": f"CASE WHEN {denied} THEN 'denied' ELSE 'allowed' END",
            "status": f"""CASE WHEN {denied} THEN 'failure'
                WHEN {rcvd} > 0 THEN 'success'
                WHEN {rcvd} = 0 AND {proto} = 'tcp' THEN 'failure' ELSE 'unknown' END""",
            "record_kind": "'firewall'",
            "rule": kv("ruleid"),
        }
        reject = f"WHEN NOT {_WELF} THEN 'not a WELF line' "
        kind = kv("logtype")
        kinds = ", ".join(f"'{k}'" for k in FLOW_KINDS)
        # a line of another kind, or a status line without addresses (l_filter's counters
        # go to l_filterstat, but a date change writes a line to every log), is skipped
        flows = f"coalesce({kind}, 'connection') IN ({kinds}) AND {kv('src')} IS NOT NULL"
        select = flow_select(self.NAME, exprs, reject)
        wanted = f"NOT {_WELF} OR ({flows})"
        sql = f"SELECT {select} FROM ({keyed_lines(path)}) WHERE trim(line) <> '' AND ({wanted})"
        emit_flows(path, ctx, sql, self.schema())
