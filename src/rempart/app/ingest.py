"""Ingest files into the workspace's store, reporting progress over bytes.

Progress is a callback (the CLI draws a bar, the web console will stream it): within one big
file it follows DuckDB's own progress of the running query, polled from a thread, so a day of
flows does not sit at 0 % for a minute.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
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


EVENT_TABLES = ("network_flow", "process", "email", "authentication", "mail_transfer")


def implausible_times(
    workspace: Path | str | None, report: IngestReport, now: datetime | None = None
) -> list[tuple[str, int, datetime]]:
    """(file, records, earliest) of the files just ingested whose records carry a time
    before 2000 or after now (a capture with relative timestamps reads as 1970): incidents
    set those records' findings aside, and the team must know why."""
    from rempart.app.session import Session

    files = [f.path for f in report.files if f.status is FileStatus.INGESTED]
    if not files:
        return []
    now = now or datetime.now(UTC)
    out: dict[str, tuple[int, datetime]] = {}
    with Session.reader(workspace) as session:
        store = session.store_or_none()
        if store is None:
            return []
        names = store.sql(
            """SELECT table_name AS n FROM duckdb_tables()
               UNION SELECT view_name FROM duckdb_views()"""
        ).column("n")
        have = set(names.to_pylist())
        for table in (t for t in EVENT_TABLES if t in have):
            rows = store.sql(
                f"""SELECT source_file AS f, count(*) AS n, min(time) AS t FROM {table}
                    WHERE list_contains($files, source_file)
                      AND (time < $low OR time > $high) GROUP BY 1""",
                {
                    "files": files,
                    "low": datetime(2000, 1, 1, tzinfo=UTC),
                    "high": now + timedelta(days=1),
                },
            ).to_pylist()
            for r in rows:
                n, t = out.get(str(r["f"]), (0, r["t"]))
                out[str(r["f"])] = (n + int(r["n"]), min(t, r["t"]))
    return [(f, n, t) for f, (n, t) in sorted(out.items())]


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
