"""Zeek ASCII logs whose header changes in the middle: concatenated logs of other columns.

`cat conn.*.log > all.log` (or `zcat`) across a Zeek upgrade, or over several sensors with
other scripts loaded, gives one file with several `#fields` headers. Read with the first
header only, the later rows would have their values under the wrong columns: silently, when
the counts and types happen to fit (`proto` and `service` swapped), or each one rejected.

The Zeek sources read their files without skipping the `#` lines, so every header line
reaches DuckDB's reject table with its number; a `#fields` line other than the first is
counted under `LAYOUT_CHANGED`, and the source then raises `RewriteNeeded` with `realign`:
the ingest rolls back and reads a copy in which every line has one layout, line for line, so
the line numbers still point into the original file.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from rempart.sources.gzipcut import is_gzip

LAYOUT_CHANGED = "Zeek header changes mid-file (#fields)"


# Zeek writes `#separator \x09` (a space, then the escaped tab); some exporters and
# hand-edited files put a tab after the word instead
SEPARATOR_LINES = (b"#separator ", b"#separator\t")


def separator(first_line: str) -> str | None:
    """The separator declared by `#separator \\x09` (Zeek writes it escaped), if valid."""
    if not first_line.startswith(tuple(s.decode() for s in SEPARATOR_LINES)):
        return None
    raw = first_line[len("#separator ") :].rstrip("\r\n")
    sep = re.sub(r"\\x([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), raw)
    return sep if len(sep) == 1 and sep not in "\r\n#" else None


def _header_line(raw: bytes, sep: bytes) -> tuple[str, list[bytes]]:
    """(`#key`, values) of a `#` line under the section's separator."""
    key, _, rest = raw.rstrip(b"\r\n").partition(sep)
    return key.decode("utf-8", "replace"), rest.split(sep)


def _layouts(src: Path) -> tuple[list[bytes], dict[bytes, bytes]]:
    """Every section's columns in one list (the first section's order, then new ones as
    they appear) and each column's Zeek type (its first declaration)."""
    union: list[bytes] = []
    types: dict[bytes, bytes] = {}
    sep = b"\t"
    fields: list[bytes] = []
    opener = gzip.open if is_gzip(src) else open
    with opener(src, "rb") as fh:
        for raw in fh:
            if not raw.startswith(b"#"):
                continue
            if raw.startswith(SEPARATOR_LINES):
                found = separator(raw.decode("utf-8", "replace"))
                sep = found.encode() if found else sep
                continue
            key, values = _header_line(raw, sep)
            if key == "#fields":
                fields = values
                union += [f for f in values if f not in union]
            elif key == "#types":
                for name, kind in zip(fields, values, strict=False):
                    types.setdefault(name, kind)
    return union, types


def realign(src: Path, dst: Path) -> None:
    """Write `src` (plain or gzip) to `dst` (plain) with one layout, line for line.

    Each data line of a section is written in the union of the sections' columns, a column
    its section lacks as the first section's unset marker (`-`), its own unset and empty
    markers as the first section's, joined by the first section's separator. Every
    `#fields` / `#types` line becomes the union's; the other `#` lines are kept. A line whose
    field count does not fit its section is kept as it is: the reader rejects it with its
    reason, as it would have.
    """
    union, types = _layouts(src)
    out_sep: bytes | None = None  # the first section's separator and markers
    out_unset, out_empty = b"-", b"(empty)"
    sep, unset, empty = b"\t", b"-", b"(empty)"  # the current section's
    index: list[int | None] = []  # per union column, its place in the section (None: absent)
    width = 0
    opener = gzip.open if is_gzip(src) else open
    with opener(src, "rb") as fh, dst.open("wb") as out:
        for raw in fh:
            end = raw[len(raw.rstrip(b"\r\n")) :]
            if raw.startswith(b"#"):
                if raw.startswith(SEPARATOR_LINES):
                    found = separator(raw.decode("utf-8", "replace"))
                    sep = found.encode() if found else sep
                    out_sep = out_sep or sep
                    out.write(raw)
                    continue
                key, values = _header_line(raw, sep)
                first = not index
                joined = (out_sep or sep).join
                if key == "#fields":
                    position = {f: i for i, f in enumerate(values)}
                    index = [position.get(f) for f in union]
                    width = len(values)
                    raw = joined([b"#fields", *union]) + end
                elif key == "#types":
                    raw = joined([b"#types", *(types.get(f, b"string") for f in union)]) + end
                elif key == "#unset_field" and values:
                    unset = values[0]
                    out_unset = unset if first else out_unset
                elif key == "#empty_field" and values:
                    empty = values[0]
                    out_empty = empty if first else out_empty
                out.write(raw)
                continue
            values = raw[: len(raw) - len(end)].split(sep)
            if not index or len(values) != width:
                out.write(raw)
                continue
            markers = {unset: out_unset, empty: out_empty}
            cells = [out_unset if i is None else markers.get(values[i], values[i]) for i in index]
            out.write((out_sep or sep).join(cells) + end)
