"""`rempart ingest PATH...`: sniff, parse and store files, then print what happened."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rempart.cli.common import (
    LangOpt,
    WorkspaceOpt,
    check_paths,
    console,
    err_console,
    escape,
    lang_of,
)
from rempart.core.i18n import Lang, render_reason, t

if TYPE_CHECKING:
    from rempart.app.ingest import (
        IngestReport,
    )


def run_ingest(workspace: Path | None, paths: list[Path], lang: Lang) -> IngestReport:
    """Ingest with a progress bar over bytes."""

    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from rempart.app.ingest import (
        ingest,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(t("ingesting", lang), total=1)

        def progress(path: Path | None, done: float, total: int) -> None:

            if path is not None:
                bar.update(task, description=f"{t('ingesting', lang)} {path.name}")
            bar.update(task, completed=done, total=total or 1)

        return ingest(workspace, paths, progress)


def _error_text(error: str, lang: Lang) -> str:
    """A file's failure in `lang`: the reason after its path ("path: reason") rendered from
    the catalogue when it has it, else as written."""
    shown = render_reason(error, lang)
    if shown == error and ": " in error:
        where, why = error.split(": ", 1)
        rendered = render_reason(why, lang)
        if rendered != why:
            return f"{where}: {rendered}"
    return shown


def render_report(report: IngestReport, lang: Lang) -> None:

    from rich.table import Table

    from rempart.app.ingest import (
        NOT_LOGS,
        FileStatus,
    )

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
        files.add_column(t("file", lang), overflow="fold")
        files.add_column(t("status", lang))
        for f in other:
            if f.already_records is not None and f.status is FileStatus.INGESTED:
                detail = t("grown", lang, new=f"{f.records:,}", old=f"{f.already_records:,}")
            elif f.rewritten and f.status is FileStatus.INGESTED:
                detail = f"{t('rewritten', lang)}: {f.rewritten}"
            elif f.error in NOT_LOGS:
                detail = t(NOT_LOGS[f.error], lang)
            else:
                err = _error_text(f.error, lang) if f.error else ""
                detail = t(f.status.value, lang) + (f": {err}" if err else "")
            files.add_row(escape(f.path), escape(detail))
        console.print(files)
    reasons = report.reasons()
    if reasons:
        rt = Table(title=t("reject_reasons", lang))
        rt.add_column(t("reason", lang))
        rt.add_column(t("rejected", lang), justify="right")
        for reason, count in reasons.most_common():
            rt.add_row(escape(render_reason(reason, lang)), f"{count:,}")
        console.print(rt)


def register(app: typer.Typer) -> None:

    @app.command("ingest")
    def ingest_cmd(
        paths: Annotated[list[Path], typer.Argument(help="Files or folders (recursive).")],
        workspace: WorkspaceOpt = None,
        lang: LangOpt = "fr",
    ) -> None:
        """Ingère journaux et courriels : format reconnu, rejets comptés, doublons ignorés."""
        from rempart.app.ingest import failed, implausible_times

        lg = lang_of(lang)
        check_paths(paths, lg)
        report = run_ingest(workspace, paths, lg)
        render_report(report, lg)
        for f in implausible_times(report):
            key = "ingest.implausible_all" if f.all_implausible else "ingest.implausible"
            text = t(key, lg, path=f.path, n=f"{f.implausible:,}")
            err_console.print("[yellow]" + escape(text) + "[/]")
        if failed(report):
            raise typer.Exit(1)
