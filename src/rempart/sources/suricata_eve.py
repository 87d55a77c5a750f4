"""Suricata EVE JSON `flow` and `netflow` events (eve.json): finished flows.

A `flow` event is one record per flow, both directions counted. A `netflow` event
(`eve-log.types: - netflow`) is one direction of a flow: Suricata writes the client's
record (src = client) and, only if the server sent packets, a second record with the same
`flow_id` and src/dest swapped; each becomes its own row, as written, with that direction's
packets and bytes as `*_out` and `*_in` NULL (the other direction is the other row, not
zero). Other event types (alert, dns, http, tls, stats...) are skipped (not rejected); a
line that is not JSON is rejected with its line number. The outcome: a TCP flow that got
no packet back from the server is a failed attempt. Lines are decoded by DuckDB's JSON
functions, never one by one in Python.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from rempart.sources.base import HEAD_BYTES, ParseContext, Source
from rempart.sources.flowsql import emit_flows, flow_select, lines_scan

_EVE_START = re.compile(
    rb'\{"timestamp":\s*"[0-9]{4}-[0-9]{2}-[0-9]{2}T[^"]*",.{0,400}?"event_type":'
)


def _j(path: str) -> str:
    return f"(j->>'$.{path}')"


def _stamp(text: str) -> str:
    """An EVE time (`2019-03-11T09:00:00.500000+0100`) as TIMESTAMPTZ, NULL if unreadable."""
    return (
        f"coalesce(TRY_CAST({text} AS TIMESTAMPTZ), try_strptime({text}, '%Y-%m-%dT%H:%M:%S.%f%z'))"
    )


class SuricataEveFlowSource(Source):
    NAME = "suricata_eve_flow"
    VERSION = "1.3"
    EVENT_CLASS = "network_flow"
    # the other event types of the same file are `suricata_eve_events`' (it reads it too)
    SHARES_LINES = True
    DESCRIPTION = "Suricata EVE JSON, event_type flow and netflow (other events skipped)"
    GROWS = True

    def sniff(self, head: bytes, path: Path) -> bool:
        """EVE lines are JSON objects with `timestamp` and `event_type`. The file may open
        with a `stats` or `engine` event (no flow_id), longer than the 8 KiB head."""
        lines = [raw.strip() for raw in head.split(b"\n")]
        if not lines[0].startswith(b"{"):
            return False
        complete = lines[:-1] if len(head) >= HEAD_BYTES else lines  # the last may be cut
        for line in complete[:20]:
            if not line:
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a damaged line is one reject when the file is read
            if not isinstance(record, dict):
                return False
            if "event_type" in record and "timestamp" in record:
                return True
        # one line longer than the head: Suricata writes timestamp first, then ids, event_type
        return _EVE_START.match(lines[0]) is not None

    def parse(self, path: Path, ctx: ParseContext) -> None:
        time = _stamp(_j("timestamp"))
        to_client = f"TRY_CAST({_j('flow.pkts_toclient')} AS BIGINT)"
        netflow = f"{_j('event_type')} = 'netflow'"
        start, end = _stamp(_j("netflow.start")), _stamp(_j("netflow.end"))
        # a `flow` event is written when its flow ends or times out (`timestamp`), minutes
        # after it began; the start is what orders first contacts (who reached whom first)
        flow_start, flow_end = _stamp(_j("flow.start")), _stamp(_j("flow.end"))
        age = f"TRY_CAST({_j('netflow.age')} AS DOUBLE)"  # whole seconds
        # A netflow record has one side's cumulative TCP flags: a side that sent a SYN but
        # never an ACK never completed the handshake (no answer, or a reset): a failed
        # attempt, as Zeek's S0/REJ; SYN and ACK: it did. Without a SYN (capture started
        # mid-stream) the outcome is unknown.
        netflow_status = f"""CASE WHEN {_j("tcp.syn")} IS DISTINCT FROM 'true' THEN 'unknown'
                WHEN {_j("tcp.ack")} = 'true' THEN 'success' ELSE 'failure' END"""
        # A `flow` event's `tcp.ack` and `tcp.rst` merge both sides: a port that answered a
        # SYN with RST+ACK looked like a success. The client's own flags (`tcp_flags_ts`,
        # hex) tell: a client that sent a SYN and never an ACK never completed the handshake
        # (no answer, a refusal, or a half-open scan): a failed attempt, as Zeek's S0/REJ.
        client_flags = f"TRY_CAST('0x' || {_j('tcp.tcp_flags_ts')} AS INTEGER)"
        # ICMP and ICMPv6 ("IPv6-ICMP") as Zeek names them: `icmp`, type and code as ports
        proto = (
            f"CASE WHEN lower({_j('proto')}) IN ('icmp', 'ipv6-icmp', 'icmpv6', '001', '058') "
            f"THEN 'icmp' ELSE lower({_j('proto')}) END"
        )
        icmp = f"({proto}) = 'icmp'"
        exprs = {
            # a record's time is its flow's start (both netflow directions share it)
            "time": f"""CASE WHEN {netflow} THEN coalesce({start}, {time})
                ELSE coalesce({flow_start}, {time}) END""",
            "duration": f"""CASE WHEN {netflow}
                THEN coalesce(epoch({end}) - epoch({start}), {age})
                ELSE coalesce(epoch({flow_end}) - epoch({flow_start}),
                              TRY_CAST({_j("flow.age")} AS DOUBLE)) END""",
            "src_ip": _j("src_ip"),
            "dst_ip": _j("dest_ip"),
            "src_port": f"CASE WHEN {icmp} THEN {_j('icmp_type')} ELSE {_j('src_port')} END",
            "dst_port": f"CASE WHEN {icmp} THEN {_j('icmp_code')} ELSE {_j('dest_port')} END",
            "protocol": proto,
            # `failed`: Suricata could not tell the protocol (not a service called "failed")
            "service": f"CASE WHEN {_j('app_proto')} = 'failed' THEN 'unknown' "
            f"ELSE {_j('app_proto')} END",
            "bytes_out": f"CASE WHEN {netflow} THEN {_j('netflow.bytes')} "
            f"ELSE {_j('flow.bytes_toserver')} END",
            "bytes_in": f"CASE WHEN NOT {netflow} THEN {_j('flow.bytes_toclient')} END",
            "packets_out": f"CASE WHEN {netflow} THEN {_j('netflow.pkts')} "
            f"ELSE {_j('flow.pkts_toserver')} END",
            "packets_in": f"CASE WHEN NOT {netflow} THEN {_j('flow.pkts_toclient')} END",
            "conn_state": f"coalesce({_j('tcp.state')}, {_j('flow.state')})",
            "status": f"""CASE WHEN {proto} <> 'tcp' THEN 'unknown'
                WHEN {netflow} THEN {netflow_status}
                WHEN {client_flags} IS NOT NULL THEN CASE
                    WHEN {_j("tcp.syn")} IS DISTINCT FROM 'true' THEN 'unknown'
                    WHEN ({client_flags} & 16) <> 0 AND {to_client} > 0 THEN 'success'
                    WHEN ({client_flags} & 16) = 0 THEN 'failure'
                    ELSE 'unknown' END
                WHEN {to_client} > 0 AND coalesce({_j("tcp.ack")}, 'false') = 'true'
                    THEN 'success'
                WHEN {to_client} = 0 OR {_j("tcp.rst")} = 'true' THEN 'failure'
                ELSE 'unknown' END""",
            "action": f"CASE WHEN {_j('flow.action')} = 'drop' THEN 'denied' END",
            "flow_uid": _j("flow_id"),
            "record_kind": "'flow'",
        }
        reject = "WHEN NOT _ok THEN 'not valid JSON' "
        parsed = (
            "SELECT _n, json_valid(line) AS _ok, "
            "CASE WHEN json_valid(line) THEN CAST(line AS JSON) END AS j "
            f"FROM ({lines_scan(path)}) "
            "WHERE trim(line) <> ''"
        )
        select = flow_select(self.NAME, exprs, reject)
        kinds = f"{_j('event_type')} IN ('flow', 'netflow')"
        sql = f"SELECT {select} FROM ({parsed}) WHERE NOT _ok OR {kinds}"
        emit_flows(path, ctx, sql, self.schema())
