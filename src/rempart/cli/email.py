"""`rempart email score|campaigns|purge`: score raw mail, list campaigns, export purge lists."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rempart.cli.common import (
    LangOpt,
    WorkspaceOpt,
    check_format,
    check_paths,
    console,
    err_console,
    escape,
    lang_of,
)
from rempart.core.i18n import t
from rempart.core.safe import CsvOut, visible

if TYPE_CHECKING:
    from rempart.app.email import MailVerdict


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Messagerie : score d'hameçonnage, campagnes, purge.", no_args_is_help=True
    )
    app.add_typer(group, name="email")

    @group.command("score")
    def score_cmd(
        paths: Annotated[
            list[Path], typer.Argument(help="EML, Outlook .msg, mbox, Maildir or folders.")
        ],
        fmt: Annotated[str, typer.Option("--format", help="table, jsonl or csv")] = "table",
        hospital: Annotated[Path | None, typer.Option("--hospital", help="hospital.yaml")] = None,
        reported: Annotated[
            bool, typer.Option("--reported", help="Score the originals attached to staff reports.")
        ] = False,
        workers: Annotated[
            int, typer.Option("--workers", min=1, help="Processus de notation en parallèle.")
        ] = 1,
        workspace: WorkspaceOpt = None,
        lang: LangOpt = "fr",
    ) -> None:
        """Note chaque message (0-100, verdict, raisons)."""
        from rich.progress import Progress, SpinnerColumn, TextColumn
        from rich.table import Table

        from rempart.app.email import JSONL_KEYS, score, scoring_hospital

        lg = lang_of(lang)
        check_format(fmt, ("table", "jsonl", "csv"))
        check_paths(paths, lg)
        hosp = scoring_hospital(workspace, hospital)
        table = Table(title=t("mail_score_title", lg))
        for col in ("file", "mail_score", "mail_verdict", "mail_reasons"):
            table.add_column(t(col, lg), overflow="fold")
        writer = CsvOut(sys.stdout, JSONL_KEYS) if fmt == "csv" else None

        def emit(label: str, v: MailVerdict) -> None:
            if fmt == "jsonl":
                values = (label, v.message_id, v.score, v.verdict.value, list(v.reasons))
                row = dict(zip(JSONL_KEYS, values, strict=True))
                sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
            elif writer:
                reasons = " | ".join(v.reasons)
                writer.writerow([label, v.message_id or "", v.score, v.verdict.value, reasons])
            else:
                style = {"malicious": "bold red", "suspicious": "yellow"}.get(
                    v.verdict.value, "green"
                )
                verdict = f"[{style}]{t('mail_' + v.verdict.value, lg)}[/]"
                reasons = visible("\n".join(v.reasons), newlines=True)
                table.add_row(escape(visible(label)), str(v.score), verdict, escape(reasons))

        skipped: list[Path] = []

        counts = dict.fromkeys(("malicious", "suspicious", "clean"), 0)
        # progress on the terminal only (stderr): the rows on stdout stay clean for pipes
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description} {task.completed}"),
            console=err_console,
            transient=True,
            disable=not err_console.is_terminal,
        ) as bar:
            task = bar.add_task(t("mail_scoring", lg))
            for label, verdict in score(
                paths, hospital=hosp, reported=reported, workers=workers, lang=lg, skipped=skipped
            ):
                emit(label, verdict)
                counts[verdict.verdict.value] += 1
                bar.advance(task)
        if fmt == "table":
            console.print(table)
        err_console.print(t("mail_summary", lg, n=sum(counts.values()), **counts))
        for path in skipped[:20]:
            err_console.print(t("mail_not_a_message", lg, path=escape(str(path))), soft_wrap=True)
        if len(skipped) > 20:
            err_console.print(t("mail_more_skipped", lg, n=len(skipped) - 20), soft_wrap=True)

    @group.command("campaigns")
    def campaigns_cmd(
        workspace: WorkspaceOpt = None,
        message: Annotated[
            str | None, typer.Option("--message", help="Message-ID or event id")
        ] = None,
        lang: LangOpt = "fr",
    ) -> None:
        """Liste les campagnes du courrier ingéré (ou celle du --message)."""
        from rich.table import Table

        from rempart.app.email import campaign_list

        lg = lang_of(lang)
        found = campaign_list(workspace, message)
        if not found:
            console.print(t("mail_not_in_campaign" if message else "mail_no_campaign", lg))
            raise typer.Exit(1 if message else 0)
        table = Table(title=t("mail_campaigns_title", lg))
        for col in ("id", "mail_messages", "mail_senders", "mail_recipients", "mail_subject"):
            table.add_column(t(col, lg), overflow="fold")
        for c in found:
            table.add_row(
                escape(c.campaign_id),
                str(c.size),
                escape(", ".join(c.senders[:3])),
                str(len(c.recipients)),
                escape((c.subjects[0] if c.subjects else "")[:60]),
            )
        console.print(table)

    @group.command("purge")
    def purge_cmd(
        message: Annotated[str, typer.Argument(help="Message-ID (or event id) of one message")],
        out: Annotated[
            Path | None, typer.Option("--out", help="CSV file (default: stdout)")
        ] = None,
        workspace: WorkspaceOpt = None,
        lang: LangOpt = "fr",
    ) -> None:
        """Exporte la liste de purge (CSV) de la campagne d'un message."""
        from rempart.app.email import purge

        lg = lang_of(lang)
        found = purge(workspace, message, out)
        if found is None:
            console.print(t("mail_not_in_campaign", lg))
            raise typer.Exit(1)
        if out is None:
            sys.stdout.write(found.csv)
        else:
            console.print(t("mail_purge_written", lg, n=found.rows, path=out))
