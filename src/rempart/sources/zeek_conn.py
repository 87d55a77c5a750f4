"""Zeek `conn.log`, TSV (with its `#fields`/`#types` header, gzip too) and JSON lines.

Parsing stays columnar. A TSV with Zeek's `uid` goes straight from DuckDB's CSV reader to
the store's compact flow table (`rempart.store.flows`), read on every thread at once:
the reader types and checks the numeric columns (a bad value rejects its line, with the
line number), SQL checks the rest, and the sensor's `uid` identifies each row, so good rows
need no line number (numbering rows is a sequential scan; it only runs when some rows
were rejected, to say where). JSON lines, and TSV without `uid`, are numbered and decoded
by DuckDB (JSON functions) into the full `network_flow` columns. Python only sees Arrow
batches, or nothing at all.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rempart.core.errors import SourceError
from rempart.core.safe import sql_ident
from rempart.schema.flowsql import ADDRESS_RE, outcome_sql, status_sql
from rempart.sources.base import ParseContext, RewriteNeeded, Source, read_head
from rempart.sources.batches import (
    BATCH_ROWS,
    CSV_REJECTS_SQL,
    DROP_REJECTS,
    collect_csv_rejects,
    csv_rejects_sql,
    split_rejects,
)
from rempart.sources.gzipcut import is_gzip
from rempart.sources.zeek_arrow import CONN_COLUMNS, zeek_arrow_flows
from rempart.sources.zeek_layout import LAYOUT_CHANGED, realign, separator

_IP_RE = ADDRESS_RE

_REQUIRED = ("ts", "id.orig_h", "id.resp_h")


def _flow_columns(col: Callable[[str, str], str], *, status: bool = True) -> str:
    """`time`, the mapped columns and `status`, each Zeek column read through `col(name,
    type)` (a cast on the text path, the typed column on the fast one, NULL when absent).
    The compact table stores `status` as a number (`outcome`, see `_compact_sql`)."""
    mapped = ",\n        ".join(f"{col(z, t)} AS {f}" for z, f, t in CONN_COLUMNS)
    derived = f",\n        {status_sql(col('conn_state', 'VARCHAR'))} AS status" if status else ""
    return f"""
        make_timestamp(CAST(round({col("ts", "DOUBLE")} * 1000000) AS BIGINT)) AS time,
        {mapped}{derived}"""


def _normalise_sql(
    fields: set[str], source_format: str, line_expr: str, first_check: str = ""
) -> str:
    """SELECT list from Zeek conn columns (missing ones become NULL) to `network_flow`."""

    def col(name: str, cast: str = "VARCHAR") -> str:
        if name not in fields:
            return f"CAST(NULL AS {cast})"
        ref = f'"{name}"'
        return ref if cast == "VARCHAR" else f"TRY_CAST({ref} AS {cast})"

    return f"""{_flow_columns(col)},
        CAST(NULL AS VARCHAR) AS action,
        {col("uid")} AS flow_uid,
        'flow' AS record_kind,
        $file_id || ':' || CAST({line_expr} AS VARCHAR) AS event_uid,
        $source_file AS source_file,
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


class ZeekConnTsvSource(Source):
    NAME = "zeek_conn_tsv"
    VERSION = "1.1"
    EVENT_CLASS = "network_flow"
    DESCRIPTION = "Zeek conn.log, tab-separated with #fields header (plain or gzip)"
    BLANK_LINE = b"#"  # a comment line: skipped, and the line numbers stay the file's
    GROWS = True

    def sniff(self, head: bytes, path: Path) -> bool:
        return zeek_sniff(head, "conn")

    def parse(self, path: Path, ctx: ParseContext) -> None:
        header = read_zeek_header(path)
        fields = header.fields
        missing = [f for f in _REQUIRED if f not in fields]
        if missing:
            raise SourceError(path, f"conn.log lacks column(s): {', '.join(missing)}")
        compression = "gzip" if is_gzip(path) else "none"
        # The text path (and the fast path's line finder): every line a row of text columns
        # cast in SQL, so a bad value or a truncated line is a row with a reason and its
        # exact line number rather than a line DuckDB drops silently.
        scan = header.text_scan(compression)
        params: dict[str, Any] = {"path": str(path), **header.text_params()}
        rejects = header.rejects_sql()
        con = ctx.scratch()
        con.execute(DROP_REJECTS)
        if "uid" in fields:
            # The fast path: DuckDB's reader types the columns (a bad line is a reject with
            # its number); `#` lines are read, not skipped, and dropped as rejects, so the
            # reader numbers lines as the file does and another `#fields` header is seen.
            typed = {f: _TYPED.get(f, "VARCHAR") for f in fields}
            fast_read = (
                "read_csv($path, delim=$sep, header=false, quote='', escape='', "
                "auto_detect=false, columns=$typed, nullstr=$nulls, store_rejects=true, "
                f"compression='{compression}')"
            )
            ts = 'TRY_CAST("ts" AS DOUBLE)'
            locate = (
                f"SELECT _n AS source_line, {_checks(ts)} AS _reject, {_time_of(ts)} "
                f"FROM ({scan}) WHERE NOT _layout AND NOT _extra"
            )
            if ctx.emit_flows(
                f"SELECT {_compact_sql(set(fields))} FROM {fast_read}",
                {**params, "typed": typed},
                checks=_STORED_CHECKS,
                locate=locate,
                setup=DROP_REJECTS,
                extra_rejects=rejects,
                arrow=None
                if compression != "none"
                else zeek_arrow_flows(path, fields, header.nulls, header.separator),
            ):
                header.check_layout(path, ctx)
                ctx.local_addresses += _local_tsv(con, header, params)
                return
        first_check = f"WHEN _layout THEN '{LAYOUT_CHANGED}' WHEN _extra THEN 'too many fields'"
        normalise = _normalise_sql(set(fields), self.NAME, "_n", first_check)
        sql = f"SELECT {normalise} FROM ({scan})"
        params["file_id"] = ctx.file_id
        params["source_file"] = str(ctx.path)
        if not ctx.emit_query(sql, params, setup=DROP_REJECTS, extra_rejects=CSV_REJECTS_SQL):
            reader = con.sql(sql, params=params).to_arrow_reader(BATCH_ROWS)
            ctx.emit(split_rejects(reader, ctx, self.schema()))
            collect_csv_rejects(ctx)
        header.check_layout(path, ctx)
        ctx.local_addresses += _local_tsv(con, header, params)


# Lines read for the addresses the sensor marked local: its configuration, the same over a
# file; the head of a big file names the monitored hosts without a second pass over it all
LOCAL_SAMPLE_LINES = 100_000


def _local_tsv(con: Any, header: ZeekHeader, params: dict[str, Any]) -> list[str]:
    """The addresses Zeek marked local (`local_orig`, `local_resp` = T) in the first
    LOCAL_SAMPLE_LINES lines of a TSV conn.log, when it has those columns."""
    if "local_orig" not in header.fields or "local_resp" not in header.fields:
        return []
    sample = (  # (no line numbers: a window would read the whole file before the LIMIT)
        "SELECT * FROM read_csv($path, delim=$sep, header=false, quote='', escape='', "
        "auto_detect=false, columns=$columns, nullstr=$nulls, null_padding=true, "
        f"strict_mode=false, ignore_errors=true) LIMIT {LOCAL_SAMPLE_LINES}"
    )
    return _local(con, sample, "'T'", {k: params[k] for k in ("path", "columns", "nulls", "sep")})


def _local(con: Any, sample: str, true: str, params: dict[str, Any]) -> list[str]:
    rows = con.execute(
        f"""SELECT list(DISTINCT ip) FROM (
            SELECT "id.orig_h" AS ip FROM ({sample}) s WHERE CAST(local_orig AS VARCHAR) = {true}
            UNION ALL
            SELECT "id.resp_h" FROM ({sample}) s WHERE CAST(local_resp AS VARCHAR) = {true})
        WHERE ip IS NOT NULL""",
        params,
    ).fetchall()
    return [str(ip) for ip in (rows[0][0] or [])] if rows else []


def _local_json(con: Any, path: Path, *, nested: bool) -> list[str]:
    """`_local_tsv` for a JSON conn.log (`local_orig` / `local_resp` are JSON booleans)."""
    cols: dict[str, str] = {"local_orig": "VARCHAR", "local_resp": "VARCHAR"}
    if nested:
        cols["id"] = "STRUCT(orig_h VARCHAR, resp_h VARCHAR)"
        ips = '"id".orig_h AS "id.orig_h", "id".resp_h AS "id.resp_h"'
    else:
        cols |= {"id.orig_h": "VARCHAR", "id.resp_h": "VARCHAR"}
        ips = '"id.orig_h", "id.resp_h"'
    sample = (
        f"SELECT {ips}, local_orig, local_resp FROM read_json($path, "
        "format='newline_delimited', columns=$cols, ignore_errors=true, "
        f"maximum_object_size=16777216) LIMIT {LOCAL_SAMPLE_LINES}"
    )
    return _local(con, sample, "'true'", {"path": str(path), "cols": cols})


# Columns the fast path lets DuckDB's reader type (a bad value rejects the line, with its
# number); the others stay text.
_TYPED = {
    "ts": "DOUBLE",
    "id.orig_p": "INTEGER",
    "id.resp_p": "INTEGER",
    "duration": "DOUBLE",
    "orig_bytes": "BIGINT",
    "resp_bytes": "BIGINT",
    "orig_pkts": "BIGINT",
    "resp_pkts": "BIGINT",
}


def _addresses_checked() -> list[tuple[str, str]]:
    """The two address checks of a numbered line (condition, reason); on stored rows the
    store matches the pattern on each distinct address (`rempart.store.flows`), with the
    same reasons."""

    def address(col: str) -> str:
        return f"""NOT regexp_full_match(coalesce("{col}", ''), {_IP_RE})"""

    return [
        (address("id.orig_h"), "bad originator address"),
        (address("id.resp_h"), "bad responder address"),
    ]


def _case(checks: list[tuple[str, str]]) -> str:
    """The first failed check's reason, or NULL. A good row, nearly every row, leaves at
    the first WHEN (ten times cheaper over 20 M rows than going through every check)."""
    good = " AND ".join(f"NOT ({cond})" for cond, _ in checks)
    whens = " ".join(f"WHEN {cond} THEN '{reason}'" for cond, reason in checks)
    return f"CASE WHEN {good} THEN NULL {whens} ELSE NULL END"


def _checks(ts: str) -> str:
    """The row checks of the fast path (the reader does the others), as a reason or NULL,
    for the numbered lines (see `_STORED_CHECKS`)."""
    return _case(
        [
            (f"{ts} IS NULL", "missing or bad timestamp"),
            ('"uid" IS NULL', "missing uid"),
            *_addresses_checked(),
        ]
    )


_TS_COLUMN = '"ts"'


def _time_of(ts: str) -> str:
    """`time` of a line whose `ts` (seconds) is the expression `ts`, NULL when it cannot be
    one (for the line finder: the implausible times, see `ParseContext.emit_flows`)."""
    return f"make_timestamp(TRY_CAST(round({ts} * 1000000) AS BIGINT)) AS time"


def _compact_sql(fields: set[str]) -> str:
    """SELECT list from typed Zeek conn columns to the compact flow columns."""

    def col(name: str, cast: str = "VARCHAR") -> str:
        return f'"{name}"' if name in fields else f"CAST(NULL AS {cast})"

    return f"""{_flow_columns(col, status=False)},
        {outcome_sql(col("conn_state"))} AS outcome,
        "uid" AS flow_uid
    """


# The fast path's checks on the stored columns (`rempart.store.flows.insert_compact`): the
# same reasons, in the same order, as `_checks` gives the numbered lines; the reader types
# the rest. An address is only required here: the store matches the pattern per value.
_STORED_CHECKS = [
    ("time IS NULL", "missing or bad timestamp"),
    ("flow_uid IS NULL", "missing uid"),
    ("src_ip IS NULL", "bad originator address"),
    ("dst_ip IS NULL", "bad responder address"),
]
# The JSON path's, as `_json_reject` gives them; a responder port that is not a number is
# stored as -1 (`_json_typed`), a value no port has, so that it can be told from none.
_JSON_STORED_CHECKS = [
    (
        "time IS NULL AND flow_uid IS NULL AND src_ip IS NULL AND dst_ip IS NULL "
        "AND protocol IS NULL AND conn_state IS NULL",
        "not valid JSON",
    ),
    _STORED_CHECKS[0],
    _STORED_CHECKS[1],
    ("protocol IS NULL AND conn_state IS NULL", "truncated line (too few fields)"),
    ("dst_port = -1", "bad responder port"),
    *_STORED_CHECKS[2:],
]


# The JSON fields a conn record is read from, and the typed columns the compact SELECT
# takes; read as text (a JSON number arrives as its digits) and cast in SQL.
_JSON_KEYS = (
    "ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service",
    "duration", "orig_bytes", "resp_bytes", "conn_state", "orig_pkts", "resp_pkts",
)  # fmt: skip
# ts is epoch seconds by default, ISO 8601 with LogAscii::json_timestamps=JSON::TS_ISO8601
# or integer milliseconds with JSON::TS_MILLIS (a 13-digit number)
_JSON_TS = (
    'coalesce(CASE WHEN TRY_CAST("ts" AS DOUBLE) > 1e11 THEN TRY_CAST("ts" AS DOUBLE) / 1000 '
    'ELSE TRY_CAST("ts" AS DOUBLE) END, epoch(TRY_CAST("ts" AS TIMESTAMPTZ)))'
)


def _json_typed(rows: str, extra: str = "") -> str:
    """The conn columns of JSON records (`rows`: a query with the fields as text columns
    named like Zeek's keys), typed as the compact SELECT wants them, plus `_bad_resp_p`
    (a responder port that is not a number) for the checks; such a port is typed -1."""
    bad_port = '("id.resp_p" IS NOT NULL AND TRY_CAST("id.resp_p" AS INTEGER) IS NULL)'
    typed = ", ".join(
        (
            f'CASE WHEN {bad_port} THEN -1 ELSE TRY_CAST("{k}" AS {_TYPED[k]}) END AS "{k}"'
            if k == "id.resp_p"
            else f'TRY_CAST("{k}" AS {_TYPED[k]}) AS "{k}"'
        )
        for k in _JSON_KEYS
        if k in _TYPED and k != "ts"
    )
    text = ", ".join(f'"{k}"' for k in _JSON_KEYS if k not in _TYPED)
    return (
        f'SELECT {extra}{_JSON_TS} AS "ts", {typed}, {text}, {bad_port} AS _bad_resp_p '
        f"FROM ({rows}) _r"
    )


def _json_reject() -> str:
    """The JSON path's checks as a reason or NULL: the fast path's, and the text path's for
    what the reader no longer refuses (a record without proto and state, a port that is not
    a number), as the line finder names the lines (see `_JSON_STORED_CHECKS`)."""
    return _case(
        [
            # the reader gives a line it cannot read as a record of NULLs
            (
                '"ts" IS NULL AND "uid" IS NULL AND "id.orig_h" IS NULL AND "id.resp_h" IS NULL '
                'AND "proto" IS NULL AND "conn_state" IS NULL',
                "not valid JSON",
            ),
            ('"ts" IS NULL', "missing or bad timestamp"),
            ('"uid" IS NULL', "missing uid"),
            ('"proto" IS NULL AND "conn_state" IS NULL', "truncated line (too few fields)"),
            ("_bad_resp_p", "bad responder port"),
            *_addresses_checked(),
        ]
    )


@dataclass(frozen=True)
class ZeekHeader:
    """What a Zeek ASCII log's `#` header says: columns, null markers, separator."""

    fields: list[str]
    types: list[str]
    nulls: list[str]
    separator: str

    def rejects_sql(self) -> str:
        """DuckDB's CSV rejects of this log read without skipping its `#` lines (so its
        line numbers are the file's): header lines are no rejects, except a `#fields` line
        that differs from this one, counted under LAYOUT_CHANGED (see `zeek_layout`)."""
        first = self.separator.join(["#fields", *self.fields]).replace("'", "''")
        # (any `#fields` line: a section written with another separator is one too)
        return csv_rejects_sql(
            f"CASE WHEN starts_with(csv_line, '#') THEN '{LAYOUT_CHANGED}' ELSE {{reason}} END",
            "WHERE NOT starts_with(csv_line, '#') OR (starts_with(csv_line, '#fields') "
            f"AND csv_line <> '{first}')",
        )

    def text_scan(self, compression: str) -> str:
        """SQL of every data line as text: `_n` (its line number), one column per field
        (NULL for the unset and empty markers), `_extra` (more fields than the header) and
        `_layout` (another `#fields` header, see LAYOUT_CHANGED). Parameters: $path,
        $columns, $nulls, $sep (`text_params`).

        Every line is a row, `#` lines included (numbered, then skipped): DuckDB numbers the
        rows its reader gives, and its CSV reader used to drop a line with too many fields
        (a reject) and skip the comments, so line numbers drifted after either. Here the
        reader pads short lines (`null_padding`), keeps long ones (`strict_mode=false`) and
        has two more columns than the header: `_x1` set means the line has too many fields,
        and a `#fields` line is this header's only with its names in place and no `_x2`."""
        mine = ", ".join("'" + f.replace("'", "''") + "'" for f in ["#fields", *self.fields])
        # names read from the file reach SQL only as quoted identifiers (`"` doubled)
        cols = ", ".join(sql_ident(f) for f in self.fields)
        first = sql_ident(self.fields[0])
        read = (
            "read_csv($path, delim=$sep, header=false, quote='', escape='', "
            "auto_detect=false, columns=$columns, nullstr=$nulls, null_padding=true, "
            f"strict_mode=false, store_rejects=true, compression='{compression}')"
        )
        names = ", ".join(sql_ident(f) for f in self.fields[1:])
        listed = f"list_value({first}, {names + ', ' if names else ''}_x1)"
        this_header = f"({listed} = [{mine}] AND _x2 IS NULL)"
        return f"""
            SELECT _n, {cols}, _x1 IS NOT NULL AS _extra,
                   coalesce(starts_with({first}, '#'), false) AS _layout
            FROM (SELECT row_number() OVER () AS _n, * FROM {read})
            WHERE NOT coalesce(starts_with({first}, '#'), false)
               OR (starts_with({first}, '#fields') AND NOT {this_header})"""

    def text_params(self) -> dict[str, object]:
        """The parameters of `text_scan`."""
        columns = dict.fromkeys([*self.fields, "_x1", "_x2"], "VARCHAR")
        return {"columns": columns, "nulls": self.nulls, "sep": self.separator}

    def check_layout(self, path: Path, ctx: ParseContext) -> None:
        """Raise RewriteNeeded when the read met another `#fields` header."""
        if ctx.reasons.get(LAYOUT_CHANGED):
            raise RewriteNeeded(
                path,
                "Zeek logs with other columns concatenated (another #fields line)",
                realign,
            )


def zeek_sniff(head: bytes, log_path: str) -> bool:
    """Is this the head of a Zeek ASCII log of kind `log_path` (conn, dns...)?

    Any one-character `#separator` (tab by default), LF or CRLF lines. A conn.log may lack
    `#path` (older or hand-cut files); the other logs must name themselves."""
    text = head.decode("utf-8", "replace")
    lines = [line.rstrip("\r") for line in text.split("\n")[:20]]
    sep = separator(lines[0]) if lines else None
    if sep is None:
        return False
    paths = [line[6:] for line in lines if line.startswith(f"#path{sep}")]
    if paths and paths[0] != log_path:
        return False  # dns.log, smb_files.log... share the first columns
    if not paths and log_path != "conn":
        return False
    start = sep.join(("#fields", "ts", "uid", "id.orig_h"))
    return any(line.startswith(start) for line in lines)


def read_zeek_header(path: Path) -> ZeekHeader:
    """Read the `#` lines at the top of a Zeek log (plain or gzip); raise if unusable."""
    opener = gzip.open if is_gzip(path) else open
    fields: list[str] = []
    types: list[str] = []
    unset, empty = "-", "(empty)"
    sep = "\t"
    n = 0
    with opener(path, "rt", encoding="utf-8", errors="replace", newline="") as fh:
        for raw in fh:
            if not raw.startswith("#"):
                break
            line = raw.rstrip("\r\n")
            if n == 0:
                found = separator(line)
                if found is None:
                    raise SourceError(path, "first line is not a valid #separator")
                sep = found
            n += 1
            key, _, rest = line.partition(sep)
            if key == "#fields":
                fields = rest.split(sep)
            elif key == "#types":
                types = rest.split(sep)
            elif key == "#unset_field":
                unset = rest
            elif key == "#empty_field":
                empty = rest
    if not fields:
        raise SourceError(path, "no #fields header line")
    if types and len(types) != len(fields):
        raise SourceError(path, "#types and #fields have different lengths")
    if len(set(fields)) != len(fields):
        raise SourceError(path, "#fields names a column twice")
    if any(not f or not f.isprintable() for f in fields):
        raise SourceError(path, "#fields names an empty column or one with control characters")
    # unset ('-') and empty ('(empty)': an empty string, set or vector) both read as NULL
    return ZeekHeader(fields, types, [unset, empty], sep)


def zeek_json_head(head: bytes) -> dict[str, Any] | None:
    """The first line of a Zeek JSON log that is one (a JSON object with `ts` and
    `id.orig_h`) among its first lines, the file opening with `{`, else None: what every
    Zeek JSON source recognises first. A nested `id`
    object is returned flattened to Zeek's dotted keys (`id.orig_h`...)."""
    lines = [line.strip() for line in head.split(b"\n")[:SNIFF_LINES]]
    if not lines[0].startswith(b"{"):
        return None
    # the first line that is one: a damaged line (a byte flipped, cut short) is one
    # rejected record when the file is read, not a file left unrecognised
    for line in lines:
        record = _zeek_json_record(line)
        if record is not None:
            return record
    return None


SNIFF_LINES = 20  # lines of the head tried, when the first ones are damaged


def _zeek_json_record(line: bytes) -> dict[str, Any] | None:
    if not line.startswith(b"{"):
        return None
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    nested = record.get("id")
    if isinstance(nested, dict):  # `{"id": {"orig_h": ...}}`: read like the dotted keys
        record = {**{f"id.{k}": v for k, v in nested.items()}, **record}
    if not {"ts", "id.orig_h"} <= record.keys():
        return None
    return record


def zeek_json_field(name: str) -> str:
    """DuckDB SQL for a Zeek JSON field of the row's `j`: Zeek's dotted key (`id.orig_h`),
    or the same field nested (`{"id": {"orig_h": ...}}`, as Elastic/Filebeat pipelines
    and jq re-emit Zeek), whichever the line has."""
    dotted = f"""j->>'$."{name}"'"""
    if "." not in name:
        return f"({dotted})"
    outer, inner = name.split(".", 1)
    return f"""coalesce({dotted}, j->>'$."{outer}"."{inner}"')"""


class ZeekConnJsonSource(Source):
    NAME = "zeek_conn_json"
    VERSION = "1.1"
    EVENT_CLASS = "network_flow"
    DESCRIPTION = "Zeek conn.log as JSON lines (LogAscii::use_json=T), plain or gzip"
    GROWS = True

    def sniff(self, head: bytes, path: Path) -> bool:
        record = zeek_json_head(head)
        if record is None or "id.resp_h" not in record:
            return False
        if "_path" in record:  # json-streaming-logs and Corelight name the log in each line
            return bool(record["_path"] == "conn")
        # dns.log, http.log, ssl.log... share ts/uid/id.*; only conn.log has these
        return "conn_state" in record or "missed_bytes" in record

    def parse(self, path: Path, ctx: ParseContext) -> None:
        record = zeek_json_head(read_head(path)) or {}
        if not self._fast(path, ctx, record):
            self._lines(path, ctx)
        if "local_orig" in record or "local_resp" in record:
            nested = isinstance(record.get("id"), dict)
            ctx.local_addresses += _local_json(ctx.scratch(), path, nested=nested)

    def _lines(self, path: Path, ctx: ParseContext) -> None:
        """The line path: each line's fields extracted from its JSON, in SQL."""
        con = ctx.scratch()
        keys = [
            "ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto",
            "service", "duration", "orig_bytes", "resp_bytes", "conn_state", "orig_pkts",
            "resp_pkts",
        ]  # fmt: skip
        extracted = ", ".join(f'{zeek_json_field(k)} AS "{k}"' for k in keys)
        # ts is epoch seconds by default, ISO 8601 with LogAscii::json_timestamps=JSON::TS_ISO8601
        # or integer milliseconds with JSON::TS_MILLIS (a 13-digit number)
        num = 'TRY_CAST("ts" AS DOUBLE)'
        ts_fix = (
            f"coalesce(CASE WHEN {num} > 1e11 THEN {num} / 1000 ELSE {num} END, "
            """epoch(TRY_CAST("ts" AS TIMESTAMPTZ))) AS "ts" """
        )
        scan = (
            "SELECT row_number() OVER () AS _n, line FROM read_csv($path, delim='\x01', "
            "header=false, quote='', escape='', auto_detect=false, "
            "columns={'line': 'VARCHAR'}, "
            f"compression='{'gzip' if is_gzip(path) else 'none'}')"
        )
        parsed = (
            f"SELECT _n, json_valid(line) AS _ok, "
            f"CASE WHEN json_valid(line) THEN CAST(line AS JSON) END AS j FROM ({scan}) "
            "WHERE trim(line) <> ''"
        )
        # a stream holding several logs (`_path` per line) keeps only the conn records
        parsed = f"SELECT * FROM ({parsed}) WHERE coalesce(j->>'$._path', 'conn') = 'conn'"
        fields_sql = f"SELECT _n, _ok, {extracted} FROM ({parsed})"
        fixed = f"SELECT * REPLACE ({ts_fix}) FROM ({fields_sql})"
        select = _normalise_sql(set(keys), self.NAME, "_n", "WHEN NOT _ok THEN 'not valid JSON'")
        sql = f"SELECT {select} FROM ({fixed})"
        params = {"path": str(path), "file_id": ctx.file_id, "source_file": str(ctx.path)}
        reader = con.sql(sql, params=params).to_arrow_reader(BATCH_ROWS)
        ctx.emit(split_rejects(reader, ctx, self.schema()))

    def _fast(self, path: Path, ctx: ParseContext, record: dict[str, Any]) -> bool:
        """Read the file with DuckDB's JSON reader, on every core, into the compact flow
        table, as the TSV fast path does; False (nothing done) when it does not apply: a
        record without `uid`, a layout other than the first line's, a line that is not one
        JSON object (the line path then names each bad line), or a sink without it.

        The reader gives a line it cannot read as a record of NULLs (rejected as not valid
        JSON); it is trusted only when it returns one record per non-blank line, counted
        first. The stored rows are those of the line path (compared on 2 M records, which
        took 5.3 s instead of 16.3 s); a file that mixes nested and dotted `id` records is
        read with the first line's layout."""
        if "uid" not in record or ctx.flow_sink is None:  # (`record`: the first line's)
            return False
        nested = isinstance(record.get("id"), dict)
        comp = "gzip" if is_gzip(path) else "none"
        names = {k: "VARCHAR" for k in _JSON_KEYS}
        if nested:  # `{"id": {"orig_h": ...}}`: one struct, read back as Zeek's dotted keys
            for k in [k for k in names if k.startswith("id.")]:
                del names[k]
            names["id"] = "STRUCT(orig_h VARCHAR, orig_p VARCHAR, resp_h VARCHAR, resp_p VARCHAR)"
        names["_path"] = "VARCHAR"
        read = (
            "read_json($path, format='newline_delimited', columns=$json_columns, "
            f"ignore_errors=true, compression='{comp}', maximum_object_size=16777216)"
        )
        lines = (
            "read_csv($path, delim='\x01', header=false, quote='', escape='', "
            "auto_detect=false, columns={'line': 'VARCHAR'}, "
            f"compression='{comp}', strict_mode=false)"
        )
        params: dict[str, Any] = {"path": str(path), "json_columns": names}
        con = ctx.scratch()
        counted = con.execute(
            f"SELECT (SELECT count(*) FROM {lines} WHERE trim(line) <> ''), "
            f"(SELECT count(*) FROM {read})",
            params,
        ).fetchall()
        if not counted or counted[0][0] != counted[0][1]:
            return False
        dotted = (
            ', "id".orig_h AS "id.orig_h", "id".orig_p AS "id.orig_p", '
            '"id".resp_h AS "id.resp_h", "id".resp_p AS "id.resp_p"'
            if nested
            else ""
        )
        records = f"SELECT *{dotted} FROM {read} WHERE coalesce(\"_path\", 'conn') = 'conn'"
        select = f"SELECT {_compact_sql(set(_JSON_KEYS))} FROM ({_json_typed(records)})"
        # the rejected records' lines: the same fields from each numbered line
        fields = ", ".join(f'{zeek_json_field(k)} AS "{k}"' for k in _JSON_KEYS)
        numbered = (  # (numbered before blank lines are dropped: the file's own numbers)
            f"SELECT _n, {fields} FROM (SELECT _n, CASE WHEN json_valid(line) "
            "THEN CAST(line AS JSON) END AS j FROM (SELECT row_number() OVER () AS _n, line "
            f"FROM {lines}) WHERE trim(line) <> '') "
            "WHERE coalesce(j->>'$._path', 'conn') = 'conn'"
        )
        locate = (
            f"SELECT _n AS source_line, {_json_reject()} AS _reject, {_time_of(_TS_COLUMN)} "
            f"FROM ({_json_typed(numbered, '_n, ')})"
        )
        return ctx.emit_flows(select, params, checks=_JSON_STORED_CHECKS, locate=locate)
