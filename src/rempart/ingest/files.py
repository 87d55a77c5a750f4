"""Ingest files into the store: sniff each, parse through its source, log it once.

Each file is one transaction (its rows, its rejects and its `ingest_log` row), so nothing is
half-ingested after a crash, and a file whose digest is logged is skipped.
"""

from __future__ import annotations

import tempfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa

from rempart.core.errors import RempartError, SourceError
from rempart.ingest.grown import Prefix, grown_from, tail_copy
from rempart.schema.flowsql import ArrowFlows
from rempart.sources import (
    ParseContext,
    Source,
    file_digest,
    quick_fingerprint,
    sniff_all,
)
from rempart.sources.base import IMPLAUSIBLE_TIME, RewriteNeeded, time_window
from rempart.sources.cleanlines import clean_lines, unreadable_line_error
from rempart.sources.gzipcut import gunzip_head, gunzip_until_cut, is_gzip
from rempart.store.duck import Store


class FileStatus(StrEnum):
    INGESTED = "ingested"
    ALREADY = "already ingested"
    UNKNOWN = "unknown format"
    FAILED = "failed"
    # recognised but not read: its events would have gone nowhere (a triage without a
    # workspace reads only Windows logs)
    NOT_READ = "not read"


@dataclass(frozen=True)
class FileResult:
    path: str
    status: FileStatus
    source: str | None = None
    event_class: str | None = None
    records: int = 0
    rejected: int = 0
    reasons: tuple[tuple[str, int], ...] = ()
    error: str | None = None
    # (source, event class, records, rejected) of each source that read the file: one,
    # or several for a central syslog (see `Source.SHARES_LINES`)
    parts: tuple[tuple[str, str, int, int], ...] = ()
    # why the rows were read from a rewritten copy (see RewriteNeeded), else None
    rewritten: str | None = None
    # a file that grew since it was ingested: the records read before (only the new
    # ones, `records`, were read now; see `rempart.ingest.grown`), else None
    already_records: int | None = None
    # the type of an exception that was no RempartError (a bug to fix: a file fails whole
    # only with a message that says where), else None; the fuzz harness counts these
    unexpected: str | None = None

    @property
    def implausible(self) -> int:
        """Records rejected for an implausible time (see `rempart.sources.base.time_window`)."""
        return dict(self.reasons).get(IMPLAUSIBLE_TIME, 0)

    @property
    def all_implausible(self) -> bool:
        """Nothing was kept, and the times are why: the file is said once, not line by line."""
        return self.implausible > 0 and self.records == 0


@dataclass
class IngestReport:
    files: list[FileResult] = field(default_factory=list)

    def by_class(self) -> dict[str, tuple[int, int, int]]:
        """event class -> (files, records, rejected) for the files ingested now."""
        out: dict[str, tuple[int, int, int]] = {}
        for f in self.files:
            if f.status is not FileStatus.INGESTED:
                continue
            parts = f.parts or ((f.source or "", f.event_class or "", f.records, f.rejected),)
            seen: set[str] = set()  # a file two sources of one class read counts once
            for _, cls, records, rejected in parts:
                if cls:
                    n, r, j = out.get(cls, (0, 0, 0))
                    out[cls] = (n + (cls not in seen), r + records, j + rejected)
                    seen.add(cls)
        return out

    def reasons(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for f in self.files:
            total.update(dict(f.reasons))
        return total

    def implausible(self) -> list[FileResult]:
        """The files ingested now that had records at an implausible time."""
        return [f for f in self.files if f.status is FileStatus.INGESTED and f.implausible]

    @property
    def records(self) -> int:
        return sum(f.records for f in self.files)

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)


def expand(paths: Iterable[Path]) -> Iterator[Path]:
    """Files under the given paths, recursively, in a stable order; hidden files skipped."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path)
                if child.is_file() and not any(p.startswith(".") for p in rel.parts):
                    yield child
        else:
            yield path


Progress = Callable[[Path, int], None]


class _AlreadyIngested(Exception):
    """Raised inside the transaction when the digest, known late, was already logged."""


# Files at least this big are hashed while they are parsed (see ingest_file).
HASH_WHILE_PARSING_BYTES = 32 << 20


def ingest_file(
    store: Store, path: Path, *, source: Source | None = None, reference: datetime | None = None
) -> FileResult:
    """Ingest one file; never raises for a bad file, the result says what happened.

    The file's sha256 is its identity (a file already logged is skipped). Hashing a day of
    flows takes seconds on one core, so for a big file whose head, tail and size match no
    logged file (hence neither can its content) the hash runs on a thread while DuckDB
    parses, and is checked again before the commit. A central syslog is read by every
    syslog source that recognises it (mail logins and firewall lines, say), in the same
    transaction; the result names them joined by `+`, with each one's counts in `parts`.
    """
    name = str(path)
    try:
        quick = quick_fingerprint(path)
        size = path.stat().st_size
        early = size < HASH_WHILE_PARSING_BYTES or store.may_be_ingested(quick)
        digest: str | Callable[[], str]
        pool: ThreadPoolExecutor | None = None
        if early:
            digest = file_digest(path)
            if store.already_ingested(digest):
                return FileResult(name, FileStatus.ALREADY)
    except OSError as exc:
        return FileResult(name, FileStatus.FAILED, error=f"cannot read: {exc.strerror}")
    found = [source] if source else sniff_all(path)
    if not found:
        cut = _cut_in_gzip_header(path)
        if cut:
            return FileResult(name, FileStatus.FAILED, error=cut)
        return FileResult(name, FileStatus.UNKNOWN)
    readers = [found[0]]
    if found[0].SHARES_LINES:
        # a central syslog: every syslog source that recognises it reads its own lines
        readers += [s for s in found[1:] if s.SHARES_LINES]
    if not early:
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rempart-digest")
        digest = pool.submit(file_digest, path).result
    reference_time = reference or datetime.fromtimestamp(path.stat().st_mtime, UTC)
    try:
        prefix = grown_from(store, path, readers[0])
    except OSError as exc:
        return FileResult(name, FileStatus.FAILED, error=f"cannot read: {exc.strerror}")

    # rejects said before the file is read again (a gzip's cut): every fresh start keeps them
    carried: list[tuple[int | None, str]] = []
    contexts: list[ParseContext] = []
    rewritten: str | None = None  # why the rows were read from a rewritten copy

    def fresh() -> list[ParseContext]:
        made = [_context(store, path, reader, digest, reference_time) for reader in readers]
        for line, reason in carried:
            made[0].reject(line, reason)
        return made

    def restart() -> None:
        """Forget what a failed parse counted (its transaction was rolled back)."""
        nonlocal contexts
        for ctx in contexts:
            ctx.close()
        contexts = fresh()

    def parse_file(source: Path, done: tuple[str, ...] = ()) -> None:
        """parse_and_log `source` (the file, or a cut gzip's plain copy), or the copy a
        source asks for when it must be rewritten (see RewriteNeeded), or the copy without
        the lines the reader refused (see `rempart.sources.cleanlines`); `done` names the
        rewrites already made (each at most once: a copy may need the other one)."""
        nonlocal rewritten
        try:
            parse_and_log(source)
        except Exception as exc:
            need = _rewrite_for(path, exc, readers[0])
            if need is None or need.reason in done:
                raise
            # e.g. Zeek logs of other columns concatenated: read a copy in one layout; a
            # line of invalid UTF-8: read a copy without it, the line one reject
            restart()
            _parse_rewritten(
                store,
                path,
                source,
                need,
                lambda copy: parse_file(copy, (*done, need.reason)),
                carry,
            )
            rewritten = rewritten or "; ".join((*done, need.reason))  # (the deepest says all)

    def carry(rejects: list[tuple[int | None, str]]) -> None:
        """Lines a rewrite left out, counted as rejects from now on (every fresh start)."""
        carried.extend(rejects)
        restart()

    def parse_and_log(read: Path) -> None:
        """One transaction: every reader parses `read` (the file itself, or the plain copy
        of a cut gzip), then the file is logged under its own digest and path."""
        with store.transaction():
            for reader, ctx in zip(readers, contexts, strict=True):
                reader.parse(read, ctx)
            first = contexts[0]
            first.file_id  # noqa: B018  (waits for the digest when it was computed alongside)
            assert isinstance(first.digest, str)
            if not early and store.already_ingested(first.digest):
                raise _AlreadyIngested
            local = sorted({ip for c in contexts for ip in c.local_addresses})
            if local:
                store.record_sensor_local(first.digest, local)
            store.log_ingest(
                digest=first.digest,
                path=name,
                source=names,
                version="+".join(r.VERSION for r in readers),
                event_class=classes,
                records=sum(c.records for c in contexts),
                rejects=[r for c in contexts for r in c.kept_rejects],
                rejected=sum(c.rejected for c in contexts),
                quick=quick,
                size=size,
            )

    contexts = fresh()
    names = "+".join(r.NAME for r in readers)
    classes = "+".join(dict.fromkeys(r.EVENT_CLASS for r in readers))
    try:
        try:
            if prefix is not None:
                _parse_grown(store, path, prefix, readers[0], parse_file)
            else:
                parse_file(path)
        except _AlreadyIngested:
            raise
        except Exception as exc:
            if not _may_be_cut(path, exc):
                raise
            # a gzip cut in the middle (copied while it was written): the rows before the
            # cut, with the cut said as a reject; a whole stream keeps the first failure
            if not _parse_before_cut(store, path, carried, restart, parse_file):
                raise
    except _AlreadyIngested:
        return FileResult(name, FileStatus.ALREADY)
    except (RempartError, OSError) as exc:
        return FileResult(name, FileStatus.FAILED, names, classes, error=str(exc))
    except (ValueError, pa.ArrowException) as exc:
        kind = type(exc).__name__
        return FileResult(name, FileStatus.FAILED, names, classes, error=str(exc), unexpected=kind)
    except Exception as exc:
        kind = type(exc).__name__
        msg = f"{kind}: {exc}"
        return FileResult(name, FileStatus.FAILED, names, classes, error=msg, unexpected=kind)
    finally:
        for ctx in contexts:
            ctx.close()
        if pool is not None:
            pool.shutdown(wait=True)
    reasons: Counter[str] = Counter()
    for ctx in contexts:
        reasons.update(ctx.reasons)
    return FileResult(
        name,
        FileStatus.INGESTED,
        names,
        classes,
        sum(c.records for c in contexts),
        sum(c.rejected for c in contexts),
        tuple(reasons.most_common()),
        parts=tuple(
            (r.NAME, r.EVENT_CLASS, c.records, c.rejected)
            for r, c in zip(readers, contexts, strict=True)
        ),
        rewritten=rewritten,
        already_records=None if prefix is None else prefix.records,
    )


def _parse_grown(
    store: Store,
    path: Path,
    prefix: Prefix,
    source: Source,
    parse_file: Callable[[Path], None],
) -> None:
    """Parse only what `path` gained since it was logged as `prefix`: a copy with the old
    lines blanked (`rempart.ingest.grown.tail_copy`), removed whatever happens; errors
    are said of `path`."""
    with tempfile.TemporaryDirectory(prefix=".rempart-grown-", dir=_scratch_dir(store)) as tmp:
        copy = Path(tmp) / (path.name or "log")
        tail_copy(path, copy, prefix.size, source.BLANK_LINE)
        try:
            parse_file(copy)
        except (_AlreadyIngested, RempartError):
            raise
        except Exception as exc:  # said of the original file, never of the temporary copy
            msg = str(exc).replace(str(copy), str(path))
            raise SourceError(path, f"its new part: {msg}") from exc


# What a parse failure says when the gzip stream it read may be cut or corrupt (DuckDB:
# "Unexpected end of GZIP stream"; Python's gzip: "Compressed file ended before the
# end-of-stream marker was reached", "CRC check failed").
_CUT_HINTS = ("gzip", "compressed file ended", "end-of-stream", "crc check")


def _may_be_cut(path: Path, exc: BaseException) -> bool:
    """Whether a failed parse may come from a cut/corrupt gzip stream (then checked by
    decompressing it; a whole file failing for another reason is not decompressed)."""
    if isinstance(exc, EOFError | zlib.error):
        return is_gzip(path)
    text = str(exc).lower()
    return any(h in text for h in _CUT_HINTS) and is_gzip(path)


def _scratch_dir(store: Store) -> Path | None:
    """Where a cut gzip's plain copy goes: next to the store (the workspace's disk, sized
    for the data; /tmp may be memory), or the system's temporary directory."""
    return None if str(store.path) == ":memory:" else store.path.parent


def _parse_before_cut(
    store: Store,
    path: Path,
    carried: list[tuple[int | None, str]],
    restart: Callable[[], None],
    parse_file: Callable[[Path], None],
) -> bool:
    """Decompress a cut gzip up to its last complete line into a temporary plain file,
    carry the cut as a reject into fresh counts (`restart`), and read that file (the
    file's digest and path stay the original's). False when the stream turns out whole:
    the failure was something else. The temporary file is removed whatever happens."""
    with tempfile.TemporaryDirectory(prefix=".rempart-gunzip-", dir=_scratch_dir(store)) as tmp:
        plain = Path(tmp) / (path.stem or "plain")
        cut = gunzip_until_cut(path, plain)
        if cut is None:
            return False
        if cut.in_header:
            raise SourceError(path, _header_cut_message(cut.offset))
        carried.append((cut.line, cut.reason))
        restart()
        try:
            parse_file(plain)
        except (_AlreadyIngested, RempartError):
            raise
        except Exception as exc:  # said of the original file, never of the temporary copy
            msg = str(exc).replace(str(plain), str(path))
            raise SourceError(path, f"{cut.reason}; the rows before the cut: {msg}") from exc
    return True


def _rewrite_for(path: Path, exc: BaseException, source: Source) -> RewriteNeeded | None:
    """The rewrite that may cure a failed parse: the one the source asked for, or a copy
    without the lines whose bytes the reader refused (invalid UTF-8, a stray CR), each
    replaced by a line the source skips; None when neither applies."""
    if isinstance(exc, RewriteNeeded):
        return exc
    if isinstance(exc, _AlreadyIngested | SourceError) or not unreadable_line_error(exc):
        return None
    cleaner = partial(clean_lines, placeholder=source.BLANK_LINE)
    return RewriteNeeded(path, UNREADABLE_LINES, cleaner)


UNREADABLE_LINES = "lines with invalid UTF-8 or a stray carriage return, each one reject"


def _parse_rewritten(
    store: Store,
    path: Path,
    source: Path,
    need: RewriteNeeded,
    parse_and_log: Callable[[Path], None],
    carry: Callable[[list[tuple[int | None, str]]], None],
) -> None:
    """Parse the copy of `source` (the file `path`, or a cut gzip's plain copy of it) the
    source asked for (see RewriteNeeded), written in a temporary directory next to the
    store and removed whatever happens; the lines the rewrite left out are `carry`-ed as
    rejects; errors are said of `path`."""
    with tempfile.TemporaryDirectory(prefix=".rempart-rewrite-", dir=_scratch_dir(store)) as tmp:
        copy = Path(tmp) / (path.name.removesuffix(".gz") or "log")
        try:
            left_out = need.rewrite(source, copy)
            if left_out:
                carry(left_out)
            parse_and_log(copy)
        except (_AlreadyIngested, RempartError) as exc:
            if isinstance(exc, RewriteNeeded) and exc.reason == need.reason:
                raise SourceError(path, f"{need.reason}; its rewritten copy too") from exc
            raise
        except Exception as exc:  # said of the original file, never of the temporary copy
            msg = str(exc).replace(str(copy), str(path)).replace(str(source), str(path))
            raise SourceError(path, f"{need.reason}; rewriting it: {msg}") from exc


def _header_cut_message(size: int) -> str:
    return (
        f"gzip stream truncated after {size} bytes, before any data could be "
        "decompressed (file cut while it was written?): nothing to read"
    )


def _cut_in_gzip_header(path: Path) -> str | None:
    """The failure to report for a gzip file that gives no byte at all (cut inside its
    header), else None (an unknown format is then just unknown)."""
    try:
        if not is_gzip(path):
            return None
        head, broken = gunzip_head(path, 1)
        if head or not broken:
            return None
        return f"{path}: {_header_cut_message(path.stat().st_size)}"
    except OSError:
        return None


# A source's SELECT is staged in memory (computed once, then inserted and its rejects
# counted) for files up to this size, read twice beyond it: staging a 1.3 GB nfdump CSV
# took 18-20 s instead of 26-31 s, for a peak of 1.3 GB instead of 0.6 GB.
STAGE_MAX_BYTES = 512 << 20
GZIP_RATIO = 8  # what a gzip log is taken to hold, per compressed byte


def _stage(path: Path) -> bool:
    try:
        size = path.stat().st_size * (GZIP_RATIO if is_gzip(path) else 1)
    except OSError:
        return False
    return size <= STAGE_MAX_BYTES


def _context(
    store: Store,
    path: Path,
    source: Source,
    digest: str | Callable[[], str],
    reference: datetime,
) -> ParseContext:
    """The ParseContext through which `source` writes `path` into `store`."""
    name = str(path)

    def sink(data: pa.Table | pa.RecordBatchReader) -> int:
        return store.append(source.EVENT_CLASS, data)

    def query_sink(
        select: str, params: dict[str, Any], setup: str, extra_rejects: str, teardown: str
    ) -> tuple[int, dict[str, int], list[tuple[int | None, str]]]:
        return store.insert_query(
            source.EVENT_CLASS,
            select,
            params,
            setup,
            extra_rejects,
            stage=_stage(path),
            teardown=teardown,
        )

    ctx: ParseContext

    def flow_sink(
        select: str,
        params: dict[str, Any],
        checks: list[tuple[str, str]],
        locate: str,
        setup: str,
        extra_rejects: str,
        arrow: ArrowFlows | None,
    ) -> tuple[int, dict[str, int], list[tuple[int | None, str]]]:
        return store.insert_flows(
            select,
            params,
            file_id=lambda: ctx.file_id,
            path=name,
            source_format=source.NAME,
            checks=checks,
            locate=locate,
            setup=setup,
            extra_rejects=extra_rejects,
            arrow=arrow,
        )

    ctx = ParseContext(
        path=path,
        digest=digest,
        sink=sink,
        query_sink=query_sink,
        flow_sink=flow_sink if source.EVENT_CLASS == "network_flow" else None,
        reference_time=reference,
        time_window=None if source.EVENT_CLASS in UNCHECKED_TIMES else checked_window(store),
    )
    return ctx


# Event classes whose time is not a log's clock: a message's Date header is what its sender
# wrote (a forged date is one more sign of a phishing message, not a reason to drop it).
UNCHECKED_TIMES = frozenset({"email"})


def checked_window(store: Store) -> tuple[datetime, datetime]:
    """The plausible record times of an ingest now (the store's injected clock)."""
    return time_window(store.clock.now())


def ingest(
    store: Store,
    paths: Iterable[Path],
    *,
    progress: Progress | None = None,
    reference: datetime | None = None,
) -> IngestReport:
    """Ingest every file under `paths`; `progress(path, size)` is called after each file."""
    report = IngestReport()
    for path in expand(paths):
        report.files.append(ingest_file(store, path, reference=reference))
        if progress is not None:
            progress(path, path.stat().st_size if path.exists() else 0)
    return report
