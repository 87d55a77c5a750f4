"""A Zeek TSV conn.log read by Arrow's CSV reader, one byte range at a time.

The store writes each range on its own thread (`rempart.schema.flowsql.ArrowFlows`). This
reader only takes a file as Zeek writes it: every data line with the header's fields,
each value of its column's type, valid UTF-8. On anything else it refuses
(`FastPathRefused`), and the SQL path (`zeek_conn`) reads the file and names each bad line:
the two must never disagree on a line they both take, so this one keeps DuckDB's
conversions (a time rounded half away from zero to the microsecond, the same outcome
table) and refuses the rest.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from rempart.schema.flowsql import FAILED_STATES, OK_STATES, ArrowFlows, FastPathRefused

# Zeek conn column -> (flow column, SQL type): the flow columns every path fills from the
# file (`zeek_conn` casts to the SQL type; here Arrow reads it as `ARROW_TYPES` of it);
# time, status and provenance are computed
CONN_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("duration", "duration", "DOUBLE"),
    ("id.orig_h", "src_ip", "VARCHAR"),
    ("id.orig_p", "src_port", "INTEGER"),
    ("id.resp_h", "dst_ip", "VARCHAR"),
    ("id.resp_p", "dst_port", "INTEGER"),
    ("proto", "protocol", "VARCHAR"),
    ("service", "service", "VARCHAR"),
    ("orig_bytes", "bytes_out", "BIGINT"),
    ("resp_bytes", "bytes_in", "BIGINT"),
    ("orig_pkts", "packets_out", "BIGINT"),
    ("resp_pkts", "packets_in", "BIGINT"),
    ("conn_state", "conn_state", "VARCHAR"),
)
ARROW_TYPES = {
    "DOUBLE": pa.float64(),
    "VARCHAR": pa.string(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
}
_REQUIRED = ("ts", "uid", "id.orig_h", "id.resp_h")
# (as `flowsql.outcome_sql`: success 1, failure 2, anything else 0)


@cache
def _outcome_codes() -> tuple[pa.Array, pa.Array]:
    """(states, outcome code of each and 0 for others): built on first use, as pyarrow's
    first conversion of Python values imports pandas (a quarter second at every start-up)."""
    states = pa.array([*OK_STATES, *FAILED_STATES])
    codes = pa.array([1] * len(OK_STATES) + [2] * len(FAILED_STATES) + [0], pa.uint8())
    return states, codes


# bytes of text per batch: about 60,000 conn.log lines, a Parquet row group of its own
# (8 MB wrote a little faster than 4 or 16 in interleaved runs)
BLOCK_BYTES = 8 << 20


def zeek_arrow_flows(
    path: Path, fields: list[str], nulls: list[str], sep: str
) -> ArrowFlows | None:
    """The parallel reader of a plain (not compressed) TSV conn.log with the columns the
    compact table needs, or None when the file is not one (the SQL path reads it)."""
    if len(sep) != 1 or sep in "\r\n" or any(f not in fields for f in _REQUIRED):
        return None
    header = sep.join(["#fields", *fields])
    wanted = ["ts", "uid", *(z for z, _, _ in CONN_COLUMNS if z in fields)]
    types: dict[str, pa.DataType] = {"ts": pa.float64(), "uid": pa.string()}
    types |= {z: ARROW_TYPES[t] for z, _, t in CONN_COLUMNS if z in fields}

    def read(start: int, end: int) -> Iterator[pa.RecordBatch]:
        refused: list[str] = []

        def invalid(row: Any) -> str:
            # a `#` line (header, `#close`) is no row; the same `#fields` again (logs of
            # one layout concatenated) neither; another layout, or a data line with
            # other fields, is for the SQL path
            text = str(row.text).rstrip("\r\n")
            if text.startswith("#") and (not text.startswith("#fields") or text == header):
                return "skip"
            refused.append(text[:80])
            return "error"

        source = _Range(path, start, end)
        try:
            reader = pcsv.open_csv(
                source,
                read_options=pcsv.ReadOptions(
                    column_names=fields, block_size=BLOCK_BYTES, use_threads=False
                ),
                parse_options=pcsv.ParseOptions(
                    delimiter=sep, quote_char=False, escape_char=False, invalid_row_handler=invalid
                ),
                convert_options=pcsv.ConvertOptions(
                    column_types=types,
                    null_values=nulls,
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=False,
                    include_columns=wanted,
                ),
            )
            for batch in reader:
                yield _compact(batch, fields)
        except pa.ArrowInvalid as exc:
            raise FastPathRefused(f"{path}: {refused[0] if refused else exc}") from exc
        finally:
            source.close()

    return ArrowFlows(path, read)


class _Range(io.RawIOBase):
    """Bytes [start, end) of a file, read as a stream (Arrow reads a block at a time: a
    memory map would count every page of a big log in the process's resident memory)."""

    def __init__(self, path: Path, start: int, end: int) -> None:
        super().__init__()
        self._file = path.open("rb", buffering=0)
        self._file.seek(start)
        self._left = end - start

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        n = min(len(view), self._left)
        if n <= 0:
            return 0
        got = self._file.readinto(view[:n]) or 0
        self._left -= got
        return got

    def close(self) -> None:
        self._file.close()
        super().close()


def _compact(batch: pa.RecordBatch, fields: list[str]) -> pa.RecordBatch:
    """A batch of Zeek columns as the compact flow columns (absent ones NULL)."""
    n = batch.num_rows
    seconds = batch.column("ts")
    micros = pc.round(pc.multiply(seconds, 1_000_000), round_mode="half_towards_infinity")
    time = pc.cast(micros, pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    columns: dict[str, pa.Array] = {"time": time}
    for zeek, name, kind in CONN_COLUMNS:
        columns[name] = batch.column(zeek) if zeek in fields else pa.nulls(n, ARROW_TYPES[kind])
    state = columns["conn_state"]
    states, codes = _outcome_codes()
    index = pc.fill_null(pc.index_in(state, value_set=states), len(states))
    columns["outcome"] = pc.take(codes, index)
    columns["flow_uid"] = batch.column("uid")
    return pa.RecordBatch.from_pydict(columns)


__all__ = ["ARROW_TYPES", "BLOCK_BYTES", "CONN_COLUMNS", "zeek_arrow_flows"]
