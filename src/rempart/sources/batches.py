"""Arrow batches and DuckDB reject tables: plumbing every SQL-reading source shares.

A source's SELECT yields its event columns plus `_reject` (a reason, or NULL); the good rows
stream on as Arrow batches in the event schema, the bad ones become rejections with their
line. DuckDB's CSV reader keeps the lines it could not read in `reject_errors`; these turn
them into one rejection per line, with a short reason.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc

from rempart.sources.base import ParseContext

BATCH_ROWS = 1 << 20


def split_rejects(
    reader: pa.RecordBatchReader, ctx: ParseContext, schema: pa.Schema
) -> pa.RecordBatchReader:
    """Stream valid rows on; count the others as rejected (per batch, never per row)."""

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in reader:
            reason = batch.column("_reject")
            bad = pc.is_valid(reason)
            if pc.any(bad).as_py():
                bad_rows = batch.filter(bad)
                lines = bad_rows.column("source_line").to_pylist()
                for line, why in zip(lines, bad_rows.column("_reject").to_pylist(), strict=True):
                    ctx.reject(line, str(why))
                batch = batch.filter(pc.invert(bad))
            yield conform(batch, schema)

    return pa.RecordBatchReader.from_batches(schema, batches())


def conform(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """The batch in the event schema's column order; nullable columns it lacks become NULL."""
    arrays = [
        batch.column(f.name).cast(f.type)
        if f.name in batch.schema.names
        else pa.nulls(batch.num_rows, f.type)
        for f in schema
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


DROP_REJECTS = "DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans"

_CSV_REASONS = {
    "MISSING COLUMNS": "truncated line (too few fields)",
    "TOO MANY COLUMNS": "too many fields",
    "UNQUOTED VALUE": "malformed line",
    "LINE SIZE OVER MAXIMUM": "line too long",
    "INVALID ENCODING": "invalid UTF-8",
}

# A value the fast path's reader could not type (same reasons as the text path's checks).
_CAST_REASONS = {
    "ts": "missing or bad timestamp",
    "id.resp_p": "bad responder port",
    "id.orig_p": "bad originator port",
}


def csv_rejects_sql(outer: str = "{reason}", where: str = "") -> str:
    """DuckDB's CSV reject table as (line, reason), one row per line (the reader may run
    twice); `outer` wraps the reason (`{reason}`), `where` filters on `csv_line`."""
    reason = (
        "CASE kind "
        + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in _CSV_REASONS.items())
        + " WHEN 'CAST' THEN CASE col "
        + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in _CAST_REASONS.items())
        + " ELSE concat('bad value in column ', col) END"
        + " ELSE concat('bad value in column ', col, ' (', lower(kind), ')') END"
    )
    return (
        f"SELECT line, {outer.replace('{reason}', reason)} "
        "FROM (SELECT line, arg_min(error_type, column_idx) AS kind, "
        "arg_min(column_name, column_idx) AS col, "
        # (DuckDB keeps the previous line's LF at the start of a CRLF file's csv_line)
        "any_value(trim(csv_line, chr(10) || chr(13))) AS csv_line "
        f"FROM reject_errors GROUP BY line) r {where} ORDER BY line"
    )


CSV_REJECTS_SQL = csv_rejects_sql()


def collect_csv_rejects(ctx: ParseContext) -> None:
    """Turn DuckDB's CSV reject table into one rejection per line, with a short reason."""
    for line, reason in ctx.scratch().execute(CSV_REJECTS_SQL).fetchall():
        ctx.reject(int(line), str(reason))


__all__ = [
    "BATCH_ROWS",
    "CSV_REJECTS_SQL",
    "DROP_REJECTS",
    "collect_csv_rejects",
    "conform",
    "csv_rejects_sql",
    "split_rejects",
]
