"""Zeek connections as Elastic writes them (ECS): Filebeat's Zeek module, Elasticsearch exports.

A SOC that runs the Elastic stack keeps Zeek's conn.log renamed to the Elastic Common
Schema by Filebeat's Zeek module (`event.dataset: zeek.connection`) and hands it over as JSON
lines: Filebeat's own file output, or documents exported from Elasticsearch (elasticdump,
a scroll of `_search` hits: the record under `_source`). The names are ECS's
(`source.ip`, `destination.port`, `network.transport`, `network.protocol`, `source.bytes`,
`destination.packets`, `event.duration` in nanoseconds, `@timestamp`) and the module's
(`zeek.session_id` for the uid, `zeek.connection.state`, `zeek.connection.icmp.type/code`
for ICMP), each one either nested (`{"source": {"ip": ...}}`, as stored) or dotted
(`"source.ip"`, as Kibana and flattening tools write it). Other datasets in the same
export (dns, http, Suricata...) are skipped, not rejected; a line that is not JSON is
rejected with its line number. Lines are decoded by DuckDB's JSON functions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rempart.schema.flowsql import status_sql
from rempart.sources.base import ParseContext, Source
from rempart.sources.flowsql import emit_flows, flow_select, lines_scan

DATASETS = ("zeek.connection", "zeek.conn")


def _paths(name: str) -> list[str]:
    """JSON paths of an ECS name, nested or dotted at any level (`a.b.c`: `$.a.b.c`,
    `$."a.b.c"`, `$.a."b.c"`, `$."a.b".c`)."""
    parts = name.split(".")
    out = []
    for cuts in range(1 << (len(parts) - 1)):
        groups, current = [], [parts[0]]
        for i, part in enumerate(parts[1:]):
            if cuts >> i & 1:
                current.append(part)
            else:
                groups.append(current)
                current = [part]
        groups.append(current)
        out.append(
            "$." + ".".join(g[0] if len(g) == 1 else '"' + ".".join(g) + '"' for g in groups)
        )
    return out


def ecs(name: str) -> str:
    """SQL for an ECS field of the record `j` (text), whichever way it is written."""
    return "coalesce(" + ", ".join(f"j->>'{p}'" for p in _paths(name)) + ")"


def _field(record: dict[str, Any], name: str) -> Any:
    for path in _paths(name):
        value: Any = record
        for key in _split(path[2:]):
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None:
            return value
    return None


def _split(path: str) -> list[str]:
    """`a."b.c".d` -> [a, b.c, d]."""
    out, current, quoted = [], "", False
    for ch in path:
        if ch == '"':
            quoted = not quoted
        elif ch == "." and not quoted:
            out.append(current)
            current = ""
        else:
            current += ch
    return [*out, current]


def _record(line: bytes) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    source = record.get("_source")
    return source if isinstance(source, dict) else record


class EcsZeekConnSource(Source):
    NAME = "zeek_conn_ecs"
    VERSION = "1.0"
    EVENT_CLASS = "network_flow"
    DESCRIPTION = (
        "Zeek connections in ECS JSON lines (Filebeat's Zeek module, Elasticsearch exports)"
    )
    GROWS = True

    def sniff(self, head: bytes, path: Path) -> bool:
        """A JSON line of the head whose `event.dataset` is Zeek's connection log (an
        export may open with other datasets)."""
        if not head.lstrip().startswith(b"{"):
            return False
        for line in head.split(b"\n")[:50]:
            record = _record(line.strip()) if line.strip() else None
            if record is not None and _field(record, "event.dataset") in DATASETS:
                return True
        return False

    def parse(self, path: Path, ctx: ParseContext) -> None:
        transport = f"lower({ecs('network.transport')})"
        icmp = f"{transport} IN ('icmp', 'ipv6-icmp', 'icmpv6')"
        stamp = ecs("@timestamp")
        number = f"TRY_CAST({stamp} AS DOUBLE)"
        state = ecs("zeek.connection.state")
        exprs = {
            # an ISO 8601 string as stored; epoch milliseconds when a tool wrote the number
            "time": f"coalesce(TRY_CAST({stamp} AS TIMESTAMPTZ), "
            f"make_timestamp(CAST({number} * 1000 AS BIGINT)))",
            "duration": f"TRY_CAST({ecs('event.duration')} AS DOUBLE) / 1e9",
            "src_ip": ecs("source.ip"),
            "dst_ip": ecs("destination.ip"),
            # Zeek logs ICMP type and code as the ports; the module moves them aside
            "src_port": f"CASE WHEN {icmp} THEN {ecs('zeek.connection.icmp.type')} "
            f"ELSE {ecs('source.port')} END",
            "dst_port": f"CASE WHEN {icmp} THEN {ecs('zeek.connection.icmp.code')} "
            f"ELSE {ecs('destination.port')} END",
            "protocol": f"CASE WHEN {icmp} THEN 'icmp' ELSE {transport} END",
            "service": ecs("network.protocol"),
            "bytes_out": ecs("source.bytes"),
            "bytes_in": ecs("destination.bytes"),
            "packets_out": ecs("source.packets"),
            "packets_in": ecs("destination.packets"),
            "conn_state": state,
            "status": status_sql(state),
            "flow_uid": f"coalesce({ecs('zeek.session_id')}, {ecs('event.id')})",
            "record_kind": "'flow'",
        }
        reject = "WHEN NOT _ok THEN 'not valid JSON' "
        parsed = (
            "SELECT _n, _ok, coalesce(j0->'_source', j0) AS j FROM ("
            "SELECT _n, json_valid(line) AS _ok, "
            "CASE WHEN json_valid(line) THEN CAST(line AS JSON) END AS j0 "
            f"FROM ({lines_scan(path)}) WHERE trim(line) <> '')"
        )
        datasets = ", ".join(f"'{d}'" for d in DATASETS)
        select = flow_select(self.NAME, exprs, reject)
        wanted = f"{ecs('event.dataset')} IN ({datasets})"
        sql = f"SELECT {select} FROM ({parsed}) WHERE NOT _ok OR {wanted}"
        emit_flows(path, ctx, sql, self.schema())
