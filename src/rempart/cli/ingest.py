"""`rempart ingest PATH...`: sniff, parse and store files, then print what happened."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table

from rempart.cli.common import LangOpt, WorkspaceOpt, check_paths, console, lang_of
from rempart.core.i18n import Lang, t
from rempart.ingest.files import FileStatus, IngestReport, expand, ingest_file
from rempart.store import Store, Workspace


def run_ingest(store: Store, paths: list[Path], lang: Lang, *, quiet: bool = False) -> IngestReport:
    """Ingest with a progress bar over bytes; shared by `ingest` and `demo`."""
    files = list(expand(paths))
    total = sum(p.stat().st_size for p in files if p.exists())
    report = IngestReport()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeRemainingColumn(),
        console=console,
        disable=quiet,
        transient=True,
    ) as bar:
        task = bar.add_task(t("ingesting", lang), total=total or 1)
        done = 0
        for path in files:
            size = path.stat().st_size if path.exists() else 0
            bar.update(task, description=f"{t('ingesting', lang)} {path.name}")
            with _QueryProgress(store, bar, task, done, size, enabled=not quiet):
                report.files.append(ingest_file(store, path))
            done += size
            bar.update(task, completed=done)
    return report


class _QueryProgress:
    """Moves the bar within one big file from DuckDB's own progress of the running query
    (polled from a thread), so a day of flows does not sit at 0 % for a minute."""

    MIN_BYTES = 16 << 20

    def __init__(
        self, store: Store, bar: Progress, task: TaskID, done: int, size: int, *, enabled: bool
    ) -> None:
        self.store, self.bar, self.task, self.done, self.size = store, bar, task, done, size
        self.enabled = enabled and size >= self.MIN_BYTES
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> _QueryProgress:
        if self.enabled:
            self.store.con.execute("SET enable_progress_bar = true")
            self.store.con.execute("SET enable_progress_bar_print = false")
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self.stop.set()
            self.thread.join()

    def _poll(self) -> None:
        best = 0.0
        while not self.stop.wait(0.5):
            try:
                pct = float(self.store.con.query_progress())
            except duckdb.Error:
                return
            if pct > best:  # (each query of the ingest starts again from 0: keep the most)
                best = min(pct, 99.0)
                self.bar.update(self.task, completed=self.done + self.size * best / 100)


def render_report(report: IngestReport, lang: Lang) -> None:
    table = Table(title=t("ingest_title", lang))
    for col in ("event_class", "files", "records", "rejected"):
        table.add_column(t(col, lang), justify="right" if col != "event_class" else "left")
    for cls, (n, r, j) in sorted(report.by_class().items()):
        table.add_row(cls, str(n), f"{r:,}", f"{j:,}")
    console.print(table)
    # files not ingested, and those read from a rewritten copy (the team should know why)
    other = [f for f in report.files if f.status is not FileStatus.INGESTED or f.rewritten
             or f.already_records is not None]  # fmt: skip
    if other:
        files = Table(show_header=True)
        files.add_column(t("file", lang))
        files.add_column(t("status", lang))
        for f in other:
            if f.already_records is not None and f.status is FileStatus.INGESTED:
                detail = t("grown", lang, new=f"{f.records:,}", old=f"{f.already_records:,}")
            elif f.rewritten and f.status is FileStatus.INGESTED:
                detail = f"{t('rewritten', lang)}: {f.rewritten}"
            else:
                detail = t(f.status.value, lang) + (f": {f.error}" if f.error else "")
            files.add_row(escape(f.path), escape(detail))
        console.print(files)
    reasons = report.reasons()
    if reasons:
        rt = Table(title=t("reject_reasons", lang))
        rt.add_column(t("reason", lang))
        rt.add_column(t("rejected", lang), justify="right")
        for reason, count in reasons.most_common():
            rt.add_row(escape(reason), f"{count:,}")
        console.print(rt)


def register(app: typer.Typer) -> None:
    @app.command("ingest")
    def ingest_cmd(
        paths: Annotated[list[Path], typer.Argument(help="Files or folders (recursive).")],
        workspace: WorkspaceOpt = None,
        lang: LangOpt = "fr",
    ) -> None:
        """Ingère journaux et courriels : format reconnu, rejets comptés, doublons ignorés."""
        lg = lang_of(lang)
        check_paths(paths)
        ws = Workspace.at(workspace)
        with Store(ws.db_path) as store:
            report = run_ingest(store, paths, lg)
        render_report(report, lg)
        if any(f.status is FileStatus.FAILED for f in report.files):
            raise typer.Exit(1)
