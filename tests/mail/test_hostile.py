"""Hostile messages are handled safely by the scorer (campaigns and the detector over the
store: tests/detect/mail/test_campaigns.py; scoring in batch: tests/app/test_email.py)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.mail.helpers import HOSPITAL, PE, message, zip_bytes

from rempart.mail import score_message
from rempart.mail.parse import parse_message


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
