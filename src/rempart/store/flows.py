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

The view names each file's id, path and format as literals (regenerated in the same
transaction as every conn.log ingest): a join with `flow_files` would cost every query
over tens of millions of rows, while an unused literal costs nothing.
"""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Callable

import duckdb
import pyarrow as pa

from rempart.schema.classes import NETWORK_FLOW, TS
from rempart.schema.flowsql import ADDRESS_PATTERN, OUTCOMES, outcome_sql, pairs_sql, used

ROWS = "flow_rows"
COMPACT = "flow_conn"
FILES = "flow_files"
ADDRESSES = "flow_addresses"
PAIRS = "flow_pairs"
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


def _conn_source(where: str) -> str:
    """`flow_conn` rows (those `where` selects) with the `network_flow` columns that
    `pairs_sql` reads."""
    return f"""(SELECT time, src_ip, dst_ip, src_port, dst_port, protocol, conn_state,
        bytes_out, bytes_in, packets_out, packets_in, {_status_of_outcome()} AS status,
        CAST(NULL AS VARCHAR) AS action, CAST(NULL AS VARCHAR) AS record_kind
        FROM {COMPACT} WHERE {where}) c"""


def _insert_pairs(con: duckdb.DuckDBPyConnection, file_no: int) -> None:
    """Sum a conn.log's stored flows into `flow_pairs` (`schema.flowsql.pairs_sql`), in the
    ingest's transaction: the heavy detectors then read a table a few percent of the flows'
    size instead of aggregating every flow at each run (module docstring)."""
    con.execute(
        f"INSERT INTO {PAIRS} SELECT {int(file_no)} AS file_no, * FROM "
        f"({pairs_sql(_conn_source(f'file_no = {int(file_no)}'))}) p"
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
    if not _is_table(con, ADDRESSES):
        # a workspace from before the inventory: list its conn.logs' addresses once (from
        # then on, each ingest adds its file's)
        con.execute(_ADDRESSES_DDL)
        con.execute(
            f"""INSERT INTO {ADDRESSES} SELECT DISTINCT file_no, ip FROM (
                SELECT file_no, src_ip AS ip FROM {COMPACT}
                UNION ALL SELECT file_no, dst_ip FROM {COMPACT}) a
            WHERE ip IS NOT NULL"""
        )


def create_pairs(con: duckdb.DuckDBPyConnection) -> None:
    """Create `flow_pairs` (after `create` and the outcome's backfill): the per-file
    summary of the conn.logs; a workspace from before it gets its files' summaries once,
    here."""
    if not _is_table(con, PAIRS):
        con.execute(
            f"CREATE TABLE {PAIRS} AS SELECT CAST(0 AS INTEGER) AS file_no, * FROM "
            f"({pairs_sql(_conn_source('false'))}) p LIMIT 0"
        )
        for (file_no,) in con.execute(f"SELECT DISTINCT file_no FROM {COMPACT}").fetchall():
            _insert_pairs(con, int(file_no))


def row_count(con: duckdb.DuckDBPyConnection) -> int | None:
    """Rows of `network_flow` from its tables' own counts (DuckDB keeps them; counting the
    view scans a column), or None on a connection without the flow tables."""
    if not (_is_table(con, ROWS) and _is_table(con, COMPACT)):
        return None
    rows = con.execute(
        f"SELECT (SELECT count(*) FROM {ROWS}) + (SELECT count(*) FROM {COMPACT})"
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
        f"UNION ALL SELECT {', '.join(compact)} FROM {COMPACT}"
    )


def _check_addresses(con: duckdb.DuckDBPyConnection, file_no: int) -> list[str]:
    """The file's distinct addresses that are not IPs, each value tested once.

    A day of flows names a few thousand hosts in tens of millions of rows: matching the
    pattern per row cost a tenth of the whole ingest; per distinct value it is free. The
    distinct values are fetched first and matched on their own: with the pattern in the
    same query, DuckDB pushed it below the DISTINCT, back onto every row. The good ones are
    kept as the file's address inventory (`flow_addresses`, read by `addresses_sql`); the
    bad ones are returned, for `insert_compact` to reject their rows.
    """
    rows = con.execute(
        f"""SELECT list(ip) FROM (
            SELECT DISTINCT src_ip AS ip FROM {COMPACT} WHERE file_no = $n
            UNION SELECT DISTINCT dst_ip FROM {COMPACT} WHERE file_no = $n) a""",
        {"n": file_no},
    ).fetchall()
    seen = rows[0][0] if rows and rows[0][0] else []
    bad = [ip for ip in seen if ip is not None and not ADDRESS_PATTERN.fullmatch(ip)]
    good = [ip for ip in seen if ip is not None and ADDRESS_PATTERN.fullmatch(ip)]
    con.execute(f"INSERT INTO {ADDRESSES} SELECT $n, unnest($ips)", {"n": file_no, "ips": good})
    return bad


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
    rows = con.execute(f"SELECT coalesce(max(file_no), 0) + 1 FROM {FILES}").fetchall()
    file_no = int(rows[0][0])
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
    bad = _check_addresses(con, file_no)
    rules = list(checks)
    if bad:
        rules += [
            ("list_contains($bad, src_ip)", "bad originator address"),
            ("list_contains($bad, dst_ip)", "bad responder address"),
        ]
    counts: dict[str, int] = {}
    if rules:
        failed = " OR ".join(f"({cond})" for cond, _ in rules)
        reason = "CASE " + " ".join(f"WHEN {c} THEN {_literal(r)}" for c, r in rules) + " END"
        where = f"file_no = $n AND ({failed})"
        args: dict[str, object] = {"n": file_no, **({"bad": bad} if bad else {})}
        counts = {
            str(r): int(n)
            for r, n in con.execute(
                f"SELECT {reason}, count(*) FROM {COMPACT} WHERE {where} GROUP BY 1", args
            ).fetchall()
        }
        if counts:
            con.execute(f"DELETE FROM {COMPACT} WHERE {where}", args)
    _insert_pairs(con, file_no)
    # (the file's digest may have been computed while the rows were written: asked last)
    con.execute(
        f"INSERT INTO {FILES} VALUES (?, ?, ?, ?)", [file_no, file_id(), path, source_format]
    )
    refresh_view(con)
    return total - sum(counts.values()), counts
