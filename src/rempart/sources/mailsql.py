"""SQL plumbing the mail-server log sources share (Postfix, Exchange, M365, Exim, Sendmail).

Each reads its file as numbered lines in DuckDB (`numbered_lines`), builds the
`mail_transfer` SELECT with `transfer_select` (addresses through `address_sql`) and hands it
to the store with `emit_select`: no Python loop touches a row.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from rempart.core.errors import SourceError
from rempart.sources.base import ParseContext
from rempart.sources.batches import BATCH_ROWS, split_rejects
from rempart.sources.gzipcut import is_gzip

TRANSFER_TEXT = (
    *("sender", "recipient", "orig_recipient", "message_id", "queue_id", "subject"),
    *("src_ip", "client_host", "server", "relay", "status", "status_detail", "raw"),
)
MAX_FIELD = 1000  # attacker-controlled text (subjects, addresses) is stored bounded
MAX_RAW = 4000


def transfer_select(name: str, exprs: dict[str, str], reject: str, line: str, uid: str) -> str:
    """SELECT list of `mail_transfer` columns (missing ones NULL) plus `_reject`."""
    cols = [f"CAST({exprs['time']} AS TIMESTAMPTZ) AS time"]
    for col in TRANSFER_TEXT:
        limit = MAX_RAW if col == "raw" else MAX_FIELD
        cols.append(
            f"left(nullif(CAST({exprs.get(col, 'NULL')} AS VARCHAR), ''), {limit}) AS {col}"
        )
    cols += [
        f"TRY_CAST({exprs.get('size', 'NULL')} AS BIGINT) AS size",
        f"$file_id || ':' || {uid} AS event_uid",
        "$source_file AS source_file",
        f"CAST({line} AS BIGINT) AS source_line",
        f"'{name}' AS source_format",
        f"CASE {reject} WHEN ({exprs['time']}) IS NULL THEN 'missing or bad timestamp' "
        "ELSE NULL END AS _reject",
    ]
    return ",\n".join(cols)


_READER_REASONS = {"INVALID ENCODING": "not UTF-8 text", "LINE SIZE OVER MAXIMUM": "line too long"}
MAX_UNREADABLE = 1000


def numbered_lines(path: Path, ctx: ParseContext) -> tuple[str, list[int]]:
    """SQL of (_n, line) over the file's lines, `_n` its line number, and the parameter
    (`gaps`) it needs.

    A line DuckDB cannot decode (not UTF-8: an 8-bit subject in a log, say) is dropped by
    the reader; a first pass on the scratch connection (fast: the lines are only scanned)
    finds them, rejects each with its number, and the good lines are numbered around them.
    """
    read = lines_read(path)
    con = ctx.scratch()
    con.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
    probe = read.replace("ignore_errors=true", "ignore_errors=true, store_rejects=true")
    con.execute(f"SELECT count(line) FROM {probe}", {"path": str(path)}).fetchall()
    bad = con.execute(
        "SELECT line, any_value(error_type) FROM reject_errors GROUP BY line ORDER BY line"
    ).fetchall()
    if len(bad) > MAX_UNREADABLE:
        raise SourceError(path, f"not a text log ({len(bad)} unreadable lines)")
    for line, kind in bad:
        ctx.reject(int(line), _READER_REASONS.get(str(kind), f"unreadable line ({kind})"))
    # the j-th dropped line (1-based) has (line - j) good lines before it
    gaps = [int(line) - j for j, (line, _) in enumerate(bad, start=1)]
    offset = " + len(list_filter($gaps, lambda g: g < _i))" if gaps else ""
    sql = (
        f"SELECT _i{offset} AS _n, line FROM (SELECT row_number() OVER () AS _i, line FROM {read})"
    )
    return sql, gaps


def lines_read(path: Path) -> str:
    comp = "gzip" if is_gzip(path) else "none"
    return (
        "read_csv($path, delim='\x01', header=false, quote='', escape='', auto_detect=false, "
        f"columns={{'line': 'VARCHAR'}}, compression='{comp}', strict_mode=false, "
        "ignore_errors=true)"
    )


def emit_select(
    path: Path, ctx: ParseContext, sql: str, schema: pa.Schema, gaps: list[int]
) -> None:
    """Hand the SELECT to the store (no row crosses Python) or, failing that, stream it as
    Arrow from the scratch DuckDB. Its parameters are exactly the ones it uses (DuckDB
    refuses extra ones); `source_file` names the file given (`ctx.path`), which may not be
    the one read (`path`)."""
    params: dict[str, Any] = {"path": str(path), "file_id": ctx.file_id}
    params["source_file"] = str(ctx.path)
    if gaps:
        params["gaps"] = gaps
    if ctx.emit_query(sql, params):
        return
    reader = ctx.scratch().sql(sql, params=params).to_arrow_reader(BATCH_ROWS)
    ctx.emit(split_rejects(reader, ctx, schema))


def address_sql(expr: str) -> str:
    """An address as stored: lower case, no angle brackets, NULL when empty (`<>`)."""
    return f"nullif(lower(trim({expr}, ' <>')), '')"


__all__ = [
    "MAX_FIELD",
    "MAX_RAW",
    "MAX_UNREADABLE",
    "TRANSFER_TEXT",
    "address_sql",
    "emit_select",
    "lines_read",
    "numbered_lines",
    "transfer_select",
]
