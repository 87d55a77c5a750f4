"""The contract of a source: sniff a file's head, parse it into Arrow through a narrow context.

A source never touches the store. It gets a `ParseContext` with two verbs, `emit` (Arrow
data of its event class) and `reject` (a record it could not normalise, with line and
reason), plus a scratch DuckDB connection for columnar parsing. Rejections are data: they
are counted per reason and the first ones are kept with their line numbers.
"""

from __future__ import annotations

import hashlib
import mmap
import os
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from rempart.core.errors import SourceError
from rempart.schema import EVENT_CLASSES
from rempart.schema.flowsql import ArrowFlows
from rempart.sources.gzipcut import GZIP_MAGIC, gunzip_head

MAX_KEPT_REJECTS = 10_000
HEAD_BYTES = 8192

# A record's time is plausible from this instant to the ingest's clock plus TIME_SKEW (a
# sensor's clock a little ahead): a capture with relative timestamps reads as 1970, a
# wrong clock as 2099; neither can be placed beside the hospital's other records.
TIME_FLOOR = datetime(2000, 1, 1, tzinfo=UTC)
TIME_SKEW = timedelta(days=1)
IMPLAUSIBLE_TIME = (
    "implausible time (before 2000 or in the future): relative timestamps or a wrong clock"
)


def time_window(now: datetime) -> tuple[datetime, datetime]:
    """(earliest, latest) plausible record time for an ingest at `now`."""
    return TIME_FLOOR, now + TIME_SKEW


def implausible_sql(column: str, window: tuple[datetime, datetime]) -> str:
    """SQL condition true when `column` (a timestamp) is outside `window`; the bounds are
    literals made here from datetimes (never input)."""
    low, high = (f"TIMESTAMPTZ '{t.astimezone(UTC):%Y-%m-%d %H:%M:%S.%f}+00'" for t in window)
    return f"({column} < {low} OR {column} > {high})"


Sink = Callable[[pa.Table | pa.RecordBatchReader], int]
# (select, params, setup, extra_rejects, teardown) -> (records, rejects by reason, first lines)
QuerySink = Callable[
    [str, dict[str, Any], str, str, str],
    tuple[int, dict[str, int], list[tuple[int | None, str]]],
]
# (select, params, locate, setup, extra_rejects) -> (records, rejects by reason, first lines)
FlowSink = Callable[
    [str, dict[str, Any], list[tuple[str, str]], str, str, str, ArrowFlows | None],
    tuple[int, dict[str, int], list[tuple[int | None, str]]],
]


class RewriteNeeded(SourceError):
    """Raised by a source that can read this file only once rewritten, line for line (a
    Zeek log whose columns change mid-file: `rempart.sources.zeek_layout`). The ingest rolls
    back what was read, writes the copy with `rewrite(src, dst)` next to the workspace and
    reads that instead, the rows named after the original file. `rewrite` may return lines
    it left out of the copy, as (line, reason): the ingest counts them as rejects."""

    def __init__(
        self,
        path: Path,
        message: str,
        rewrite: Callable[[Path, Path], list[tuple[int | None, str]] | None],
    ) -> None:
        super().__init__(path, message)
        self.reason = message
        self.rewrite = rewrite


@dataclass
class ParseContext:
    """What a parser may do: emit Arrow data, reject records, use a scratch DuckDB."""

    path: Path
    # the file's sha256, or a call that waits for it (it may be computed while parsing)
    digest: str | Callable[[], str]
    sink: Sink
    reference_time: datetime  # for formats without a year (syslog) or without dates
    records: int = 0
    rejected: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    kept_rejects: list[tuple[int | None, str]] = field(default_factory=list)
    query_sink: QuerySink | None = None
    flow_sink: FlowSink | None = None
    # addresses the sensor itself marked local (Zeek's local_orig / local_resp), kept by
    # the ingest with the file (see `rempart.store.flows.sensor_local_ranges`)
    local_addresses: list[str] = field(default_factory=list)
    # (earliest, latest) plausible record time (see `time_window`): a record outside it is
    # rejected with IMPLAUSIBLE_TIME, whatever way it is emitted; None: not checked (a
    # message's Date header is the sender's word, not a log's clock)
    time_window: tuple[datetime, datetime] | None = None
    _scratch: duckdb.DuckDBPyConnection | None = None

    @property
    def file_id(self) -> str:
        """Short content digest, prefix of every event_uid from this file."""
        if not isinstance(self.digest, str):
            self.digest = self.digest()
        return self.digest[:16]

    def emit(self, data: pa.Table | pa.RecordBatchReader) -> None:
        """Hand normalised rows (the event class schema, matched by column name) on."""
        if self.time_window is not None:
            data = self._drop_implausible(data, self.time_window)
        self.records += self.sink(data)

    def _drop_implausible(
        self, data: pa.Table | pa.RecordBatchReader, window: tuple[datetime, datetime]
    ) -> pa.Table | pa.RecordBatchReader:
        """The rows whose time is plausible; the others rejected with their line."""
        if "time" not in data.schema.names:
            return data

        def keep(batch: pa.RecordBatch) -> pa.RecordBatch:
            times = batch.column("time")
            low, high = (pa.scalar(t, type=times.type) for t in window)
            bad = pc.fill_null(pc.or_(pc.less(times, low), pc.greater(times, high)), False)
            n = pc.sum(bad).as_py() or 0
            if not n:
                return batch
            lines: list[int | None] = (
                batch.filter(bad).column("source_line").to_pylist()
                if "source_line" in batch.schema.names
                else [None] * n
            )
            self._count(0, {IMPLAUSIBLE_TIME: n}, [(x, IMPLAUSIBLE_TIME) for x in lines])
            return batch.filter(pc.invert(bad))

        if isinstance(data, pa.Table):
            return pa.Table.from_batches([keep(b) for b in data.to_batches()], data.schema)
        reader = data
        return pa.RecordBatchReader.from_batches(reader.schema, (keep(b) for b in reader))

    def emit_query(
        self,
        select: str,
        params: dict[str, Any],
        *,
        setup: str = "",
        extra_rejects: str = "",
        teardown: str = "",
    ) -> bool:
        """Hand a DuckDB SELECT over the input file to the store instead of Arrow batches.

        The SELECT yields the event class's columns plus `_reject` (a reason, NULL for a good
        row) and reads only the file (or what `setup` made of it), never the store's tables;
        the store runs it as an INSERT, so no row crosses Python (the hot path for big flow
        files). `setup` runs first,
        `extra_rejects` (rows of line, reason) after, on the same connection (for DuckDB's
        CSV reject tables), `teardown` last, even on failure (to drop what `setup` made).
        `setup` may name the SELECT's parameters. Returns False when the sink cannot take
        queries: the source then emits Arrow.
        """
        if self.query_sink is None:
            return False
        if self.time_window is not None:
            select = (
                "SELECT * REPLACE (coalesce(_reject, CASE WHEN "
                f"{implausible_sql('time', self.time_window)} THEN '{IMPLAUSIBLE_TIME}' END) "
                f"AS _reject) FROM ({select}) _timed"
            )
        records, counts, kept = self.query_sink(select, params, setup, extra_rejects, teardown)
        self._count(records, counts, kept)
        return True

    def emit_flows(
        self,
        select: str,
        params: dict[str, Any],
        *,
        checks: list[tuple[str, str]],
        locate: str,
        setup: str = "",
        extra_rejects: str = "",
        arrow: ArrowFlows | None = None,
    ) -> bool:
        """Hand a connection log's SELECT to the store's compact flow table.

        The SELECT yields `rempart.store.flows.COMPACT_COLUMNS`, in any order and without
        line numbers (the sensor's `flow_uid` identifies each row, so the file is read on
        every thread at once). `checks` are (condition on those columns, reason), judged on
        the stored rows (the first true one names a row's reason). `locate` yields
        `source_line, _reject` for every row, numbered, with the same reasons; the store
        runs it only when rows were rejected, to name their lines. Returns False when the
        sink cannot take it: the source then emits otherwise. `locate` also yields each
        row's `time`, for the implausible times (see `time_window`), checked last.
        `arrow`: the same rows read by Arrow in parallel byte ranges, which a store on disk
        writes as Parquet (the SELECT then only runs when Arrow refuses the file).
        """
        if self.flow_sink is None:
            return False
        if self.time_window is not None:
            odd = implausible_sql("time", self.time_window)
            checks = [*checks, (odd, IMPLAUSIBLE_TIME)]
            locate = (
                "SELECT source_line, coalesce(_reject, CASE WHEN "
                f"{odd} THEN '{IMPLAUSIBLE_TIME}' END) AS _reject FROM ({locate}) _timed"
            )
        records, counts, kept = self.flow_sink(
            select, params, checks, locate, setup, extra_rejects, arrow
        )
        self._count(records, counts, kept)
        return True

    def _count(
        self, records: int, counts: dict[str, int], kept: list[tuple[int | None, str]]
    ) -> None:
        self.records += records
        for reason, n in counts.items():
            self.rejected += n
            self.reasons[reason] += n
        room = MAX_KEPT_REJECTS - len(self.kept_rejects)
        self.kept_rejects.extend(kept[: max(room, 0)])

    def reject(self, line: int | None, reason: str) -> None:
        self.rejected += 1
        self.reasons[reason] += 1
        if len(self.kept_rejects) < MAX_KEPT_REJECTS:
            self.kept_rejects.append((line, reason))

    def scratch(self) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB connection for columnar parsing (not the store)."""
        if self._scratch is None:
            self._scratch = duckdb.connect(":memory:")
            self._scratch.execute("SET TimeZone = 'UTC'")
        return self._scratch

    def close(self) -> None:
        if self._scratch is not None:
            self._scratch.close()
            self._scratch = None


class Source(ABC):
    """One input format. Subclasses set NAME, VERSION, EVENT_CLASS and implement both verbs."""

    NAME: ClassVar[str]
    VERSION: ClassVar[str]
    EVENT_CLASS: ClassVar[str]
    DESCRIPTION: ClassVar[str] = ""
    # A syslog source that reads only its own programs' lines and leaves the others alone:
    # a central syslog file is read by every such source that recognises it.
    SHARES_LINES: ClassVar[bool] = False
    # What replaces a line the reader cannot take (invalid UTF-8, a stray CR) in the copy
    # the ingest then reads (`rempart.sources.cleanlines`): a line this source skips.
    BLANK_LINE: ClassVar[bytes] = b""
    # Records are lines (or line-delimited messages) a file only gains at its end: a file
    # that grew since it was ingested is read from where it ended (`rempart.ingest.grown`).
    GROWS: ClassVar[bool] = False

    @abstractmethod
    def sniff(self, head: bytes, path: Path) -> bool:
        """Cheap yes/no from the first bytes (decompressed) of the file; never raises."""

    @abstractmethod
    def parse(self, path: Path, ctx: ParseContext) -> None:
        """Emit the file's records; reject the bad ones; raise SourceError if unreadable.

        Rows are named after `ctx.path`, never `path`: for a gzip file cut in the middle
        (`rempart.sources.gzipcut`), the ingest hands every source a plain copy of what
        precedes the cut, and the rows belong to the original file."""

    @classmethod
    def schema(cls) -> pa.Schema:
        return EVENT_CLASSES[cls.EVENT_CLASS]


DIGEST_CHUNK = 1 << 26  # a multiple of mmap.ALLOCATIONGRANULARITY


def file_digest(path: Path) -> str:
    """sha256 of the content: the identity that makes re-ingesting a no-op.

    The file is mapped window by window rather than read: a day of flows is hashed while
    DuckDB parses it on the same cores, and copying it through read() cost half as much
    again as the hash. Each window is unmapped before the next, so the mapped pages never
    add more than one window to the process's resident memory."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        try:
            for offset in range(0, size, DIGEST_CHUNK):
                length = min(DIGEST_CHUNK, size - offset)
                with mmap.mmap(
                    fh.fileno(), length, access=mmap.ACCESS_READ, offset=offset
                ) as window:
                    h.update(window)
            return h.hexdigest()
        except (ValueError, OSError):  # not mappable (a pipe, a special file)
            h = hashlib.sha256()
            fh.seek(0)
        while chunk := fh.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def quick_fingerprint(path: Path, edge: int = 1 << 20) -> str:
    """sha256 of the size, the first and the last MiB: equal for equal files, so a file whose
    fingerprint matches no logged file cannot be one of them (its full digest can wait)."""
    h = hashlib.sha256()
    size = path.stat().st_size
    h.update(str(size).encode())
    with path.open("rb") as fh:
        h.update(fh.read(edge))
        if size > edge:
            fh.seek(max(edge, size - edge))
            h.update(fh.read(edge))
    return h.hexdigest()


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    """The first bytes of a file, transparently gunzipped (as far as a cut or corrupt gzip
    stream goes: a file copied while it was written is still recognised)."""
    with path.open("rb") as fh:
        head = fh.read(size)
    if head[:2] == GZIP_MAGIC:
        return gunzip_head(path, size)[0]
    return head
