"""How `network_flow` is stored: a compact table for connection logs behind a view.

A hospital's sensors write tens of millions of connections a day, and writing a row costs
DuckDB far more than reading it. Most of `network_flow`'s 26 columns are the same for every
row of a Zeek `conn.log` (record kind, source file and format), empty (firewall action, DNS
and SMB columns) or derived: a conn.log row's `event_uid` is Zeek's own `uid` (96 random
bits, unique per connection), which also names the connection in the sensor's other logs
(http.log, ssl.log, files.log), so evidence points straight at it. So conn.log rows go to
`flow_conn`, which keeps only what the sensor said plus a file number; `flow_files` maps
that number to the file; the other network sources (DNS, SMB, firewalls, nfdump,
Suricata) keep writing every column to `flow_rows`. `network_flow` is a view joining both
shapes with the same columns as the Arrow schema, so detectors, reports and exports never
see the difference, and a column nobody reads (the source file of each row, say) is never
computed.

A plain Zeek conn.log in a store on disk does not even go through DuckDB's table writer:
Arrow reads it in byte ranges on parallel threads and writes the same compact columns as
Parquet parts beside the store (`insert_parquet`, listed in `flow_parts`), which the view
reads with `flow_conn` (`compact_rows`); what Arrow refuses goes to `flow_conn` as before.

The view names each file's id, path and format as literals (regenerated in the same
transaction as every conn.log ingest): a join with `flow_files` would cost every query
over tens of millions of rows, while an unused literal costs nothing.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from rempart.schema.classes import NETWORK_FLOW, TS
from rempart.schema.flowsql import (
    ADDRESS_PATTERN,
    OUTCOMES,
    ArrowFlows,
    FastPathRefused,
    outcome_sql,
    pairs_sql,
    used,
)

ROWS = "flow_rows"
COMPACT = "flow_conn"
FILES = "flow_files"
ADDRESSES = "flow_addresses"
PAIRS = "flow_pairs"
PARTS = "flow_parts"
VIEW = "network_flow"


# Zeek conn_state -> did the connection attempt succeed? (scan and worm detection read this)
def _status_of_outcome() -> str:
    """The view's `status`: named from `outcome` by a simple CASE, which DuckDB answers on
    the number itself when a query compares `status` with a name (a CASE falling back to
    conn_state took a sixth of a second per 20 M rows for each such comparison). Every row
    has an outcome: rows stored before the column existed get theirs when it is added
    (`backfill_outcome`)."""
    whens = " ".join(f"WHEN {n} THEN '{name}'" for n, name in OUTCOMES.items() if n)
    return f"CASE outcome {whens} ELSE '{OUTCOMES[0]}' END"


def backfill_outcome(con: duckdb.DuckDBPyConnection) -> None:
    """Give the rows of a workspace from before `outcome` their outcome, once, from their
    conn_state (the column was just added: all its values are NULL)."""
    con.execute(f"UPDATE {COMPACT} SET outcome = {outcome_sql('conn_state')} WHERE outcome IS NULL")


# What a connection log row keeps (the sensor's own fields), in this order.
COMPACT_FLOW = pa.schema(
    [
        pa.field("time", TS),
        pa.field("duration", pa.float64()),
        pa.field("src_ip", pa.string()),
        pa.field("src_port", pa.int32()),
        pa.field("dst_ip", pa.string()),
        pa.field("dst_port", pa.int32()),
        pa.field("protocol", pa.string()),
        pa.field("service", pa.string()),
        pa.field("bytes_out", pa.int64()),
        pa.field("bytes_in", pa.int64()),
        pa.field("packets_out", pa.int64()),
        pa.field("packets_in", pa.int64()),
        pa.field("conn_state", pa.string()),
        # `status` as a number (OUTCOMES), named in the view: written as a string it cost
        # a tenth of the ingest, and derived from conn_state in the view it slowed every
        # detector that filters on it by a tenth
        pa.field("outcome", pa.uint8()),
        pa.field("flow_uid", pa.string()),
        pa.field("file_no", pa.int32()),
    ]
)
COMPACT_COLUMNS = [f.name for f in COMPACT_FLOW][:-1]  # what a source's SELECT yields

_FILES_DDL = f"""CREATE TABLE IF NOT EXISTS {FILES} (
    file_no INTEGER PRIMARY KEY,
    file_id VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    source_format VARCHAR NOT NULL)"""


# The Parquet files of the conn.logs written by Arrow (`insert_parquet`): `name` is the
# path relative to the directory of the store's file (DuckDB's `file_search_path`), so a
# workspace can be moved.
_PARTS_DDL = f"""CREATE TABLE IF NOT EXISTS {PARTS} (
    file_no INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    rows BIGINT NOT NULL)"""


_ADDRESSES_DDL = f"""CREATE TABLE IF NOT EXISTS {ADDRESSES} (
    file_no INTEGER NOT NULL,
    ip VARCHAR NOT NULL)"""


SENSOR_LOCAL = "sensor_local"
_SENSOR_LOCAL_DDL = f"""CREATE TABLE IF NOT EXISTS {SENSOR_LOCAL} (
    file_sha256 VARCHAR NOT NULL,
    ip VARCHAR NOT NULL)"""


def record_sensor_local(con: duckdb.DuckDBPyConnection, digest: str, ips: list[str]) -> None:
    """Keep the addresses the sensor of file `digest` marked local (Zeek's `local_orig` /
    `local_resp`, from its `Site::local_nets`): what the sensor knows of the monitored
    network, used by `rempart detect` when the network is numbered in public space."""
    con.execute(_SENSOR_LOCAL_DDL)
    good = [ip for ip in ips if ADDRESS_PATTERN.fullmatch(ip)]
    if good:
        con.execute(
            f"INSERT INTO {SENSOR_LOCAL} SELECT $d, unnest($ips)", {"d": digest, "ips": good}
        )


def sensor_local_ranges(
    con: duckdb.DuckDBPyConnection, covered: tuple[str, ...] = ()
) -> tuple[str, ...]:
    """The sensors' local addresses as CIDR blocks (contiguous addresses collapsed), less
    those already inside `covered` (the internal ranges in force): a hospital numbered in
    RFC 1918 adds nothing, a capture of a public network adds its monitored hosts."""
    if not _is_table(con, SENSOR_LOCAL):
        return ()
    nets = [ipaddress.ip_network(c, strict=False) for c in covered]
    v4: list[ipaddress.IPv4Network] = []
    v6: list[ipaddress.IPv6Network] = []
    for (ip,) in con.execute(f"SELECT DISTINCT ip FROM {SENSOR_LOCAL} ORDER BY ip").fetchall():
        with contextlib.suppress(ValueError):
            net = ipaddress.ip_network(ip)  # one address: a /32 or /128
            if any(net.version == n.version and net.subnet_of(n) for n in nets):  # type: ignore[arg-type]
                continue
            if isinstance(net, ipaddress.IPv4Network):
                v4.append(net)
            else:
                v6.append(net)
    blocks = [*ipaddress.collapse_addresses(v4), *ipaddress.collapse_addresses(v6)]
    return tuple(str(b) for b in blocks)


def addresses_sql(kinds: str) -> str:
    """Every address `network_flow` names (column `ip`), the rows of `flow_rows` filtered
    by `kinds` (SQL on its columns): the conn.logs' addresses come from the small per-file
    inventory the ingest keeps (`flow_addresses`), not from a scan of their rows."""
    return (
        f"SELECT ip FROM {ADDRESSES} UNION SELECT src_ip FROM {ROWS} WHERE {kinds} "
        f"UNION SELECT dst_ip FROM {ROWS} WHERE {kinds}"
    )


def _conn_source(rows: str) -> str:
    """The compact rows `rows` (a table expression) with the `network_flow` columns that
    `pairs_sql` reads."""
    return f"""(SELECT time, src_ip, dst_ip, src_port, dst_port, protocol, conn_state,
        bytes_out, bytes_in, packets_out, packets_in, {_status_of_outcome()} AS status,
        CAST(NULL AS VARCHAR) AS action, CAST(NULL AS VARCHAR) AS record_kind
        FROM {rows}) c"""


def _native(file_no: int) -> str:
    """One file's rows of the `flow_conn` table, as a table expression."""
    return f"(SELECT * FROM {COMPACT} WHERE file_no = {int(file_no)}) f"


def _insert_pairs(con: duckdb.DuckDBPyConnection, file_no: int, rows: str) -> None:
    """Sum a conn.log's stored flows (`rows`, a table expression) into `flow_pairs`
    (`schema.flowsql.pairs_sql`), in the ingest's transaction: the heavy detectors then
    read a table a few percent of the flows' size instead of aggregating every flow at each
    run (module docstring)."""
    con.execute(
        f"INSERT INTO {PAIRS} SELECT {int(file_no)} AS file_no, * FROM "
        f"({pairs_sql(_conn_source(rows))}) p"
    )


def pairs_source() -> str:
    """SQL for every flow of `network_flow` summed as `pairs_sql` does: the conn.logs' rows
    from `flow_pairs` (summed at ingest), the other sources' rows aggregated now."""
    cols = "src_ip, dst_ip, dst_port, protocol, day, n, n_ok, bytes, t0, t1, s_t0, s_ok, " + (
        "e_n, e_ok, e_refused, e_t0, e_t1"
    )
    return f"SELECT {cols} FROM {PAIRS} UNION ALL SELECT {cols} FROM ({pairs_sql(ROWS)}) r"


def has_pairs(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether `pairs_source` can be used (a workspace from before it, opened read-only,
    has no summary yet: the detectors then aggregate the flows)."""
    return _is_table(con, PAIRS) and _is_table(con, ROWS) and _is_table(con, COMPACT)


def has_inventory(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether `addresses_sql` can be used (a workspace from before it, opened read-only,
    has no inventory yet)."""
    return _is_table(con, ADDRESSES) and _is_table(con, ROWS)


def _is_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    rows = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?",
        [name],
    ).fetchall()
    return bool(rows[0][0])


def _compression(f: pa.Field) -> str:
    """The compression `flow_conn` stores a column with, chosen once here, not per row group.

    Left to itself, DuckDB tries every method on every column of every row group (122,880
    rows) before writing it: about a sixteenth of the INSERT of a 20 M-row conn.log (0.8 s
    of 13), for the choice it made anyway on a day of twin traffic (dictionary+FSST for
    addresses, protocol, service and state; bit-packing for times, ports and counters; ALP
    for durations; run-length for the outcome and the file number). Zeek uids are random:
    dictionary+FSST cost more than every other column together and saved a fifth of their
    size, so they are stored plainly.
    """
    if f.name == "flow_uid":
        return "uncompressed"
    if pa.types.is_string(f.type):
        return "dict_fsst"
    if pa.types.is_floating(f.type):
        return "alp"
    if f.name in ("outcome", "file_no"):
        return "rle"
    return "bitpacking"


def create(con: duckdb.DuckDBPyConnection) -> None:
    """Create the flow tables (the caller then adds missing columns and refreshes the view);
    a workspace from before (a plain `network_flow` table) keeps its rows: the table is
    renamed `flow_rows`."""
    if _is_table(con, VIEW):
        con.execute(f"ALTER TABLE {VIEW} RENAME TO {ROWS}")
    con.register("_empty", NETWORK_FLOW.empty_table())
    con.execute(f"CREATE TABLE IF NOT EXISTS {ROWS} AS SELECT * FROM _empty LIMIT 0")
    con.unregister("_empty")
    con.register("_empty", COMPACT_FLOW.empty_table())
    types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE _empty)").fetchall())
    con.unregister("_empty")
    cols = ", ".join(
        f'"{f.name}" {types[f.name]} USING COMPRESSION {_compression(f)}' for f in COMPACT_FLOW
    )
    con.execute(f"CREATE TABLE IF NOT EXISTS {COMPACT} ({cols})")
    con.execute(_FILES_DDL)
    con.execute(_PARTS_DDL)
    if not _is_table(con, ADDRESSES):
        # a workspace from before the inventory: list its conn.logs' addresses once (from
        # then on, each ingest adds its file's)
        con.execute(_ADDRESSES_DDL)
        con.execute(
            f"""INSERT INTO {ADDRESSES} SELECT DISTINCT file_no, ip FROM (
                SELECT file_no, src_ip AS ip FROM {compact_rows(con)}
                UNION ALL SELECT file_no, dst_ip FROM {compact_rows(con)}) a
            WHERE ip IS NOT NULL"""
        )


def create_pairs(con: duckdb.DuckDBPyConnection) -> None:
    """Create `flow_pairs` (after `create` and the outcome's backfill): the per-file
    summary of the conn.logs; a workspace from before it gets its files' summaries once,
    here."""
    if not _is_table(con, PAIRS):
        con.execute(
            f"CREATE TABLE {PAIRS} AS SELECT CAST(0 AS INTEGER) AS file_no, * FROM "
            f"({pairs_sql(_conn_source(COMPACT))}) p LIMIT 0"
        )
        for (file_no,) in con.execute(f"SELECT DISTINCT file_no FROM {COMPACT}").fetchall():
            _insert_pairs(con, int(file_no), _native(int(file_no)))
        for file_no in sorted(
            {int(n) for (n,) in con.execute(f"SELECT file_no FROM {PARTS}").fetchall()}
        ):
            _insert_pairs(con, file_no, f"{_read_parts(_parts(con, file_no))} f")


def row_count(con: duckdb.DuckDBPyConnection) -> int | None:
    """Rows of `network_flow` from its tables' own counts (DuckDB keeps them; counting the
    view scans a column), or None on a connection without the flow tables."""
    if not (_is_table(con, ROWS) and _is_table(con, COMPACT)):
        return None
    parts = f" + (SELECT coalesce(sum(rows), 0) FROM {PARTS})" if _is_table(con, PARTS) else ""
    rows = con.execute(
        f"SELECT (SELECT count(*) FROM {ROWS}) + (SELECT count(*) FROM {COMPACT}){parts}"
    ).fetchall()
    return int(rows[0][0])


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _per_file(files: list[tuple[int, str, str, str]], index: int) -> str:
    """A CASE on file_no giving one of the file's attributes (NULL when there is none)."""
    if not files:
        return "CAST(NULL AS VARCHAR)"
    whens = " ".join(f"WHEN {f[0]} THEN {_literal(str(f[index]))}" for f in files)
    return f"CASE file_no {whens} END"


def refresh_view(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)define `network_flow` over both tables, naming every conn.log file."""
    files = [
        (int(n), str(i), str(p), str(f))
        for n, i, p, f in con.execute(
            f"SELECT file_no, file_id, source_file, source_format FROM {FILES} ORDER BY file_no"
        ).fetchall()
    ]
    con.register("_types", NETWORK_FLOW.empty_table())
    types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE _types)").fetchall())
    con.unregister("_types")
    derived = {
        "status": _status_of_outcome(),
        "record_kind": "'flow'",
        "event_uid": "flow_uid",
        "source_file": _per_file(files, 2),
        "source_format": _per_file(files, 3),
    }
    kept = set(COMPACT_COLUMNS)
    compact = []
    for f in NETWORK_FLOW:
        expr = f.name if f.name in kept else derived.get(f.name, "NULL")
        compact.append(f'CAST({expr} AS {types[f.name]}) AS "{f.name}"')
    names = ", ".join(f'"{f.name}"' for f in NETWORK_FLOW)
    con.execute(
        f"CREATE OR REPLACE VIEW {VIEW} AS SELECT {names} FROM {ROWS} "
        f"UNION ALL SELECT {', '.join(compact)} FROM {compact_rows(con)}"
    )


def _check_addresses(con: duckdb.DuckDBPyConnection, file_no: int) -> list[str]:
    """The file's distinct addresses that are not IPs, each value tested once.

    A day of flows names a few thousand hosts in tens of millions of rows: matching the
    pattern per row cost a tenth of the whole ingest; per distinct value it is free. The
    values are read from the file's sums in `flow_pairs` (`_judge` writes them first),
    which name every address of its rows in a hundredth of the rows: every conn.log row is
    a flow, so it is in some pair (a NULL address is a NULL key). The good ones are kept as
    the file's address inventory (`flow_addresses`, read by `addresses_sql`); the bad ones
    are returned, for their rows to be rejected.
    """
    found = con.execute(
        f"""SELECT list(ip) FROM (
            SELECT DISTINCT src_ip AS ip FROM {PAIRS} WHERE file_no = $n
            UNION SELECT DISTINCT dst_ip FROM {PAIRS} WHERE file_no = $n) a""",
        {"n": file_no},
    ).fetchall()
    seen = found[0][0] if found and found[0][0] else []
    bad = [ip for ip in seen if ip is not None and not ADDRESS_PATTERN.fullmatch(ip)]
    good = [ip for ip in seen if ip is not None and ADDRESS_PATTERN.fullmatch(ip)]
    con.execute(f"INSERT INTO {ADDRESSES} SELECT $n, unnest($ips)", {"n": file_no, "ips": good})
    return bad


def _judge(
    con: duckdb.DuckDBPyConnection,
    file_no: int,
    rows: str,
    checks: list[tuple[str, str]],
    drop: Callable[[str, dict[str, object]], str],
) -> dict[str, int]:
    """Sum a file's stored rows (`rows`) into `flow_pairs`, then judge them (`_rejects`);
    when some are rejected, `drop(failed SQL, its parameters)` removes them and returns
    the rows left, whose sum and addresses replace the first ones. Returns the rejects by
    reason.

    The sum comes first because the addresses are checked on it (`_check_addresses`):
    rejects are rare, and summing a file twice then costs less than reading every row's
    addresses at each ingest."""
    _insert_pairs(con, file_no, rows)
    counts, failed, args = _rejects(con, file_no, rows, checks)
    if counts:
        left = drop(failed, args)
        for table in (PAIRS, ADDRESSES):
            con.execute(f"DELETE FROM {table} WHERE file_no = $n", {"n": file_no})
        _insert_pairs(con, file_no, left)
        # the inventory names the stored flows' addresses only: not those of a row
        # rejected for its time, say (every address left is good)
        _check_addresses(con, file_no)
    return counts


def insert_compact(
    con: duckdb.DuckDBPyConnection,
    select: str,
    params: dict[str, object],
    *,
    checks: list[tuple[str, str]],
    file_id: Callable[[], str],
    path: str,
    source_format: str,
) -> tuple[int, dict[str, int]]:
    """INSERT a source's SELECT (COMPACT_COLUMNS) into `flow_conn`, then reject rows.

    Rows are written in any order, side by side on every thread, bad ones included.
    `checks` are (condition on the stored columns, reason), the first true one naming a
    row's reason; a bad address (tested per distinct value) comes after them. The checks
    run on the stored rows, not in the INSERT: a condition such as `time IS NULL` is
    answered from each row group's statistics without reading it, while a reason column
    computed and written for 20 M good rows cost a twentieth of the ingest. The rejected
    rows are counted per reason and deleted, so the file is read once. Returns (rows kept,
    rejects by reason).
    """
    file_no = _next_file_no(con)
    cols = ", ".join(f'"{c}"' for c in COMPACT_COLUMNS)
    con.execute("SET preserve_insertion_order = false")
    try:
        inserted = con.execute(
            f"INSERT INTO {COMPACT} BY NAME SELECT {cols}, {file_no} AS file_no FROM ({select}) _q",
            used(select, params),
        ).fetchall()
    except duckdb.Error:
        with contextlib.suppress(duckdb.Error):  # (the transaction is aborted)
            con.execute("RESET preserve_insertion_order")
        raise
    con.execute("RESET preserve_insertion_order")
    total = int(inserted[0][0]) if inserted else 0
    rows = _native(file_no)

    def drop(failed: str, args: dict[str, object]) -> str:
        con.execute(f"DELETE FROM {COMPACT} WHERE file_no = {file_no} AND ({failed})", args)
        return rows

    counts = _judge(con, file_no, rows, checks, drop)
    _finish(con, file_no, file_id, path, source_format)
    return total - sum(counts.values()), counts


def _rejects(
    con: duckdb.DuckDBPyConnection, file_no: int, rows: str, checks: list[tuple[str, str]]
) -> tuple[dict[str, int], str, dict[str, object]]:
    """Judge a file's stored rows (`rows`) by `checks` and its addresses (each distinct
    value matched once, from its sums): (rejects per reason, the SQL of a failed row, its
    parameters)."""
    bad = _check_addresses(con, file_no)
    rules = list(checks)
    if bad:
        rules += [
            ("list_contains($bad, src_ip)", "bad originator address"),
            ("list_contains($bad, dst_ip)", "bad responder address"),
        ]
    args: dict[str, object] = {"bad": bad} if bad else {}
    # Each rule alone first: a rule on one column is answered from each row group's
    # statistics (no NULL time in a part, its times within the window) without reading
    # the rows; the rules together, ORed, are not. Only when some rule holds somewhere
    # are the rows read, for each one's first reason.
    rules = [(cond, reason) for cond, reason in rules if _holds(con, rows, cond, args)]
    if not rules:
        return {}, "false", {}
    failed = " OR ".join(f"({cond})" for cond, _ in rules)
    reason = "CASE " + " ".join(f"WHEN {c} THEN {_literal(r)}" for c, r in rules) + " END"
    args = used(failed, args)
    counts = {
        str(r): int(n)
        for r, n in con.execute(
            f"SELECT {reason}, count(*) FROM {rows} WHERE {failed} GROUP BY 1", args
        ).fetchall()
    }
    return counts, failed, args


def _holds(con: duckdb.DuckDBPyConnection, rows: str, cond: str, args: dict[str, object]) -> bool:
    """Whether `cond` is true of some row of `rows`."""
    found = con.execute(f"SELECT 1 FROM {rows} WHERE {cond} LIMIT 1", used(cond, args))
    return bool(found.fetchall())


def _finish(
    con: duckdb.DuckDBPyConnection,
    file_no: int,
    file_id: Callable[[], str],
    path: str,
    source_format: str,
) -> None:
    """Name the file, redefine the view."""
    # (the file's digest may have been computed while the rows were written: asked last)
    con.execute(
        f"INSERT INTO {FILES} VALUES (?, ?, ?, ?)", [file_no, file_id(), path, source_format]
    )
    refresh_view(con)


def _next_file_no(con: duckdb.DuckDBPyConnection) -> int:
    rows = con.execute(f"SELECT coalesce(max(file_no), 0) + 1 FROM {FILES}").fetchall()
    return int(rows[0][0])


def _parts(con: duckdb.DuckDBPyConnection, file_no: int | None = None) -> list[str]:
    """The Parquet parts' names (of one file, or all), in order."""
    if not _is_table(con, PARTS):
        return []
    where = "" if file_no is None else f"WHERE file_no = {int(file_no)}"
    found = con.execute(f"SELECT name FROM {PARTS} {where} ORDER BY file_no, name").fetchall()
    return [str(name) for (name,) in found]


def _read_parts(names: list[str]) -> str:
    """A table expression over Parquet parts (our own names: digits, hex, one dot)."""
    return f"read_parquet([{', '.join(_literal(n) for n in names)}])"


def compact_rows(con: duckdb.DuckDBPyConnection) -> str:
    """Every conn.log row: the `flow_conn` table, and the Parquet parts when there are some
    (a table expression with `COMPACT_FLOW`'s columns)."""
    names = _parts(con)
    if not names:
        return COMPACT
    return f"(SELECT * FROM {COMPACT} UNION ALL BY NAME SELECT * FROM {_read_parts(names)}) r"


_DICTIONARY = [
    "src_ip", "dst_ip", "dst_port", "protocol", "service", "conn_state", "outcome", "file_no"
]  # fmt: skip

# The smallest byte range worth a thread (and a Parquet part) of its own: an hourly log
# of a small site is one part.
RANGE_BYTES = 64 << 20


def _statistics(checks: list[tuple[str, str]]) -> list[str]:
    """The columns whose Parquet statistics are written: the time (a query over a time
    window skips the row groups outside it) and every column `checks` names, whose
    conditions (`time IS NULL`, `flow_uid IS NULL`) DuckDB then answers from each row
    group's null count and range without reading it (`_rejects`). Other columns' ranges
    span every row group (ports, addresses, random uids) and computing them cost a tenth
    of the write."""
    text = " ".join(cond for cond, _ in checks)
    named = {f.name for f in COMPACT_FLOW if re.search(rf"\b{f.name}\b", text)}
    return [f.name for f in COMPACT_FLOW if f.name in named | {"time", "file_no"}]


def _write_range(
    arrow: ArrowFlows,
    span: tuple[int, int],
    target: Path,
    file_no: int,
    stop: threading.Event,
    statistics: list[str],
) -> int:
    """Write the rows of one byte range to `target` (no file for a range without rows);
    returns the rows written. Raises FastPathRefused as the reader does."""
    writer: pq.ParquetWriter | None = None
    rows = 0
    try:
        for batch in arrow.read(*span):
            if stop.is_set():
                raise FastPathRefused("stopped: another range was refused")
            columns = [batch.column(f.name) for f in COMPACT_FLOW if f.name != "file_no"]
            part = pa.RecordBatch.from_arrays(
                [*columns, _constant(file_no, batch.num_rows)], schema=COMPACT_FLOW
            )
            if writer is None:
                writer = pq.ParquetWriter(
                    target,
                    COMPACT_FLOW,
                    # Dictionaries for the few-valued columns (DuckDB then groups and
                    # counts on the codes: the `flow_pairs` sum took two thirds of the
                    # time), none for the random uids and the measures; no compression
                    # (LZ4 cost a third more on the write, for a part 1.6 GB -> 1.1 GB
                    # per 20 M rows)
                    compression="none",
                    use_dictionary=_DICTIONARY,
                    write_statistics=statistics,
                )
            writer.write_batch(part)
            rows += part.num_rows
    finally:
        if writer is not None:
            writer.close()
    return rows


def _constant(value: int, n: int) -> pa.Array:
    """`n` times the int32 `value`, without a Python list of `n` items."""
    return pa.array(np.full(n, value, dtype=np.int32))


def _write_parts(
    arrow: ArrowFlows,
    targets: list[Path],
    spans: list[tuple[int, int]],
    file_no: int,
    statistics: list[str],
) -> list[int] | None:
    """Write each byte range to its target on a thread of its own; the rows of each, or
    None (and no file left) when a range was refused. Other errors (a full disk) raise,
    after the files are removed."""
    stop = threading.Event()
    done: list[int] = [0] * len(spans)
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            done[k] = _write_range(arrow, spans[k], targets[k], file_no, stop, statistics)
        except BaseException as exc:  # (handed to the caller's thread)
            errors.append(exc)
            stop.set()

    threads = [threading.Thread(target=work, args=(k,), daemon=True) for k in range(len(spans))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        for target in targets:
            target.unlink(missing_ok=True)
        real = [e for e in errors if not isinstance(e, FastPathRefused)]
        if real:
            raise real[0]
        return None
    return done


def insert_parquet(
    con: duckdb.DuckDBPyConnection,
    arrow: ArrowFlows,
    directory: Path,
    *,
    checks: list[tuple[str, str]],
    file_id: Callable[[], str],
    path: str,
    source_format: str,
) -> tuple[int, dict[str, int]] | None:
    """Write a connection log as Parquet parts beside the store, then judge its rows.

    The file is cut in as many byte ranges as DuckDB has threads, and Arrow reads and
    writes each on its own thread (`schema.flowsql.ArrowFlows`): 10.3 s where DuckDB's
    reader and table writer took 20.3 s for the same 20 M rows, which is what brings
    ingest + detectors within twice DuckDB's own scan of the file (issue 26). The parts
    are registered in `flow_parts` within the caller's transaction; a rolled-back
    transaction removes them (`Store.transaction`), and a part left by an interrupted
    process goes at a later open (`drop_orphans`). Rows are then judged by `checks` and their
    addresses as `insert_compact` judges them; when some are rejected, each part is
    rewritten without them. Returns (rows kept, rejects by reason), or None when the reader
    refused the file (nothing is left: the caller reads it the other way).
    """
    file_no = _next_file_no(con)
    found = con.execute("SELECT current_setting('threads')").fetchall()
    spans = arrow.ranges(max(1, int(found[0][0])), least=RANGE_BYTES)
    directory.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(8)
    names = [f"{directory.name}/{file_no:06d}-{k}-{token}.parquet" for k in range(len(spans))]
    targets = [directory / Path(n).name for n in names]
    written = _write_parts(arrow, targets, spans, file_no, _statistics(checks))
    if written is None:
        return None
    kept = [(n, r) for n, r in zip(names, written, strict=True) if r]
    for name, n in kept:
        con.execute(f"INSERT INTO {PARTS} VALUES (?, ?, ?)", [file_no, name, n])
    rows = f"{_read_parts([n for n, _ in kept])} f" if kept else _native(file_no)

    def drop(failed: str, args: dict[str, object]) -> str:
        _rewrite_parts(con, file_no, kept, directory, failed, args)
        left = _parts(con, file_no)
        return f"{_read_parts(left)} f" if left else _native(file_no)

    counts = _judge(con, file_no, rows, checks, drop) if kept else {}
    _finish(con, file_no, file_id, path, source_format)
    return sum(written) - sum(counts.values()), counts


def _rewrite_parts(
    con: duckdb.DuckDBPyConnection,
    file_no: int,
    parts: list[tuple[str, int]],
    directory: Path,
    failed: str,
    args: dict[str, object],
) -> None:
    """Write each part again without its rejected rows (a Parquet file is not edited in
    place), then forget and remove the old ones; a part left empty is dropped."""
    token = secrets.token_hex(8)
    con.execute(f"DELETE FROM {PARTS} WHERE file_no = {int(file_no)}")
    for k, (name, _) in enumerate(parts):
        new = f"{directory.name}/{file_no:06d}-{k}-{token}.parquet"
        kept = con.execute(
            f"SELECT count(*) FROM {_read_parts([name])} WHERE ({failed}) IS NOT TRUE", args
        ).fetchall()[0][0]
        if kept:
            con.execute(
                f"COPY (SELECT * FROM {_read_parts([name])} WHERE ({failed}) IS NOT TRUE) "
                f"TO {_literal(str(directory / Path(new).name))} (FORMAT parquet)",
                args,
            )
            con.execute(f"INSERT INTO {PARTS} VALUES (?, ?, ?)", [file_no, new, int(kept)])
        (directory / Path(name).name).unlink(missing_ok=True)


def part_paths(con: duckdb.DuckDBPyConnection, directory: Path) -> list[Path]:
    """The files of the last ingested conn.log's parts."""
    return [directory / Path(n).name for n in _parts(con, _next_file_no(con) - 1)]


def parts_directory(db: Path) -> Path:
    """Where a store file's Parquet parts are: `<name>.flows` beside it."""
    return db.parent / f"{db.stem}.flows"


def drop_orphans(con: duckdb.DuckDBPyConnection, directory: Path) -> None:
    """Remove the parts no row of `flow_parts` names (an ingest that failed or was stopped
    after writing them); called when the store is opened for writing, when no other
    process can be writing (DuckDB lets one process write a file)."""
    if not directory.is_dir() or not _is_table(con, PARTS):
        return
    known = {Path(n).name for n in _parts(con)}
    # (a part written in the last hour may belong to an ingest still running in this
    # process, on another connection to the same database)
    recent = time.time() - 3600
    for entry in directory.glob("*.parquet"):
        if entry.name not in known and entry.stat().st_mtime < recent:
            with contextlib.suppress(OSError):
                entry.unlink()
