"""Attacker strings shown safely: on a terminal, in a spreadsheet, in SQL.

Email subjects, attachment names and log fields are written by attackers. Shown raw, an
ESC sequence clears the screen or retitles the window, a right-to-left override makes
`rapport\u202efdp.exe` read as `rapportexe.pdf`, and a CSV cell starting with `=` runs as
a formula when the file is opened in a spreadsheet. Every such string goes through one of
these functions before it leaves Rempart:

- `visible(text)`: control characters, ESC, NUL, DEL, C1 controls and bidirectional
  overrides become printable escapes (`\\x1b`, `\\u202e`), so they are seen, not obeyed;
- `csv_cell(value)`: `visible`, then a cell that a spreadsheet would read as a formula
  (leading `=`, `+`, `-`, `@`, tab or carriage return) is prefixed with `'`;
- `write_csv` / `CsvOut`: the one CSV writer, every cell through `csv_cell`;
- `sql_ident(name)`: a name read from a file (a Zeek `#fields` column) as a quoted SQL
  identifier, `"` doubled, so it can never end the identifier and become SQL.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TextIO

# C0 controls (tab and newline included: a table cell or a CSV cell is one line), DEL,
# C1 controls; bidi embeddings, overrides and isolates; the invisible direction marks.
_HIDDEN = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)
_HIDDEN_KEEP_NL = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: object, *, newlines: bool = False) -> str:
    """`text` with every character that a terminal would obey (or that reorders what is
    shown) written as an escape; `newlines=True` keeps line feeds (a multi-line cell)."""
    s = text if isinstance(text, str) else str(text)
    return (_HIDDEN_KEEP_NL if newlines else _HIDDEN).sub(_escape, s)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A value safe for a spreadsheet cell: text made `visible`, and prefixed with `'` when
    it would start a formula; numbers, booleans and None are left as they are; a list is
    joined with `;`."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, list | tuple):
        value = ";".join(map(str, value))
    text = visible(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


class CsvOut:
    """A CSV writer whose every cell goes through `csv_cell` (`writerow` like csv.writer)."""

    def __init__(self, out: TextIO, fields: Sequence[str] | None = None) -> None:
        self._writer = csv.writer(out, lineterminator="\n")
        if fields is not None:
            self._writer.writerow([csv_cell(f) for f in fields])

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([csv_cell(v) for v in row])


def write_csv(
    rows: Iterable[Mapping[str, object] | Sequence[object]],
    fields: Sequence[str],
    out: TextIO,
) -> int:
    """Write a header and `rows` (mappings read by `fields`, or sequences in that order)
    to `out`, every cell through `csv_cell`; returns the number of rows written."""
    writer = CsvOut(out, fields)
    n = 0
    for row in rows:
        if isinstance(row, Mapping):
            writer.writerow(row.get(f) for f in fields)
        else:
            writer.writerow(row)
        n += 1
    return n


def sql_ident(name: str) -> str:
    """`name` as a quoted SQL identifier (DuckDB, PostgreSQL, SQLite): `"` doubled inside,
    NUL refused (no engine accepts it in a name)."""
    if "\x00" in name:
        raise ValueError("NUL in an SQL identifier")
    return '"' + name.replace('"', '""') + '"'


__all__ = ["FORMULA_START", "CsvOut", "csv_cell", "sql_ident", "visible", "write_csv"]
