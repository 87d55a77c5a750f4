"""Hostile messages are handled safely; detector and campaigns (scoring in batch:
tests/app/test_email.py)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.mail.helpers import HOSPITAL, PE, message, zip_bytes

from rempart.detect import DetectContext
from rempart.detect.mail.campaigns import campaign_of, campaigns, purge_csv
from rempart.detect.mail.phishing import PhishingDetector
from rempart.ingest.files import ingest_file
from rempart.mail import score_message
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
            "MailVerdict",
            "Verdict",
            "score_message",
        ]
    )
    for name in mail.__all__:
        assert getattr(mail, name) is not None


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
