"""A 50 MB message costs the ingest no more memory than scoring it (issue 21): its long
base64 runs are read from the raw bytes, not through the email parser's lines; the row is
the same as the parser's."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from rempart.sources import mimebodies
from rempart.sources.email_mime import message_record


def big_message() -> bytes:
    msg = EmailMessage()
    msg["From"] = "Imagerie <pacs@prestataire-exemple.fr>"
    msg["To"] = "bob@chu-test.fr"
    msg["Subject"] = "Examens"
    msg["Message-ID"] = "<big@prestataire-exemple.fr>"
    body = "Compte rendu d'examen, voir https://pacs.exemple.fr/e/1 \n" * 40_000  # ~2.3 MB
    msg.set_content(body, cte="base64")
    msg.add_attachment(os.urandom(3 << 20), maintype="application", subtype="octet-stream",
                       filename="examen.dcm")  # fmt: skip
    msg.add_attachment(b"petit", maintype="text", subtype="plain", filename="note.txt")
    return msg.as_bytes()


def test_long_base64_runs_are_not_parsed_and_the_row_is_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    raw = big_message()
    parsed, elided = mimebodies.elide(raw)
    assert len(elided.runs) == 2 and len(parsed) < 100_000
    when = datetime(2026, 3, 11, tzinfo=UTC)
    fast = message_record(raw, when)
    monkeypatch.setattr(mimebodies, "MIN_MESSAGE", 1 << 40)  # the parser reads it all
    slow = message_record(raw, when)
    assert fast["attachments"] == slow["attachments"]
    assert fast["body_text"] == slow["body_text"] and "pacs.exemple.fr" in fast["body_text"]
    assert fast["urls"] == slow["urls"]
    assert [a["size"] for a in fast["attachments"]] == [3 << 20, 5]


def test_broken_base64_run_still_gives_a_row() -> None:
    raw = big_message().replace(b"\nQ", b"\n!", 3)
    row = message_record(raw, datetime(2026, 3, 11, tzinfo=UTC))
    assert row["subject"] == "Examens" and len(row["attachments"]) == 2
