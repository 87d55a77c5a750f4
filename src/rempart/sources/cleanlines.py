"""Lines DuckDB's readers refuse whole files for: invalid UTF-8 and stray carriage returns.

The line-oriented sources read a file with DuckDB (`read_csv` of one text column, or of
the log's columns). One byte that is not UTF-8 in a JSON log, or one carriage return in the
middle of a Zeek TSV line, makes that reader fail on the whole file ("Invalid unicode",
"The CSV Parser state machine reached an invalid state"): every record lost for one bad
line. Checking every file first would slow down the good path, which is nearly every file;
so the ingest reads the file as it is, and only when the reader fails that way
(`unreadable_line_error`) reads a copy made by `clean_lines`: the same lines, in the same
places, with LF endings (one CRLF line among LF lines stops the reader too), except that
each line with invalid UTF-8, a carriage return before its end, or longer than the
reader takes, is replaced by the source's placeholder (an empty line, or a `#` comment
for a Zeek TSV log) and counted as one rejected record with its line number and reason.
"""

from __future__ import annotations

import gzip
from pathlib import Path

from rempart.sources.gzipcut import is_gzip

INVALID_UTF8 = "invalid UTF-8"
STRAY_CR = "carriage return inside a line"
TOO_LONG = "line too long"
MAX_LINE_BYTES = 2_000_000  # DuckDB's reader refuses a longer line (max_line_size)

# What DuckDB's readers say when a line's bytes stop them (lower case, as searched).
_HINTS = (
    "invalid unicode",
    "byte sequence mismatch",
    "invalid encoding",
    "not utf-8 encoded",
    "state machine reached an invalid state",
    "maximum line size",
)


def unreadable_line_error(exc: BaseException) -> bool:
    """Whether a failed read is one that `clean_lines` can cure (a DuckDB reader refusing
    a line's bytes, or Python refusing to decode them)."""
    if isinstance(exc, UnicodeDecodeError):
        return True
    text = str(exc).lower()
    return any(h in text for h in _HINTS)


def _bad(line: bytes) -> str | None:
    """Why a line (without its LF) cannot be handed to the reader, or None."""
    body = line[:-1] if line.endswith(b"\r") else line
    if len(body) >= MAX_LINE_BYTES:
        return TOO_LONG
    if b"\r" in body:
        return STRAY_CR
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return INVALID_UTF8
    return None


def clean_lines(src: Path, dst: Path, placeholder: bytes = b"") -> list[tuple[int | None, str]]:
    """Copy `src` (plain or gzip) to `dst` (plain), line for line, each bad line replaced by
    `placeholder`; return the bad lines as (line number, reason)."""
    rejects: list[tuple[int | None, str]] = []
    opener = gzip.open if is_gzip(src) else open
    with opener(src, "rb") as fh, dst.open("wb") as out:
        for n, raw in enumerate(fh, start=1):
            line = raw[:-1] if raw.endswith(b"\n") else raw
            why = _bad(line)
            if why is None:
                # (LF endings only: one CRLF line among LF lines stops the reader too)
                out.write(line.removesuffix(b"\r") + raw[len(line) :])
                continue
            rejects.append((n, why))
            out.write(placeholder + (b"\n" if raw.endswith(b"\n") else b""))
    return rejects


__all__ = [
    "INVALID_UTF8",
    "MAX_LINE_BYTES",
    "STRAY_CR",
    "TOO_LONG",
    "clean_lines",
    "unreadable_line_error",
]
