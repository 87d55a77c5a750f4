"""`rempart.app.email`: which files are messages, mailboxes expanded, scoring in batch
(in order, with worker processes too), and the campaigns of the ingested mail."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from tests.mail.helpers import PE, message
from tests.mail.test_outlook_msg import phishing_msg

from rempart.app.email import campaign_list, is_message, purge, score
from rempart.app.ingest import ingest


def _rows(paths: list[Path], **kw: object) -> dict[str, tuple[str, str | None, list[str]]]:
    return {
        label: (v.verdict.value, v.message_id, list(v.reasons))
        for label, v in score(paths, **kw)  # type: ignore[arg-type]
    }


def test_tree_of_messages_is_scored(tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(message())
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.eml").write_bytes(
        message(sender="PayPal <x@evil.xyz>", attachments=[("f.pdf", PE, "application/pdf")])
    )
    rows = _rows([tmp_path], lang="en")
    assert len(rows) == 2
    bad = next(v for label, v in rows.items() if label.endswith("b.eml"))
    assert bad[0] == "malicious"


def test_reported_mailbox(tmp_path: Path) -> None:
    """A staff report forwards the phish as an attachment: the original is what is scored."""
    original = message(sender="PayPal <x@evil.xyz>", attachments=[("f.pdf", PE, "application/pdf")])
    report = EmailMessage()
    report["From"] = "infirmier@chu-test.fr"
    report["Subject"] = "Signalement [bold red]hameçonnage[/]"
    report.set_content("Message suspect ci-joint.")
    report.add_attachment(original, maintype="message", subtype="rfc822")  # type: ignore[arg-type]
    (tmp_path / "report.eml").write_bytes(report.as_bytes())
    rows = _rows([tmp_path], reported=True)
    assert len(rows) == 1
    label, (verdict, _, _) = next(iter(rows.items()))
    assert label.endswith("report.eml#1")
    assert verdict == "malicious"


def test_files_that_are_not_messages_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(message())
    (tmp_path / "capture.gif").write_bytes(b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + bytes(40))
    (tmp_path / "notes.txt").write_text("Send submissions to the list\n\tlist@example.org\n")
    # damaged, but a message: its first line names a field, so it is scored (suspicious)
    (tmp_path / "damaged.eml").write_bytes(b"Subject: =?utf-8?B?\xff\xfe\x00\r\n\x00\x00garbage")
    # `Name: value` lines, but no field a message has (a Python package's metadata)
    (tmp_path / "PKG-INFO").write_text(
        "Metadata-Version: 2.1\nName: tool\nVersion: 1.0\nAuthor-email: a@example.org\n\nText\n"
    )
    skipped: list[Path] = []
    rows = _rows([tmp_path], lang="en", skipped=skipped)
    assert sorted(Path(label).name for label in rows) == ["a.eml", "damaged.eml"]
    assert sorted(p.name for p in skipped) == ["PKG-INFO", "capture.gif", "notes.txt"]
    assert not is_message(b"GIF89a") and is_message(b"Subject: x\r\n\r\n")


def test_workers_give_the_same_rows_in_order(tmp_path: Path) -> None:
    for i in range(6):
        subject = "Votre colis est retenu : payez les frais" if i % 2 else f"Réunion {i}"
        raw = message(subject=subject, sender=f"n{i}@partner.example")
        (tmp_path / f"m{i}.eml").write_bytes(raw.replace(b"<test-1@", f"<m{i}@".encode()))
    one = [(label, v.score, v.verdict) for label, v in score([tmp_path], lang="en")]
    two = [(label, v.score, v.verdict) for label, v in score([tmp_path], lang="en", workers=2)]
    assert one == two and len(one) == 6


def test_msg_files_and_a_broken_one(tmp_path: Path) -> None:
    (tmp_path / "report.msg").write_bytes(phishing_msg())
    (tmp_path / "broken.msg").write_bytes(phishing_msg()[:2000])
    rows = {Path(label).name: v for label, v in _rows([tmp_path], lang="en").items()}
    assert rows["report.msg"][0] == "malicious"
    assert rows["report.msg"][1] == "<phish-1@evil.xyz>"
    assert rows["broken.msg"][0] == "suspicious"
    assert "unreadable" in rows["broken.msg"][2][0]


def test_maildir_and_mbox(tmp_path: Path) -> None:
    maildir = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "cur" / "1700000000.1.host:2,S").write_bytes(message())
    (maildir / "new" / "1700000001.2.host").write_bytes(message(subject="autre"))
    mbox = tmp_path / "box.mbox"
    one = message(subject="un")
    two = message(subject="deux")
    mbox.write_bytes(
        b"From a@b Mon Mar 11 08:00:00 2026\n"
        + one
        + b"\nFrom c@d Mon Mar 11 09:00:00 2026\n"
        + two
    )
    labels = list(_rows([maildir, mbox]))
    assert len(labels) == 4
    assert sum(":" in f.rsplit("/", 1)[-1] and "mbox" in f for f in labels) >= 1


def test_campaigns_and_purge_of_a_workspace(tmp_path: Path) -> None:
    from tests.mail.test_hostile_cli import _store_with_campaign

    _store_with_campaign(tmp_path).close()  # writes the messages into tmp_path
    ingest(tmp_path / "ws", sorted(tmp_path.glob("*.eml")))
    camps = campaign_list(tmp_path / "ws")
    assert [c.size for c in camps] == [3]
    assert campaign_list(tmp_path / "ws", "<ok@chu-test.fr>") == []
    found = purge(tmp_path / "ws", "<camp-1@chu-test.fr>", tmp_path / "purge.csv")
    assert found is not None and found.rows == 3
    assert (tmp_path / "purge.csv").read_text().startswith("campaign_id,message_id")
    assert purge(tmp_path / "ws", "<ok@chu-test.fr>") is None
