"""Zeek `conn.log`, TSV (with its `#fields`/`#types` header, gzip too) and JSON lines.

Parsing stays columnar: DuckDB's CSV reader splits the TSV, SQL casts and checks each
column and gives every bad record a reason and its line; JSON lines are read as text and
decoded by DuckDB's JSON functions. Python only sees Arrow batches.
"""

from __future__ import annotations

import gzip
import itertools
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from rempart.errors import SourceError
from rempart.sources.base import ParseContext, Source

# Zeek conn_state -> did the connection attempt succeed? (scan and worm detection read this)
# Failure: the originator's SYN got no answer or a reset (S0, REJ, RSTOS0, SH). OTH, SHR and
# RSTRH mean no SYN was seen from the originator (mid-stream at capture start, backscatter):
# the outcome is unknown, and counting them as failures made busy clients look like scanners.
_FAILED_STATES = "('S0','REJ','RSTOS0','SH')"
_OK_STATES = "('SF','S1','S2','S3','RSTO','RSTR')"

_IP_RE = "'^[0-9A-Fa-f.:]{2,45}$'"

_REQUIRED = ("ts", "id.orig_h", "id.resp_h")

_BATCH_ROWS = 1 << 20


def _normalise_sql(
    fields: set[str], source_format: str, line_expr: str, first_check: str = ""
) -> str:
    """SELECT list from Zeek conn columns (missing ones become NULL) to `network_flow`."""

    def col(name: str, cast: str | None = None) -> str:
        if name not in fields:
            return "NULL" if cast is None else f"CAST(NULL AS {cast})"
        ref = f'"{name}"'
        return ref if cast is None else f"TRY_CAST({ref} AS {cast})"

    return f"""
        make_timestamp(CAST(round({col("ts", "DOUBLE")} * 1000000) AS BIGINT)) AS time,
        {col("duration", "DOUBLE")} AS duration,
        {col("id.orig_h")} AS src_ip,
        {col("id.orig_p", "INTEGER")} AS src_port,
        {col("id.resp_h")} AS dst_ip,
        {col("id.resp_p", "INTEGER")} AS dst_port,
        {col("proto")} AS protocol,
        {col("service")} AS service,
        {col("orig_bytes", "BIGINT")} AS bytes_out,
        {col("resp_bytes", "BIGINT")} AS bytes_in,
        {col("orig_pkts", "BIGINT")} AS packets_out,
        {col("resp_pkts", "BIGINT")} AS packets_in,
        {col("conn_state")} AS conn_state,
        CASE WHEN {col("conn_state")} IN {_FAILED_STATES} THEN 'failure'
             WHEN {col("conn_state")} IN {_OK_STATES} THEN 'success'
             ELSE 'unknown' END AS status,
        CAST(NULL AS VARCHAR) AS action,
        {col("uid")} AS flow_uid,
        'flow' AS record_kind,
        $file_id || ':' || CAST({line_expr} AS VARCHAR) AS event_uid,
        $path AS source_file,
        CAST({line_expr} AS BIGINT) AS source_line,
        '{source_format}' AS source_format,
        CASE {first_check}
             WHEN {col("ts", "DOUBLE")} IS NULL THEN 'missing or bad timestamp'
             WHEN {col("proto")} IS NULL AND {col("conn_state")} IS NULL
                THEN 'truncated line (too few fields)'
             WHEN {col("id.resp_p")} IS NOT NULL AND {col("id.resp_p", "INTEGER")} IS NULL
                THEN 'bad responder port'
             WHEN NOT regexp_full_match(coalesce({col("id.orig_h")}, ''), {_IP_RE})
                THEN 'bad originator address'
             WHEN NOT regexp_full_match(coalesce({col("id.resp_h")}, ''), {_IP_RE})
                THEN 'bad responder address'
             ELSE NULL END AS _reject
    """


def _split_rejects(
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


class ZeekConnTsvSource(Source):
    NAME = "zeek_conn_tsv"
    VERSION = "1.0"
    EVENT_CLASS = "network_flow"
    DESCRIPTION = "Zeek conn.log, tab-separated with #fields header (plain or gzip)"

    def sniff(self, head: bytes, path: Path) -> bool:
        text = head.decode("utf-8", "replace")
        if "\n#path\t" in text and "\n#path\tconn\n" not in text:
            return False  # dns.log, smb_files.log... share the first columns
        return text.startswith("#separator") and "#fields\tts\tuid\tid.orig_h" in text

    def _header(self, path: Path) -> tuple[list[str], list[str], list[str]]:
        opener = gzip.open if _is_gzip(path) else open
        fields: list[str] = []
        types: list[str] = []
        nulls = ["-"]
        with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if not line.startswith("#"):
                    break
                key, _, rest = line.rstrip("\n").partition("\t")
                if key == "#fields":
                    fields = rest.split("\t")
                elif key == "#types":
                    types = rest.split("\t")
                elif key == "#unset_field":
                    nulls = [rest]
                elif key == "#empty_field":
                    nulls.append(rest)
        if not fields:
            raise SourceError(path, "no #fields header line")
        if types and len(types) != len(fields):
            raise SourceError(path, "#types and #fields have different lengths")
        return fields, types, nulls

    def parse(self, path: Path, ctx: ParseContext) -> None:
        fields, _types, nulls = self._header(path)
        missing = [f for f in _REQUIRED if f not in fields]
        if missing:
            raise SourceError(path, f"conn.log lacks column(s): {', '.join(missing)}")
        # Everything is read as text and cast in SQL, so a bad value or a truncated line is a
        # row with a reason (and exact line number) rather than a line DuckDB drops silently.
        columns = dict.fromkeys(fields, "VARCHAR")
        con = ctx.scratch()
        con.execute(_DROP_REJECTS)
        read = (
            "read_csv($path, delim='\t', header=false, comment='#', quote='', escape='', "
            "auto_detect=false, columns=$columns, nullstr=$nulls, null_padding=true, "
            f"store_rejects=true, compression='{'gzip' if _is_gzip(path) else 'none'}'{{extra}})"
        )
        scan = "SELECT row_number() OVER () AS _n, * FROM " + read.format(extra="")
        # DuckDB does not report line numbers of good rows once comments are skipped; the
        # record number plus the header length is exact for Zeek files (comments only at the
        # ends), since short lines are padded rather than dropped.
        header_lines = _count_header_lines(path)
        normalise = _normalise_sql(set(fields), self.NAME, f"_n + {header_lines}")
        sql = f"SELECT {normalise} FROM ({scan})"
        params = {"path": str(path), "file_id": ctx.file_id, "columns": columns, "nulls": nulls}
        # Big files: the store runs the SELECT itself, no row crosses Python.
        parallel = "SELECT 0 AS _n, * FROM " + read.format(extra="")
        check = (
            f"SELECT count(*) FROM (SELECT {_normalise_sql(set(fields), self.NAME, '_n')} "
            f"FROM ({parallel})) _c WHERE _reject IS NOT NULL"
        )
        if ctx.query_sink is not None:
            cuts = _row_cuts(path, header_lines, _split_parts())
            split = False
            if cuts:
                # Numbering rows is sequential (a streaming row_number), so one scan would
                # parse, check and store the whole file on one thread. Cut the file into
                # parts at line starts instead; each part is numbered by its own scan (from
                # its first row on, via `skip`) and the parts run side by side. Exact only
                # when DuckDB drops no line (a malformed one), so a parallel pass first
                # counts both kinds of rejects, which the store then needs not recount.
                bad = int(con.execute(check, params).fetchall()[0][0])
                dropped = int(con.execute("SELECT count(*) FROM reject_errors").fetchall()[0][0])
                if not dropped:
                    sql = _split_sql(read, normalise, cuts)
                    # (the store runs the check with the SELECT's parameters)
                    check = f"SELECT {bad} FROM (SELECT $path, $file_id, $columns, $nulls)"
                    split = True
            ctx.emit_query(
                sql,
                params,
                setup=_DROP_REJECTS,
                extra_rejects=_CSV_REJECTS_SQL,
                check=check,
                ordered=not split,
            )
            return
        reader = con.sql(sql, params=params).to_arrow_reader(_BATCH_ROWS)
        ctx.emit(_split_rejects(reader, ctx, self.schema()))
        _collect_csv_rejects(ctx)


_DROP_REJECTS = "DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans"

_CSV_REASONS = {
    "MISSING COLUMNS": "truncated line (too few fields)",
    "TOO MANY COLUMNS": "too many fields",
    "UNQUOTED VALUE": "malformed line",
    "LINE SIZE OVER MAXIMUM": "line too long",
    "INVALID ENCODING": "invalid UTF-8",
}

# DuckDB's CSV reject table as (line, reason), one row per line (the reader may run twice).
_CSV_REJECTS_SQL = (
    "SELECT line, CASE kind "
    + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in _CSV_REASONS.items())
    + " ELSE concat('bad value in column ', col, ' (', lower(kind), ')') END "
    "FROM (SELECT line, arg_min(error_type, column_idx) AS kind, "
    "arg_min(column_name, column_idx) AS col FROM reject_errors GROUP BY line) r ORDER BY line"
)


def _collect_csv_rejects(ctx: ParseContext) -> None:
    """Turn DuckDB's CSV reject table into one rejection per line, with a short reason."""
    rows = (
        ctx.scratch()
        .execute(
            """SELECT line, arg_min(error_type, column_idx), arg_min(column_name, column_idx)
           FROM reject_errors GROUP BY line ORDER BY line"""
        )
        .fetchall()
    )
    reasons = {
        "MISSING COLUMNS": "truncated line (too few fields)",
        "TOO MANY COLUMNS": "too many fields",
        "UNQUOTED VALUE": "malformed line",
        "LINE SIZE OVER MAXIMUM": "line too long",
        "INVALID ENCODING": "invalid UTF-8",
    }
    for line, error_type, column in rows:
        kind = str(error_type)
        reason = reasons.get(kind) or f"bad value in column {column!r} ({kind.lower()})"
        ctx.reject(int(line), reason)


# Files smaller than this are numbered by one scan (cutting them gains nothing).
SPLIT_MIN_BYTES = 64 << 20


def _split_parts() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def _row_cuts(path: Path, header_lines: int, parts: int) -> list[int]:
    """Data rows before each cut of the file into `parts` (cuts at line starts near equal
    byte offsets; the first is 0). Empty (one scan) for gzip, small files, or when a comment
    or blank line past the header could make DuckDB's row count differ from the lines."""
    if parts < 2 or _is_gzip(path) or path.stat().st_size < SPLIT_MIN_BYTES:
        return []
    size = path.stat().st_size
    cuts = [0]
    newlines = comments = 0
    prev = b"\n"
    with path.open("rb") as fh:
        pos = 0
        for k in range(1, parts):
            target = size * k // parts
            while pos < target:
                chunk = fh.read(min(1 << 24, target - pos))
                if not chunk:
                    break
                newlines += chunk.count(b"\n")
                if b"#" in chunk:  # (memchr: the two-byte searches only when needed)
                    comments += chunk.count(b"\n#") + (prev == b"\n" and chunk[:1] == b"#")
                if b"\n\n" in chunk or (prev == b"\n" and chunk[:1] == b"\n"):
                    return []  # a blank line: DuckDB skips it, `skip` counts it
                prev = chunk[-1:]
                pos += len(chunk)
            rest = fh.readline()  # to the end of the line the cut fell in
            if not rest.endswith(b"\n"):
                return []
            if prev == b"\n" and rest[:1] in (b"#", b"\n"):
                return []
            newlines += 1
            prev = b"\n"
            pos += len(rest)
            if comments != header_lines:
                return []
            cuts.append(newlines - comments)
    return cuts if all(b > a for a, b in itertools.pairwise(cuts)) else []


def _split_sql(read: str, normalise: str, cuts: list[int]) -> str:
    """One SELECT per part, each numbering its own rows from the part's first data row."""
    parts = []
    for i, start in enumerate(cuts):
        opts = f", skip={start}" if start else ""
        scan = f"SELECT row_number() OVER () + {start} AS _n, * FROM {read.format(extra=opts)}"
        if i + 1 < len(cuts):
            scan = f"SELECT * FROM ({scan}) LIMIT {cuts[i + 1] - start}"
        parts.append(f"SELECT {normalise} FROM ({scan})")
    return " UNION ALL ".join(f"SELECT * FROM ({q})" for q in parts)


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _count_header_lines(path: Path) -> int:
    opener = gzip.open if _is_gzip(path) else open
    n = 0
    with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if not line.startswith("#"):
                break
            n += 1
    return n


class ZeekConnJsonSource(Source):
    NAME = "zeek_conn_json"
    VERSION = "1.0"
    EVENT_CLASS = "network_flow"
    DESCRIPTION = "Zeek conn.log as JSON lines (LogAscii::use_json=T), plain or gzip"

    def sniff(self, head: bytes, path: Path) -> bool:
        first = head.split(b"\n", 1)[0].strip()
        if not first.startswith(b"{"):
            return False
        try:
            record = json.loads(first)
        except ValueError:
            return False
        return isinstance(record, dict) and {"ts", "id.orig_h", "id.resp_h"} <= record.keys()

    def parse(self, path: Path, ctx: ParseContext) -> None:
        con = ctx.scratch()
        keys = [
            "ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto",
            "service", "duration", "orig_bytes", "resp_bytes", "conn_state", "orig_pkts",
            "resp_pkts",
        ]  # fmt: skip
        extracted = ", ".join(f"""j->>'$."{k}"' AS "{k}" """ for k in keys)
        # ts is epoch seconds by default, ISO 8601 with LogAscii::json_timestamps=JSON::TS_ISO8601
        ts_fix = (
            """coalesce(TRY_CAST("ts" AS DOUBLE), """
            """epoch(TRY_CAST("ts" AS TIMESTAMPTZ))) AS "ts" """
        )
        scan = (
            "SELECT row_number() OVER () AS _n, line FROM read_csv($path, delim='\x01', "
            "header=false, quote='', escape='', auto_detect=false, "
            "columns={'line': 'VARCHAR'}, "
            f"compression='{'gzip' if _is_gzip(path) else 'none'}')"
        )
        parsed = (
            f"SELECT _n, json_valid(line) AS _ok, "
            f"CASE WHEN json_valid(line) THEN CAST(line AS JSON) END AS j FROM ({scan}) "
            "WHERE trim(line) <> ''"
        )
        fields_sql = f"SELECT _n, _ok, {extracted} FROM ({parsed})"
        fixed = f"SELECT * REPLACE ({ts_fix}) FROM ({fields_sql})"
        select = _normalise_sql(set(keys), self.NAME, "_n", "WHEN NOT _ok THEN 'not valid JSON'")
        sql = f"SELECT {select} FROM ({fixed})"
        params = {"path": str(path), "file_id": ctx.file_id}
        reader = con.sql(sql, params=params).to_arrow_reader(_BATCH_ROWS)
        ctx.emit(_split_rejects(reader, ctx, self.schema()))
