"""Ingest files into the workspace's store, reporting progress over bytes.

Progress is a callback (the CLI draws a bar, the web console will stream it): within one big
file it follows DuckDB's own progress of the running query, polled from a thread, so a day of
flows does not sit at 0 % for a minute.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from rempart.ingest.files import FileResult, FileStatus, IngestReport, expand, ingest_file
from rempart.store import Store

# (file about to be read or None when all are done, bytes done so far, total bytes)
Progress = Callable[[Path | None, float, int], None]

QUERY_PROGRESS_MIN_BYTES = 16 << 20


class _QueryProgress:
    """Moves the progress within one big file from the store's progress of the running query."""

    def __init__(
        self, store: Store, progress: Progress, path: Path, done: int, size: int, total: int
    ) -> None:
        self.store, self.progress, self.path = store, progress, path
        self.done, self.size, self.total = done, size, total
        self.enabled = size >= QUERY_PROGRESS_MIN_BYTES
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> _QueryProgress:
        if self.enabled:
            self.store.query_progress()  # turns the tracking on, from this thread
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self.stop.set()
            self.thread.join()

    def _poll(self) -> None:
        best = 0.0
        while not self.stop.wait(0.5):
            pct = self.store.query_progress()
            if pct > best:  # (each query of the ingest starts again from 0: keep the most)
                best = min(pct, 99.0)
                self.progress(self.path, self.done + self.size * best / 100, self.total)


def ingest_paths(
    store: Store, paths: Sequence[Path], progress: Progress | None = None
) -> IngestReport:
    """Ingest every file under `paths` (folders recursively); one result per file."""
    files = list(expand(list(paths)))
    total = sum(p.stat().st_size for p in files if p.exists())
    report = IngestReport()
    done = 0
    for path in files:
        size = path.stat().st_size if path.exists() else 0
        if progress is None:
            report.files.append(ingest_file(store, path))
        else:
            progress(path, done, total)
            with _QueryProgress(store, progress, path, done, size, total):
                report.files.append(ingest_file(store, path))
        done += size
    if progress is not None:
        progress(None, done, total)
    return report


def ingest(
    workspace: Path | str | None, paths: Sequence[Path], progress: Progress | None = None
) -> IngestReport:
    """`rempart ingest`: the workspace is created when missing."""
    from rempart.app.session import Session

    with Session.writer(workspace) as session:
        return ingest_paths(session.store, paths, progress)


def failed(report: IngestReport) -> bool:
    return any(f.status is FileStatus.FAILED for f in report.files)


__all__ = ["FileResult", "FileStatus", "IngestReport", "failed", "ingest", "ingest_paths"]
