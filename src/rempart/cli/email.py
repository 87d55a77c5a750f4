"""`rempart email score|campaigns|purge`: score raw mail, list campaigns, export purge lists."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from rempart.cli.common import (
    LangOpt,
    WorkspaceOpt,
    check_format,
    check_paths,
    console,
    err_console,
    lang_of,
)
from rempart.core.i18n import Lang, add, t
from rempart.core.safe import CsvOut, visible
from rempart.ingest.files import expand
from rempart.model import Hospital
from rempart.sources.base import read_head
from rempart.sources.email_mime import MboxSource
from rempart.store import Store, Workspace

if TYPE_CHECKING:
    from concurrent.futures import Future

    from rempart.mail.score import MailVerdict

JSONL_KEYS = ("file", "message_id", "score", "verdict", "reasons")
_MBOX = MboxSource()

for _key, _fr, _en in (
    ("mail_score_title", "Analyse des messages", "Message scoring"),
    ("mail_verdict", "verdict", "verdict"),
    ("mail_score", "score", "score"),
    ("mail_reasons", "raisons", "reasons"),
    ("mail_malicious", "malveillant", "malicious"),
    ("mail_suspicious", "suspect", "suspicious"),
    ("mail_clean", "sain", "clean"),
    ("mail_campaigns_title", "Campagnes", "Campaigns"),
    ("mail_no_campaign", "Aucune campagne trouvée.", "No campaign found."),
    ("mail_not_in_campaign", "Ce message n'est dans aucune campagne.", "Message in no campaign."),
    ("mail_purge_written", "{n} lignes écrites dans {path}", "{n} rows written to {path}"),
    ("mail_messages", "messages", "messages"),
    ("mail_senders", "expéditeurs", "senders"),
    ("mail_recipients", "destinataires", "recipients"),
    ("mail_subject", "objet", "subject"),
    ("mail_not_a_message", "[yellow]ignoré[/] (ce n'est pas un message : aucun en-tête) : {path}",
     "[yellow]skipped[/] (not a message: no header): {path}"),
    ("mail_more_skipped", "[yellow]… et {n} autres fichiers ignorés[/]",
     "[yellow]… and {n} more files skipped[/]"),
    ("mail_summary", "{n} message(s) : {malicious} malveillant(s), {suspicious} suspect(s), "
     "{clean} sain(s)", "{n} message(s): {malicious} malicious, {suspicious} suspicious, "
     "{clean} clean"),
    ("mail_scoring", "notation des messages", "scoring messages"),
):  # fmt: skip
    add(_key, _fr, _en)


_FIELD = re.compile(rb"[A-Za-z0-9][A-Za-z0-9-]{0,75}[ \t]*:")
# Fields only a message has; Python's PKG-INFO, Debian control files and HTTP dumps share
# the `Name: value` syntax but none of these names
_MAIL_FIELD = re.compile(
    rb"(?im)^(?:from|to|cc|subject|date|message-id|received|return-path|mime-version|"
    rb"content-type|reply-to|sender|delivered-to|envelope-to|in-reply-to|references|"
    rb"authentication-results|received-spf|dkim-signature|arc-[a-z-]+|thread-[a-z]+|"
    rb"x-[a-z0-9-]+)[ \t]*:"
)


def is_message(head: bytes) -> bool:
    """Whether a file can be a message at all: an Outlook item, or text whose first line is
    a header field and whose header names a field only messages have. A picture or a
    document saved beside the reported mail is not scored (it would read as an unreadable,
    hence suspicious, message); a damaged message, whose first line still names a field,
    is."""
    from rempart.mail.outlook import is_outlook_msg

    if is_outlook_msg(head):
        return True
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip(b"\r\n \t")
    if not _FIELD.match(text.split(b"\n", 1)[0]):
        return False
    fields = re.split(rb"\r?\n\r?\n", text, maxsplit=1)[0]
    return bool(_MAIL_FIELD.search(fields))


# Scoring in worker processes: each gets the hospital model once, then (label, raw) pairs
_WORKER: dict[str, object] = {}


def _worker_init(hospital: Hospital | None, lang: str) -> None:
    _WORKER.update(hospital=hospital, lang=lang)


def _worker_score(job: tuple[str, bytes]) -> tuple[str, MailVerdict]:
    from rempart.mail.score import score_message

    hospital = _WORKER.get("hospital")
    lang: Lang = "en" if _WORKER.get("lang") == "en" else "fr"
    return job[0], score_message(
        job[1], hospital if isinstance(hospital, Hospital) else None, lang=lang
    )


def scored(
    jobs: Iterator[tuple[str, bytes]], hospital: Hospital | None, lang: str, workers: int
) -> Iterator[tuple[str, MailVerdict]]:
    """(label, verdict) of each job, in order. With several workers, at most a few hundred
    messages are in flight at once: a mailbox of any size is never held in memory whole."""
    if workers <= 1:
        _worker_init(hospital, lang)
        yield from map(_worker_score, jobs)
        return
    import multiprocessing
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: the parent may hold threads (DuckDB, Rich), which fork would copy
    context = multiprocessing.get_context("spawn")
    window = 64 * workers
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_worker_init, initargs=(hospital, lang)
    ) as pool:
        pending: deque[Future[tuple[str, MailVerdict]]] = deque()
        for job in jobs:
            pending.append(pool.submit(_worker_score, job))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def iter_messages(
    paths: list[Path], skipped: list[Path] | None = None
) -> Iterator[tuple[str, bytes]]:
    """(label, raw) of every message under the paths: EML and .msg files, mboxes, Maildirs,
    folders. Files that are not messages are added to `skipped` instead."""
    for path in expand(paths):
        head = read_head(path, 4096)
        if head.startswith(b"From ") and _MBOX.sniff(head, path):
            for line, raw in _MBOX.messages(path):
                yield (f"{path}:{line}" if line > 2 else str(path)), raw
        elif not is_message(head):
            if skipped is not None:
                skipped.append(path)
        else:
            try:
                yield str(path), path.read_bytes()
            except OSError:
                continue


def _hospital(workspace: Path | None, hospital: Path | None) -> Hospital | None:
    from rempart.model.loader import load_hospital

    if hospital is not None:
        return load_hospital(hospital)
    path = Workspace.at(workspace, create=False).hospital_path
    return load_hospital(path) if path.is_file() else None


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

        from rempart.mail.outlook import OutlookMsgError, is_outlook_msg, msg_to_mime
        from rempart.mail.parse import reported_originals

        lg = lang_of(lang)
        check_format(fmt, ("table", "jsonl", "csv"))
        check_paths(paths)
        hosp = _hospital(workspace, hospital)
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

        def jobs() -> Iterator[tuple[str, bytes]]:
            for outer, outer_raw in iter_messages(paths, skipped):
                raw_outer = outer_raw
                if is_outlook_msg(raw_outer):
                    # an Outlook item (dragged out, or a report with the original attached);
                    # when unreadable, the scorer says why
                    with contextlib.suppress(OutlookMsgError):
                        raw_outer = msg_to_mime(raw_outer)
                inner = reported_originals(raw_outer) if reported else [raw_outer]
                for n, raw in enumerate(inner, start=1):
                    yield (f"{outer}#{n}" if raw is not raw_outer else outer), raw

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
            for label, verdict in scored(jobs(), hosp, lg, workers):
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
        from rempart.detect.mail.campaigns import campaign_of, campaigns

        lg = lang_of(lang)
        ws = Workspace.at(workspace)
        with Store(ws.db_path) as store:
            found = [c for c in [campaign_of(store, message)] if c] if message else campaigns(store)
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
        from rempart.detect.mail.campaigns import campaign_of, purge_csv

        lg = lang_of(lang)
        ws = Workspace.at(workspace)
        with Store(ws.db_path) as store:
            camp = campaign_of(store, message)
            if camp is None:
                console.print(t("mail_not_in_campaign", lg))
                raise typer.Exit(1)
            text = purge_csv(store, camp, out)
        if out is None:
            sys.stdout.write(text)
        else:
            n = sum(1 for _ in csv.reader(io.StringIO(text))) - 1
            console.print(t("mail_purge_written", lg, n=n, path=out))
