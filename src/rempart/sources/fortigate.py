"""FortiGate traffic logs (FortiOS key=value, as sent to syslog or exported from FortiAnalyzer).

    date=2019-03-11 time=08:00:01 devname="FGT-CHU" logid="0000000013" type="traffic"
    subtype="forward" srcip=10.1.0.5 srcport=49152 dstip=10.2.0.9 dstport=445 proto=6
    action="deny" policyid=12 service="SMB" sentbyte=0 rcvdbyte=0 sentpkt=1 rcvdpkt=0

Chosen as the appliance format because FortiGate is the firewall French hospitals most
often run. `action` deny/blocked/dropped is a denied (failed) attempt; an accepted session
that got no packet back is a failed one too. Only `type="traffic"` records are flows;
other FortiOS log types (event, utm) are skipped. A syslog prefix before the fields is
allowed, values may be quoted (with spaces inside) or bare. `eventtime` (epoch, s/ms/us/ns)
wins over `date`+`time`, which are local time at the `tz` offset when given (FortiOS 6.2+),
else read as UTC; lines without `date`/`time` (some forwarders drop them) use `eventtime`.
"""

from __future__ import annotations

import re
from pathlib import Path

from rempart.sources.base import ParseContext, Source
from rempart.sources.flowsql import emit_flows, epoch_any, flow_select, keyed_lines, kv

_HEAD = re.compile(rb'(^|\s)type="?traffic"?\s(.*\s)?srcip=')

_PROTOS = "CASE {p} WHEN '6' THEN 'tcp' WHEN '17' THEN 'udp' WHEN '1' THEN 'icmp' ELSE {p} END"


class FortiGateTrafficSource(Source):
    NAME = "fortigate_traffic"
    VERSION = "1.1"
    EVENT_CLASS = "network_flow"
    DESCRIPTION = "FortiGate (FortiOS) traffic logs, key=value"

    def sniff(self, head: bytes, path: Path) -> bool:
        return any(_HEAD.search(line) for line in head.split(b"\n")[:10])

    def parse(self, path: Path, ctx: ParseContext) -> None:
        # date and time are the appliance's local clock: `tz` (FortiOS 6.2+) says its
        # offset; without it they are read as UTC. FortiAnalyzer's `itime` comes last.
        local = f"{kv('date')} || ' ' || {kv('time')}"
        time = (
            f"coalesce({epoch_any(kv('eventtime'))}, "
            f"TRY_CAST({local} || {kv('tz')} AS TIMESTAMPTZ), "
            f"CAST(TRY_CAST({local} AS TIMESTAMP) AS TIMESTAMP) AT TIME ZONE 'UTC', "
            f"to_timestamp(TRY_CAST({kv('itime')} AS DOUBLE)))"
        )
        action = f"lower(coalesce({kv('action')}, ''))"
        denied = f"{action} IN ('deny', 'blocked', 'dropped', 'block', 'drop')"
        rcvd = f"coalesce(TRY_CAST({kv('rcvdpkt')} AS BIGINT), 0)"
        proto = _PROTOS.format(p=kv("proto"))
        exprs = {
            "time": time,
            "duration": kv("duration"),
            "src_ip": kv("srcip"),
            "dst_ip": kv("dstip"),
            "src_port": kv("srcport"),
            "dst_port": kv("dstport"),
            "protocol": proto,
            "service": f"lower({kv('service')})",
            "bytes_out": kv("sentbyte"),
            "bytes_in": kv("rcvdbyte"),
            "packets_out": kv("sentpkt"),
            "packets_in": kv("rcvdpkt"),
            "conn_state": f"nullif({action}, '')",
            "action": f"CASE WHEN {denied} THEN 'denied' ELSE 'allowed' END",
            "status": f"""CASE WHEN {denied} THEN 'failure'
                WHEN {rcvd} > 0 THEN 'success'
                WHEN {proto} = 'tcp' THEN 'failure' ELSE 'unknown' END""",
            "flow_uid": kv("sessionid"),
            "record_kind": "'firewall'",
            "rule": kv("policyid"),
        }
        reject = (
            "WHEN NOT regexp_matches(line, '(^|\\s)(date|eventtime|logid|type)=') "
            "THEN 'not a FortiOS key=value line' "
        )
        kind = kv("type")
        select = flow_select(self.NAME, exprs, reject)
        sql = (
            f"SELECT {select} FROM ({keyed_lines(path)}) "
            f"WHERE trim(line) <> '' AND coalesce({kind}, 'traffic') = 'traffic'"
        )
        emit_flows(path, ctx, sql, self.schema())
