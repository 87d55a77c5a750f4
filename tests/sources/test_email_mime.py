from __future__ import annotations

from pathlib import Path

from rempart.ingest.files import ingest_file
from rempart.sources import sniff
from rempart.store import Store

MSG = (
    b"Return-Path: <bounce@evil.example>\n"
    b"From: =?utf-8?q?Direction_G=C3=A9n=C3=A9rale?= <dg@evil.example>\n"
    b"To: infirmier@chu.fr\nSubject: Urgent\nDate: Mon, 11 Mar 2019 08:00:00 +0100\n"
    b"Message-ID: <m1@evil.example>\nMIME-Version: 1.0\n"
    b'Content-Type: multipart/mixed; boundary="b1"\n\n'
    b"--b1\nContent-Type: text/html\n\n"
    b"<p>Voir <a href='http://203.0.113.9/facture'>la facture</a></p><script>x()</script>\n"
    b"--b1\nContent-Type: application/octet-stream\n"
    b'Content-Disposition: attachment; filename="../../facture.exe"\n'
    b"Content-Transfer-Encoding: base64\n\nTVqQAAMAAAAEAAAA\n--b1--\n"
)


def test_eml_exact_record(tmp_path: Path) -> None:
    p = tmp_path / "m.eml"
    p.write_bytes(MSG)
    store = Store.memory()
    res = ingest_file(store, p)
    assert (res.source, res.records, res.rejected) == ("eml", 1, 0)
    row = store.sql("SELECT * FROM email").to_pylist()[0]
    assert row["from_addr"] == "dg@evil.example"
    assert row["from_display"] == "Direction Générale"
    assert row["urls"] == ["http://203.0.113.9/facture"]
    assert "x()" not in row["body_text"] and "facture" in row["body_text"]
    (att,) = row["attachments"]
    assert att["name"] == "../../facture.exe" and att["size"] == 12
    assert row["raw"] == MSG


def test_mbox_with_a_broken_message(tmp_path: Path) -> None:
    p = tmp_path / "inbox"
    p.write_bytes(
        b"From a@b Mon Mar 11 08:00:00 2019\n"
        + MSG
        + b"\nFrom x@y Mon Mar 11 09:00:00 2019\n\x00\x01garbage without headers\n\n"
        + b"From c@d Mon Mar 11 10:00:00 2019\n"
        + MSG.replace(b"<m1@", b"<m2@")
    )
    source = sniff(p)
    assert source is not None and source.NAME == "mbox"
    store = Store.memory()
    res = ingest_file(store, p)
    assert (res.records, res.rejected) == (2, 1)
    rejected = store.sql("SELECT line, reason FROM rejects").to_pylist()[0]
    assert rejected["reason"].startswith("not an email message")
    assert rejected["line"] == MSG.count(b"\n") + 4
