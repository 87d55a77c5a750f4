"""Shared SQL plumbing for the line-oriented network sources (nfdump, EVE, firewalls...).

Each source writes one SELECT per file whose columns are `network_flow`'s (missing ones
NULL) plus `_reject` (a reason, or NULL for a good row); DuckDB reads the file (plain or
gzip) as lines or CSV, and `emit_flows` streams the good rows on and counts the bad ones
per batch. No Python loop touches a row.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from rempart.schema.flowsql import used
from rempart.sources.base import ParseContext
from rempart.sources.batches import (
    BATCH_ROWS,
    CSV_REJECTS_SQL,
    DROP_REJECTS,
    collect_csv_rejects,
    split_rejects,
)
from rempart.sources.gzipcut import is_gzip

_TEXT = (
    "src_ip", "dst_ip", "protocol", "service", "conn_state", "status", "action", "flow_uid",
    "record_kind", "dns_query", "dns_rcode", "smb_action", "smb_path", "rule",
)  # fmt: skip
_TYPED = {
    "duration": "DOUBLE",
    "src_port": "INTEGER",
    "dst_port": "INTEGER",
    "bytes_out": "BIGINT",
    "bytes_in": "BIGINT",
    "packets_out": "BIGINT",
    "packets_in": "BIGINT",
}

IP_OK = "regexp_full_match(coalesce({}, ''), '^[0-9A-Fa-f.:]{{2,45}}$')"


LINES = "_rempart_lines"  # a temporary table of the file's lines, in order (see below)
# extra read_csv options for that table (tests set small buffers, to read in parallel parts)
LINES_READ_OPTIONS = ""


def lines_scan(path: Path) -> str:
    """(_n, line) for every line of the file, numbered from 1, as DuckDB SQL.

    It reads the temporary table `emit_flows` fills from `path` first (`lines_setup`): read
    into a table, the file keeps its order (DuckDB preserves insertion order) and the row
    number is the line number, so the sources' expressions then run on every core. Numbered
    by a window over the file instead, the whole SELECT ran on one core (a FortiGate log:
    24 s against 12.5 s on two)."""
    del path  # the table was filled from it
    # (inside a transaction the new table's row ids start at a high offset, not 0)
    return f"SELECT rowid - (SELECT min(rowid) FROM {LINES}) + 1 AS _n, line FROM {LINES}"


def lines_setup(path: Path) -> str:
    """SQL filling `LINES` with the lines of the file at `$path` (plain or gzip)."""
    comp = "gzip" if is_gzip(path) else "none"
    return (
        f"CREATE OR REPLACE TEMP TABLE {LINES} AS SELECT line FROM read_csv($path, "
        "delim='\x01', header=false, quote='', escape='', auto_detect=false, "
        f"columns={{'line': 'VARCHAR'}}, compression='{comp}', strict_mode=false"
        f"{LINES_READ_OPTIONS})"
    )


SEP = "\x01"  # never in a log line: marks where each key=value pair starts


def keyed_lines(path: Path) -> str:
    """(_n, line, x) for every line, `x` being its key=value pairs each preceded by a
    separator (character 1), for `kv`. Made once per line by one pass over the pairs: a
    quoted value is consumed whole, so a `key=` written inside another field's quoted text
    (`msg="… srcip=…"`) is not taken for a field, and each field is then a plain search
    for the separator and `key=` instead of a pattern run over the whole line."""
    pairs = (
        rf"""regexp_replace(line, '(^|\s)([A-Za-z0-9_.-]+)=("[^"]*"|[^\s"]*)', """
        rf"""'{SEP}\2=\3', 'g')"""
    )
    return f"SELECT _n, line, {pairs} AS x FROM ({lines_scan(path)})"


def kv(key: str) -> str:
    """SQL for the value of `key=value` or `key="value"` in `x` (see `keyed_lines`;
    firewalls' key=value logs: FortiOS, Stormshield's WELF), NULL when absent or empty."""
    value = f"""regexp_extract(x, '{SEP}{key}=("([^"]*)"|[^\\s"{SEP}]*)', 1)"""
    return f"""nullif(trim({value}, '"'), '')"""


def epoch_any(value: str) -> str:
    """SQL timestamp (UTC) of an epoch given in seconds, ms, µs or ns (FortiOS `eventtime`),
    in whole microseconds (no float rounding); NULL when it is not a number."""
    ev = f"TRY_CAST({value} AS BIGINT)"
    micros = (
        f"CASE WHEN {ev} > 1e17 THEN {ev} // 1000 WHEN {ev} > 1e14 THEN {ev} "
        f"WHEN {ev} > 1e11 THEN {ev} * 1000 ELSE {ev} * 1000000 END"
    )
    return f"make_timestamp({micros}) AT TIME ZONE 'UTC'"


def flow_select(source: str, exprs: dict[str, str], reject: str, line: str = "_n") -> str:
    """SELECT list producing `network_flow` columns from SQL expressions (others NULL)."""
    cols = [f"CAST({exprs['time']} AS TIMESTAMPTZ) AS time"]
    for name in _TEXT:
        cols.append(f"CAST({exprs.get(name, 'NULL')} AS VARCHAR) AS {name}")
    for name, typ in _TYPED.items():
        cols.append(f"TRY_CAST({exprs.get(name, 'NULL')} AS {typ}) AS {name}")
    cols += [
        f"$file_id || ':' || CAST({line} AS VARCHAR) AS event_uid",
        "$source_file AS source_file",
        f"CAST({line} AS BIGINT) AS source_line",
        f"'{source}' AS source_format",
        f"CASE {reject} WHEN ({exprs['time']}) IS NULL THEN 'missing or bad timestamp' "
        f"WHEN NOT {IP_OK.format(exprs['src_ip'])} THEN 'bad source address' "
        f"WHEN NOT {IP_OK.format(exprs['dst_ip'])} THEN 'bad destination address' "
        "ELSE NULL END AS _reject",
    ]
    return ",\n".join(cols)


def emit_flows(
    path: Path,
    ctx: ParseContext,
    sql: str,
    schema: pa.Schema,
    *,
    csv_rejects: bool = False,
    params: dict[str, Any] | None = None,
) -> None:
    """Hand the SELECT to the store (no row crosses Python) or, failing that, stream it as
    Arrow from the scratch DuckDB; either way good rows are stored and bad ones counted.
    `csv_rejects`: the SELECT reads with DuckDB's store_rejects, collect those lines too."""
    params = {
        "path": str(path),
        "file_id": ctx.file_id,
        "source_file": str(ctx.path),  # (the original when `path` is a cut gzip's copy)
        **(params or {}),
    }
    extra = CSV_REJECTS_SQL if csv_rejects else ""
    setup = DROP_REJECTS if csv_rejects else ""
    teardown = ""
    if LINES in sql:  # read through `lines_scan`: the lines table first, dropped after
        setup, teardown = lines_setup(path), f"DROP TABLE IF EXISTS {LINES}"
    if ctx.emit_query(sql, params, setup=setup, extra_rejects=extra, teardown=teardown):
        return
    con = ctx.scratch()
    try:
        if setup:
            con.execute(setup, used(setup, params))
        reader = con.sql(sql, params=used(sql, params)).to_arrow_reader(BATCH_ROWS)
        ctx.emit(split_rejects(reader, ctx, schema))
    finally:
        if teardown:
            con.execute(teardown)
    if csv_rejects:
        collect_csv_rejects(ctx)
