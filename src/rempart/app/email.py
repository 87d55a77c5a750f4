"""Mail scoring in batch, and the campaigns of the ingested mail.

Which files are messages (`is_message`), the expansion of mailboxes (mbox, Maildir, folders,
Outlook items, staff reports with the original attached) and scoring in worker processes
live here; the caller only renders the verdicts.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rempart.app.session import Session
from rempart.detect.mail.campaigns import Campaign, campaign_of, campaigns, purge_csv
from rempart.ingest.files import expand
from rempart.mail.score import MailVerdict
from rempart.model import Hospital, load_hospital
from rempart.sources.base import read_head
from rempart.sources.email_mime import MboxSource
from rempart.store import Workspace

if TYPE_CHECKING:
    from concurrent.futures import Future

    from rempart.core.i18n import Lang

JSONL_KEYS = ("file", "message_id", "score", "verdict", "reasons")
_MBOX = MboxSource()

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
    paths: Sequence[Path], skipped: list[Path] | None = None
) -> Iterator[tuple[str, bytes]]:
    """(label, raw) of every message under the paths: EML and .msg files, mboxes, Maildirs,
    folders. Files that are not messages are added to `skipped` instead."""
    for path in expand(list(paths)):
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


def score_jobs(
    paths: Sequence[Path], *, reported: bool = False, skipped: list[Path] | None = None
) -> Iterator[tuple[str, bytes]]:
    """(label, raw) of each message to score: Outlook items converted to MIME, and with
    `reported` the originals attached to staff reports (labelled `file#n`)."""
    from rempart.mail.outlook import OutlookMsgError, is_outlook_msg, msg_to_mime
    from rempart.mail.parse import reported_originals

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


def scoring_hospital(workspace: Path | str | None, hospital: Path | None) -> Hospital | None:
    """The --hospital file, else the workspace's hospital.yaml when there is one (nothing
    is created)."""
    if hospital is not None:
        return load_hospital(hospital)
    path = Workspace.at(workspace, create=False).hospital_path
    return load_hospital(path) if path.is_file() else None


def score(
    paths: Sequence[Path],
    *,
    hospital: Hospital | None = None,
    reported: bool = False,
    workers: int = 1,
    lang: Lang = "fr",
    skipped: list[Path] | None = None,
) -> Iterator[tuple[str, MailVerdict]]:
    """`rempart email score`: (label, verdict) of every message under the paths, in order;
    files that are not messages go to `skipped`."""
    return scored(score_jobs(paths, reported=reported, skipped=skipped), hospital, lang, workers)


def campaign_list(workspace: Path | str | None, message: str | None = None) -> list[Campaign]:
    """The campaigns of the ingested mail, or the one holding `message` (empty when none)."""
    with Session.writer(workspace) as session:
        store = session.store
        if message:
            return [c for c in [campaign_of(store, message)] if c]
        return campaigns(store)


@dataclass(frozen=True)
class Purge:
    campaign: Campaign
    csv: str  # one row per (message, recipient), header first
    rows: int


def purge(workspace: Path | str | None, message: str, out: Path | None = None) -> Purge | None:
    """The purge list (CSV) of the campaign holding `message`, written to `out` when given;
    None when the message is in no campaign."""
    import csv
    import io

    with Session.writer(workspace) as session:
        camp = campaign_of(session.store, message)
        if camp is None:
            return None
        text = purge_csv(session.store, camp, out)
    rows = sum(1 for _ in csv.reader(io.StringIO(text))) - 1
    return Purge(camp, text, rows)


__all__ = [
    "JSONL_KEYS",
    "Campaign",
    "MailVerdict",
    "Purge",
    "campaign_list",
    "is_message",
    "iter_messages",
    "purge",
    "score",
    "scored",
    "scoring_hospital",
]
