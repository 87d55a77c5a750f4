"""Outlook `.msg` files: rebuilt as RFC 5322, scored, ingested, refused with a reason."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path

import olefile
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.mail.cfb import mapi_binary, mapi_text, properties, write_cfb
from tests.mail.helpers import PE, message

from rempart.ingest.files import FileStatus, ingest_file
from rempart.mail import score_message
from rempart.mail.outlook import OutlookMsgError, msg_to_mime
from rempart.mail.parse import parse_message, reported_originals
from rempart.store import Store

TRANSPORT = (
    "Received: from mail.evil.xyz (mail.evil.xyz [203.0.113.9])\r\n"
    "\tby mx.chu-test.fr with ESMTP; Mon, 11 Mar 2019 08:00:00 +0100\r\n"
    "Authentication-Results: mx.chu-test.fr; spf=fail smtp.mailfrom=evil.xyz;\r\n"
    " dkim=none; dmarc=fail header.from=paypal.com\r\n"
    "From: PayPal <service@paypal.com>\r\n"
    "To: alice@chu-test.fr\r\n"
    "Subject: Votre compte est suspendu\r\n"
    "Message-ID: <phish-1@evil.xyz>\r\n"
    "Date: Mon, 11 Mar 2019 08:00:00 +0100\r\n"
    "MIME-Version: 1.0\r\n"
    'Content-Type: multipart/mixed; boundary="gone"\r\n'
)
# 2019-03-11 07:00:00 UTC as a Windows FILETIME
SUBMIT = int((datetime(2019, 3, 11, 7, tzinfo=UTC) - datetime(1601, 1, 1, tzinfo=UTC)).total_seconds()) * 10_000_000  # fmt: skip


def _item(depth: int, *, transport: str | None, body: str, html: str | None = None,
          attachments: dict[str, dict[str, bytes | dict[str, object]]] | None = None,
          extra: dict[str, bytes] | None = None) -> dict[str, object]:  # fmt: skip
    node: dict[str, object] = {"__properties_version1.0": properties(depth, SUBMIT)}
    node.update([mapi_text(0x1000, body)])
    if transport is not None:
        node.update([mapi_text(0x007D, transport)])
    if html is not None:
        node.update([mapi_binary(0x1013, html.encode("utf-8"))])
    node.update(extra or {})
    node.update(attachments or {})
    return node


def _file_attachment(name: str, data: bytes, mime: str) -> dict[str, object]:
    return {
        "__properties_version1.0": properties(1),
        **dict([mapi_text(0x3707, name), mapi_text(0x370E, mime), mapi_binary(0x3701, data)]),
    }


def phishing_msg() -> bytes:
    """A phishing item as Outlook saves it: headers, plain + HTML body, an .exe as .pdf."""
    html = '<p>Connectez-vous <a href="http://198.51.100.7/login">ici</a></p>' + "x" * 5000
    return write_cfb(
        _item(
            0,
            transport=TRANSPORT,
            body="Votre compte est suspendu. Connectez-vous sous 24 h.",
            html=html,  # over 4 KiB: stored in regular sectors, not the mini stream
            attachments={
                "__attach_version1.0_#00000000": _file_attachment(
                    "facture.pdf", PE, "application/pdf"
                )
            },
        )
    )


def test_transport_headers_body_and_attachment_are_rebuilt() -> None:
    data = phishing_msg()
    assert olefile.isOleFile(data)  # (the test writer makes real compound files)
    mail = parse_message(msg_to_mime(data))
    assert mail.from_addr == "service@paypal.com"
    assert mail.subject == "Votre compte est suspendu"
    assert mail.message_id == "<phish-1@evil.xyz>"
    assert any("dmarc=fail" in a for a in mail.auth_results)
    assert "Connectez-vous sous 24 h" in mail.text
    assert any(link.href == "http://198.51.100.7/login" for link in mail.links)
    assert [a.name for a in mail.attachments] == ["facture.pdf"]
    assert mail.attachments[0].data == PE
    # the original MIME headers described a body that is no longer there: not kept
    assert b'boundary="gone"' not in msg_to_mime(data)


def test_msg_is_scored_like_the_eml_it_was() -> None:
    verdict = score_message(phishing_msg(), lang="en")
    assert verdict.verdict.value == "malicious"
    assert "sig_dmarc_fail" in verdict.signals
    assert any(s.startswith("att_") for s in verdict.signals)


def test_without_transport_headers_mapi_properties_give_the_sender() -> None:
    extra = dict(
        [
            mapi_text(0x0037, "Réunion\r\nBcc: everyone@chu-test.fr"),  # no header forging
            mapi_text(0x0C1A, "Alice Martin"),
            mapi_text(0x0C1F, "/O=EXCHANGELABS/OU=EXCHANGE/CN=RECIPIENTS/CN=ALICE"),
            mapi_text(0x5D01, "alice.martin@chu-test.fr"),
            mapi_text(0x1035, "<draft-7@chu-test.fr>"),
        ]
    )
    data = write_cfb(_item(0, transport=None, body="Bonjour à tous.", extra=extra))
    raw = msg_to_mime(data)
    mail = parse_message(raw)
    assert mail.from_addr == "alice.martin@chu-test.fr"
    assert mail.from_display == "Alice Martin"
    assert mail.subject == "Réunion Bcc: everyone@chu-test.fr"
    assert b"\nBcc:" not in raw
    assert b"Date: Mon, 11 Mar 2019 07:00:00 +0000" in raw
    assert mail.text.strip() == "Bonjour à tous."


def test_report_with_the_original_attached_as_an_item() -> None:
    original = _item(1, transport=TRANSPORT, body="Votre compte est suspendu.")
    report = _item(
        0,
        transport="From: Bob <bob@chu-test.fr>\r\nSubject: TR: suspect\r\n",
        body="Je pense que c'est du phishing.",
        attachments={
            "__attach_version1.0_#00000000": {
                "__properties_version1.0": properties(1),
                **dict([mapi_text(0x3707, "Votre compte est suspendu.msg")]),
                "__substg1.0_3701000D": original,
            }
        },
    )
    inner = reported_originals(msg_to_mime(write_cfb(report)))
    assert len(inner) == 1
    assert parse_message(inner[0]).from_addr == "service@paypal.com"


def test_other_ole_files_and_damage_are_refused_with_a_reason() -> None:
    word = write_cfb({"WordDocument": b"\0" * 600, "1Table": b"\0" * 100})
    with pytest.raises(OutlookMsgError, match="without Outlook message properties"):
        msg_to_mime(word)
    with pytest.raises(OutlookMsgError, match="damaged OLE container"):
        msg_to_mime(phishing_msg()[:1600])
    verdict = score_message(phishing_msg()[:1600], lang="en")
    assert verdict.signals == ("sig_unparseable",)
    assert ".msg: damaged OLE container" in verdict.reasons[0]


def test_ingest_reads_msg_and_fails_a_broken_one_with_its_reason(tmp_path: Path) -> None:
    good, broken, doc = tmp_path / "a.msg", tmp_path / "b.msg", tmp_path / "c.doc"
    good.write_bytes(phishing_msg())
    broken.write_bytes(phishing_msg()[:2000])
    doc.write_bytes(write_cfb({"WordDocument": b"\0" * 600}))
    store = Store(tmp_path / "ws.duckdb")
    res = ingest_file(store, good)
    assert (res.status, res.source, res.records) == (FileStatus.INGESTED, "outlook_msg", 1)
    row = store.con.execute("SELECT message_id, from_addr FROM email").fetchall()
    assert row == [("<phish-1@evil.xyz>", "service@paypal.com")]
    bad = ingest_file(store, broken)
    assert bad.status is FileStatus.FAILED
    assert bad.error is not None and "unreadable Outlook message" in bad.error
    assert ingest_file(store, doc).status is FileStatus.UNKNOWN  # not sniffed as mail
    store.close()


_VALID = phishing_msg()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(_VALID) - 1), st.integers(0, 255)), max_size=8))
def test_damaged_msg_never_raises_anything_else(flips: list[tuple[int, int]]) -> None:
    """Flipped bytes anywhere (header, FAT, directory, streams): a message or a reason."""
    data = bytearray(_VALID)
    for offset, value in flips:
        data[offset] = value
    with contextlib.suppress(OutlookMsgError):
        parse_message(msg_to_mime(bytes(data)))
    assert score_message(bytes(data)).score >= 0


def test_eml_report_with_a_saved_msg_file_attached() -> None:
    """A staff member attached the .msg they had saved: the original is scored."""
    report = message(
        sender="Bob <bob@chu-test.fr>",
        subject="TR: suspect",
        attachments=[("Votre compte.msg", phishing_msg(), "application/vnd.ms-outlook")],
    )
    inner = reported_originals(report)
    assert len(inner) == 1
    assert parse_message(inner[0]).from_addr == "service@paypal.com"
    broken = message(attachments=[("x.msg", phishing_msg()[:3000], "application/octet-stream")])
    (only,) = reported_originals(broken)
    assert score_message(only, lang="en").signals == ("sig_unparseable",)
