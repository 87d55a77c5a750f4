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


NOT_LOGS = {
    "misp": "ingest.not_log.misp",
    "stix": "ingest.not_log.stix",
    "sigma": "ingest.not_log.sigma",
}


def not_an_event_log(path: Path) -> str | None:
    """ "misp", "stix" or "sigma" when the file is threat intelligence or a detection rule
    (a MISP event, a STIX bundle, a Sigma rule), which a source would otherwise take for
    process records or mail; None for anything else."""
    try:
        with path.open("rb") as fh:
            head = fh.read(65536)
    except OSError:
        return None
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff").lstrip()
    if text.startswith("{") or text.startswith("["):
        compact = text[:4096].replace(" ", "").replace("\n", "").replace("\t", "")
        if '"type":"bundle"' in compact and '"objects"' in compact:
            return "stix"
        if '"Event":{' in compact or ('"Attribute"' in text and '"threat_level_id"' in text):
            return "misp"
        return None
    keys = {
        line.split(":", 1)[0].strip()
        for line in text.splitlines()[:400]
        if line and not line[0].isspace() and ":" in line
    }
    if {"title", "logsource", "detection"} <= keys:
        return "sigma"
    return None


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
        other = not_an_event_log(path)
        if other is not None:
            report.files.append(FileResult(str(path), FileStatus.UNKNOWN, error=other))
            done += size
            continue
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
    from rempart.app.intel import hunt_new_paths
    from rempart.app.session import Session

    with Session.writer(workspace) as session:
        _ = session.hospital  # a hospital.yaml that does not load is refused before anything
        report = ingest_paths(session.store, paths, progress)
        # indicators already imported are hunted again over the new files' rows only
        new = [f.path for f in report.files if f.status is FileStatus.INGESTED]
        hunt_new_paths(session.store, session.hospital, new)
        return report


def implausible_times(report: IngestReport) -> list[FileResult]:
    """The files just ingested that had records at an implausible time (before 2000 or
    after the ingest's clock: a capture with relative timestamps reads as 1970). Those
    records were rejected, each with its line; the team is told once per file, and plainly
    when nothing of a file was kept (`FileResult.all_implausible`)."""
    return report.implausible()


def failed(report: IngestReport) -> bool:
    return any(f.status is FileStatus.FAILED for f in report.files)


__all__ = [
    "NOT_LOGS",
    "FileResult",
    "FileStatus",
    "IngestReport",
    "failed",
    "implausible_times",
    "ingest",
    "ingest_paths",
    "not_an_event_log",
]
