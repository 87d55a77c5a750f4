"""Hostile messages are handled safely; the CLI's jsonl keys; detector and campaigns."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.mail.helpers import HOSPITAL, PE, message, zip_bytes
from typer.testing import CliRunner

from rempart.cli import app
from rempart.detect import DetectContext
from rempart.detect.mail.phishing import PhishingDetector
from rempart.ingest.files import ingest_file
from rempart.mail import campaign_of, campaigns, purge_csv, score_message
from rempart.mail.parse import parse_message
from rempart.store import Store


def test_zip_bomb_is_not_inflated() -> None:
    bomb = zip_bytes({f"f{i}.txt": b"\x00" * (20 * 1024 * 1024) for i in range(3)})
    assert len(bomb) < 1_000_000
    v = score_message(message(attachments=[("bomb.zip", bomb, "application/zip")]), HOSPITAL)
    assert "att_zip_bomb" in v.signals


def test_path_traversal_name() -> None:
    z = zip_bytes({"../../../Windows/evil.txt": b"x"})
    raw = message(attachments=[("../../etc/passwd", b"x", "application/octet-stream"),
                               ("a.zip", z, "application/zip")])  # fmt: skip
    v = score_message(raw, HOSPITAL)
    assert "att_path_traversal" in v.signals
    mail = parse_message(raw)
    assert mail.attachments[0].name == "../../etc/passwd"  # kept as data, never used as a path


def test_script_in_html_is_not_text() -> None:
    html = "<p>Bonjour</p><script>alert('x'); document.location='http://evil.example'</script>"
    mail = parse_message(message(html=html))
    assert "alert" not in mail.text
    assert "Bonjour" in mail.text


def test_malformed_mime() -> None:
    raw = (
        b"From: a@b.example\nSubject: =?utf-8?b?broken\nContent-Type: multipart/mixed; "
        b'boundary="x"\nContent-Transfer-Encoding: base64\n\n--x\nContent-Type: text/plain; '
        b"charset=nonexistent-charset\nContent-Transfer-Encoding: base64\n\n!!!notbase64\n--x"
    )
    v = score_message(raw, HOSPITAL)
    assert 0 <= v.score <= 100
    mail = parse_message(raw)
    assert mail.defects  # the breakage is reported


def test_truncated_and_nested() -> None:
    inner = message(subject="inner", attachments=[("x.exe", PE, "application/octet-stream")])
    raw = message(attachments=[("fwd.eml", inner, "message/rfc822")])
    v = score_message(raw[: len(raw) - 40], HOSPITAL)
    assert 0 <= v.score <= 100


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=3000))
def test_never_crashes_on_any_bytes(data: bytes) -> None:
    v = score_message(data)
    assert 0 <= v.score <= 100


def test_cli_jsonl_keys(tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(message())
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.eml").write_bytes(
        message(sender="PayPal <x@evil.xyz>", attachments=[("f.pdf", PE, "application/pdf")])
    )
    result = CliRunner().invoke(
        app, ["email", "score", str(tmp_path), "--format", "jsonl", "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 2
    assert all(list(r) == ["file", "message_id", "score", "verdict", "reasons"] for r in rows)
    bad = next(r for r in rows if r["file"].endswith("b.eml"))
    assert bad["verdict"] == "malicious"
    assert isinstance(bad["reasons"], list)
    csv_out = CliRunner().invoke(app, ["email", "score", str(tmp_path), "--format", "csv"])
    assert csv_out.stdout.splitlines()[0] == "file,message_id,score,verdict,reasons"


def _store_with_campaign(tmp_path: Path) -> Store:
    store = Store.memory()
    for i, rcpt in enumerate(["a@chu-test.fr", "b@chu-test.fr", "c@chu-test.fr"]):
        raw = (
            message(
                sender="RH <rh@chu-test-rh.fr>",
                subject=f"Prime exceptionnelle n°{i}",
                html='<a href="http://203.0.113.7/prime?id=1">voir</a>',
                attachments=[("prime.zip", zip_bytes({"prime.exe": PE}), "application/zip")],
            )
            .replace(b"bob@chu-test.fr", rcpt.encode())
            .replace(b"<test-1@", f"<camp-{i}@".encode())
        )
        (tmp_path / f"m{i}.eml").write_bytes(raw)
        ingest_file(store, tmp_path / f"m{i}.eml")
    (tmp_path / "ok.eml").write_bytes(
        message(sender="x@partner.example").replace(b"<test-1@", b"<ok@")
    )
    ingest_file(store, tmp_path / "ok.eml")
    return store


def test_campaigns_and_purge(tmp_path: Path) -> None:
    store = _store_with_campaign(tmp_path)
    camps = campaigns(store)
    assert len(camps) == 1
    assert camps[0].size == 3
    assert set(camps[0].recipients) == {"a@chu-test.fr", "b@chu-test.fr", "c@chu-test.fr"}
    camp = campaign_of(store, "<camp-1@chu-test.fr>")
    assert camp is not None
    assert camp.campaign_id == camps[0].campaign_id
    assert campaign_of(store, "<ok@chu-test.fr>") is None
    text = purge_csv(store, camp, tmp_path / "purge.csv")
    lines = text.splitlines()
    assert lines[0].startswith("campaign_id,message_id")
    assert len(lines) == 4


def test_phishing_detector(tmp_path: Path) -> None:
    store = _store_with_campaign(tmp_path)
    found = PhishingDetector().run(DetectContext(store, HOSPITAL))
    assert len(found) == 3
    assert all(f.entity.startswith("<camp-") for f in found)
    assert all(f.severity.value == "high" and "Score" in f.reason for f in found)


def test_deeply_nested_multipart_is_reported_not_raised() -> None:
    depth = 3000
    raw = b"From: a@b.example\nSubject: nest\nMIME-Version: 1.0\n"
    for i in range(depth):
        raw += b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i)
    raw += b"Content-Type: text/plain\n\nhello\n"
    v = score_message(raw)
    assert v.verdict.value in ("suspicious", "clean", "malicious")
    assert v.reasons


def test_public_api() -> None:
    import rempart.mail as mail

    assert sorted(mail.__all__) == sorted(
        [
            "Campaign",
            "MailVerdict",
            "Verdict",
            "campaign_of",
            "campaigns",
            "purge_csv",
            "score_message",
        ]
    )
    for name in mail.__all__:
        assert getattr(mail, name) is not None


def test_cli_reported_mailbox(tmp_path: Path) -> None:
    """A staff report forwards the phish as an attachment: the original is what is scored."""
    from email.message import EmailMessage

    original = message(sender="PayPal <x@evil.xyz>", attachments=[("f.pdf", PE, "application/pdf")])
    report = EmailMessage()
    report["From"] = "infirmier@chu-test.fr"
    report["Subject"] = "Signalement [bold red]hameçonnage[/]"
    report.set_content("Message suspect ci-joint.")
    report.add_attachment(original, maintype="message", subtype="rfc822")  # type: ignore[arg-type]
    (tmp_path / "report.eml").write_bytes(report.as_bytes())
    result = CliRunner().invoke(
        app, ["email", "score", str(tmp_path), "--reported", "--format", "jsonl"]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 1
    assert rows[0]["file"].endswith("report.eml#1")
    assert rows[0]["verdict"] == "malicious"
    table = CliRunner().invoke(app, ["email", "score", str(tmp_path)])
    assert table.exit_code == 0


def test_campaign_grows_from_flagged_messages_only(tmp_path: Path) -> None:
    store = _store_with_campaign(tmp_path)
    # two ordinary messages sharing a newsletter link: a campaign only without findings
    for i in range(2):
        raw = message(
            sender=f"n{i}@partner.example", html='<a href="https://news.example/x">lettre</a>'
        )
        (tmp_path / f"n{i}.eml").write_bytes(raw.replace(b"<test-1@", f"<n{i}@".encode()))
        ingest_file(store, tmp_path / f"n{i}.eml")
    assert len(campaigns(store)) == 2
    from rempart.detect import run_detectors

    run_detectors(DetectContext(store, HOSPITAL), ["phishing"])
    found = campaigns(store)
    assert [c.size for c in found] == [3]


def test_cli_skips_files_that_are_not_messages(tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(message())
    (tmp_path / "capture.gif").write_bytes(b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + bytes(40))
    (tmp_path / "notes.txt").write_text("Send submissions to the list\n\tlist@example.org\n")
    # damaged, but a message: its first line names a field, so it is scored (suspicious)
    (tmp_path / "damaged.eml").write_bytes(b"Subject: =?utf-8?B?\xff\xfe\x00\r\n\x00\x00garbage")
    # `Name: value` lines, but no field a message has (a Python package's metadata)
    (tmp_path / "PKG-INFO").write_text(
        "Metadata-Version: 2.1\nName: tool\nVersion: 1.0\nAuthor-email: a@example.org\n\nText\n"
    )
    result = CliRunner().invoke(
        app, ["email", "score", str(tmp_path), "--format", "jsonl", "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(Path(r["file"]).name for r in rows) == ["a.eml", "damaged.eml"]
    assert "skipped (not a message: no header)" in result.stderr
    assert "capture.gif" in result.stderr and "notes.txt" in result.stderr
    assert "PKG-INFO" in result.stderr


def test_cli_workers_give_the_same_rows_in_order_and_a_summary(tmp_path: Path) -> None:
    for i in range(6):
        subject = "Votre colis est retenu : payez les frais" if i % 2 else f"Réunion {i}"
        raw = message(subject=subject, sender=f"n{i}@partner.example")
        (tmp_path / f"m{i}.eml").write_bytes(raw.replace(b"<test-1@", f"<m{i}@".encode()))
    runner = CliRunner()
    base = ["email", "score", str(tmp_path), "--format", "jsonl", "--lang", "en"]
    one = runner.invoke(app, base)
    two = runner.invoke(app, [*base, "--workers", "2"])
    assert one.exit_code == 0 and two.exit_code == 0, two.output
    assert one.stdout == two.stdout and len(one.stdout.splitlines()) == 6
    verdicts = [json.loads(line)["verdict"] for line in one.stdout.splitlines()]
    flagged = sum(v != "clean" for v in verdicts)
    assert f"6 message(s): {verdicts.count('malicious')} malicious" in two.stderr
    assert f"{verdicts.count('clean')} clean" in two.stderr and flagged == 6 - verdicts.count(
        "clean"
    )
