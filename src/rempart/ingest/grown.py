"""A log or a mailbox that grew since it was ingested: only its new records are read.

The ingest knows a file by the sha256 of its content, so the same `conn.log` read again
after the sensor appended to it was a new file, and its first records were stored twice.
Each ingest now logs the size it read; a file at the same path that is larger than a
logged one and whose first `size` bytes hash to that logged digest has grown: it is read
from a copy in which every line of the old part is replaced by a line the source skips
(the source's `BLANK_LINE`; a Zeek log keeps its `#` header lines), so the new records keep
their line numbers, and the result says "N new records, M already ingested". A file whose
beginning changed (rotated, rewritten) is a new file, read whole. A line cut at the end of
the old part (the sensor was writing it) is read again in full.

Only sources whose records are lines or line-delimited messages take part
(`Source.GROWS`); a gzip stream is read whole (rotated logs are compressed once).
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

from rempart.sources.base import Source
from rempart.sources.gzipcut import is_gzip
from rempart.store.duck import Store

_CHUNK = 1 << 22


@dataclass(frozen=True)
class Prefix:
    """The logged file a grown file begins with."""

    digest: str
    size: int
    records: int  # records already ingested from this path (its earlier parts included)


def prefix_digest(path: Path, size: int) -> str:
    """sha256 of the first `size` bytes of `path`."""
    h = hashlib.sha256()
    left = size
    with path.open("rb") as fh:
        while left > 0:
            chunk = fh.read(min(_CHUNK, left))
            if not chunk:
                break
            h.update(chunk)
            left -= len(chunk)
    return h.hexdigest()


def grown_from(store: Store, path: Path, source: Source) -> Prefix | None:
    """The logged earlier state of `path` it grew from, or None (a new file)."""
    if not source.GROWS or is_gzip(path):
        return None
    size = path.stat().st_size
    for digest, logged_size, records in store.logged_prefixes(str(path), size):
        if prefix_digest(path, logged_size) == digest:
            return Prefix(digest, logged_size, records)
    return None


def tail_copy(src: Path, dst: Path, offset: int, placeholder: bytes) -> None:
    """Copy `src` to `dst` line for line, each line ended within the first `offset` bytes
    replaced by `placeholder` (a `#` line kept as it is when the placeholder is `#`: the
    header of a Zeek log)."""
    keep_comments = placeholder == b"#"
    done = 0
    with src.open("rb") as fh, dst.open("wb") as out:
        for raw in fh:
            done += len(raw)
            if done > offset or not raw.endswith(b"\n"):
                out.write(raw)
                break
            out.write(raw if keep_comments and raw.startswith(b"#") else placeholder + b"\n")
        shutil.copyfileobj(fh, out, _CHUNK)  # the new part, as it is


__all__ = ["Prefix", "grown_from", "prefix_digest", "tail_copy"]
