"""Loading a responder's collection into the store: many Windows log files at once.

Kept out of `rempart.sources` because it writes to the store (sources never do): bulk
ingestion of `.evtx` / JSON files, and the `authentication` rows derived from logon events.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pyarrow as pa

from rempart.core.errors import SourceError
from rempart.ingest.files import FileResult, FileStatus, ingest_file
from rempart.sources import Source, file_digest, sniff
from rempart.sources.base import MAX_KEPT_REJECTS, time_window
from rempart.sources.winevent import (
    Batcher,
    EvtxSource,
    WinJsonSource,
    read_evtx,
    read_json_events,
)
from rempart.store import Store

# --- the authentication table, derived from logon events ----------------------------------

_AUTH_SQL = """
INSERT INTO authentication BY NAME
SELECT
    p.time,
    p.fields['TargetUserName'] AS "user",
    NULLIF(NULLIF(p.fields['IpAddress'], '-'), '') AS src_ip,
    p.host AS dst_host,
    'windows' AS service,
    p.fields['LogonType'] AS logon_type,
    COALESCE(p.fields['AuthenticationPackageName'], p.fields['PackageName']) AS auth_protocol,
    CASE WHEN p.event_code IN (4625, 4771) THEN 'failure'
         WHEN p.event_code = 4776 AND p.fields['Status'] NOT IN ('0x0', '0') THEN 'failure'
         ELSE 'success' END AS status,
    NULLIF(concat_ws(' ', p.fields['Status'], p.fields['SubStatus']), '') AS status_detail,
    p.raw,
    p.event_uid, p.source_file, p.source_line, p.source_format
FROM process p
WHERE p.source_format IN ('evtx', 'winevent_json')
  AND p.event_code IN (4624, 4625, 4648, 4771, 4776)
  AND (p.channel = 'Security' OR p.channel IS NULL)
  AND NOT EXISTS (SELECT 1 FROM authentication a WHERE a.event_uid = p.event_uid)
"""


def sync_authentication(store: Store) -> int:
    """Copy Windows logon events (4624/4625/4648/4771/4776) into `authentication`; idempotent."""
    before = store.count("authentication")
    store.execute(_AUTH_SQL)
    return store.count("authentication") - before


def _digest(path: Path) -> str | OSError:
    try:
        return file_digest(path)
    except OSError as exc:
        return exc


def bulk_ingest(
    store: Store,
    files: Sequence[Path],
    progress: Callable[[int, int], None] | None = None,
    *,
    read_others: bool = True,
) -> list[FileResult]:
    """Ingest many Windows log files at once: events of all files normalised per chunk.

    Hundreds of small `.evtx` files (one per channel and machine) cost one DuckDB pass per
    20,000 events instead of one per file. All of it is one transaction: after a crash
    nothing is half-written and a re-run redoes it; files already ingested are skipped.
    Other formats go through the ordinary per-file ingest; without `read_others` they are
    only named, with the source that recognised them (FileStatus.NOT_READ).
    """
    results: list[FileResult] = []
    digests: dict[Path, str] = {}
    # hashed on two threads: hashlib and the reads let go of the interpreter
    with ThreadPoolExecutor(2, thread_name_prefix="rempart-digest") as pool:
        for path, digest in zip(files, pool.map(_digest, files), strict=True):
            if isinstance(digest, OSError):
                results.append(FileResult(str(path), FileStatus.FAILED, error=str(digest)))
            else:
                digests[path] = digest
    known = store.ingested_digests(set(digests.values()))
    mine: list[tuple[Path, str, Source, list[tuple[int | None, str]]]] = []
    others: list[tuple[Path, Source | None]] = []
    con = duckdb.connect(":memory:")
    try:
        with store.transaction():
            window = time_window(store.clock.now())
            batcher = Batcher(con, lambda t: store.append("process", t), window)
            for i, (path, digest) in enumerate(digests.items()):
                if progress is not None:
                    progress(i, len(files))
                if digest in known:
                    results.append(FileResult(str(path), FileStatus.ALREADY))
                    continue
                known.add(digest)
                source = sniff(path)
                if not isinstance(source, EvtxSource | WinJsonSource):
                    others.append((path, source))
                    continue
                rejects: list[tuple[int | None, str]] = []
                file_id, name, fmt = digest[:16], str(path), source.NAME

                def add(line: int, rid: int | None, text: str) -> None:
                    batcher.add(file_id, name, fmt, line, rid, text)  # noqa: B023

                def reject(line: int, reason: str) -> None:
                    rejects.append((line, reason))  # noqa: B023

                try:
                    if isinstance(source, EvtxSource):
                        read_evtx(path, add, reject)
                    else:
                        read_json_events(path, add, reject)
                except SourceError as exc:
                    rejects.append((None, f"unreadable from here on: {exc}"))
                mine.append((path, digest, source, rejects))
            batcher.flush()
            results.extend(_log(store, mine, batcher))
    finally:
        con.close()
    # Other formats: the ordinary ingest, one transaction per file.
    if not read_others:
        results.extend(
            FileResult(str(path), FileStatus.NOT_READ, source.NAME, source.EVENT_CLASS)
            if source is not None
            else FileResult(str(path), FileStatus.UNKNOWN)
            for path, source in others
        )
        return results
    results.extend(ingest_file(store, path, source=source) for path, source in others)
    return results


def _log(
    store: Store,
    mine: list[tuple[Path, str, Source, list[tuple[int | None, str]]]],
    batcher: Batcher,
) -> list[FileResult]:
    """The ingest_log and rejects rows of all files, written in one statement each."""
    by_file: dict[str, list[tuple[int | None, str]]] = {}
    for f, line, reason in batcher.rejects:
        by_file.setdefault(f, []).append((line, reason))
    now = store.clock.now()
    log_rows: dict[str, list[object]] = {k: [] for k in _LOG_COLS}
    rej_rows: dict[str, list[object]] = {k: [] for k in ("file_sha256", "path", "line", "reason")}
    results: list[FileResult] = []
    for path, digest, source, rejects in mine:
        all_rejects = rejects + by_file.get(str(path), [])
        n = batcher.counts.get(str(path), 0)
        for k, v in zip(
            _LOG_COLS,
            (digest, str(path), source.NAME, source.VERSION, "process", n, len(all_rejects), now),
            strict=True,
        ):
            log_rows[k].append(v)
        for where, reason in all_rejects[:MAX_KEPT_REJECTS]:
            rej_rows["file_sha256"].append(digest)
            rej_rows["path"].append(str(path))
            rej_rows["line"].append(where)
            rej_rows["reason"].append(reason)
        reasons = Counter(r for _, r in all_rejects)
        results.append(
            FileResult(
                str(path),
                FileStatus.INGESTED,
                source.NAME,
                "process",
                n,
                len(all_rejects),
                tuple(reasons.most_common()),
            )
        )
    store.append_log(pa.table(log_rows), pa.table(rej_rows))
    return results


_LOG_COLS = (
    "file_sha256",
    "path",
    "source",
    "source_version",
    "event_class",
    "records",
    "rejected",
    "ingested_at",
)


__all__ = ["bulk_ingest", "sync_authentication"]
