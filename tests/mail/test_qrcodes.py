"""QR codes in pictures ("quishing"): their links are read and judged like the others;
hostile pictures are bounded and never fatal."""

from __future__ import annotations

import base64
import io
import struct
import time
import zlib

import numpy as np
import pytest
import zxingcpp
from PIL import Image
from tests.mail.helpers import HOSPITAL, message

from rempart.mail.parse import parse_message
from rempart.mail.qrcodes import MAX_IMAGES, scan
from rempart.mail.score import score_message

LURE = (
    "Your multi-factor authentication expires today. Scan the QR code below with your phone "
    "to keep access to your mailbox."
)


def qr_png(text: str, scale: int = 4) -> bytes:
    code = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode)
    pixels = np.array(zxingcpp.write_barcode_to_image(code, scale=scale))
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "PNG")
    return buf.getvalue()


def test_qr_in_an_image_part_is_a_link() -> None:
    raw = message(
        sender="IT Support <it-support@helpdesk-365.example>",
        subject="Action required: MFA renewal",
        text=LURE,
        attachments=[("qr.png", qr_png("https://login.m1crosoft-mfa.example.net/x"), "image/png")],
    )
    v = score_message(raw, HOSPITAL, lang="en")
    assert "sig_qr_link" in v.signals, v.reasons
    assert any("login.m1crosoft-mfa.example.net" in r for r in v.reasons)
    assert v.flagged
    # the QR's link is a link like the others: here, an IP address
    ip = message(attachments=[("qr.png", qr_png("http://203.0.113.7/mfa"), "image/png")])
    assert {"sig_qr_link", "sig_link_ip"} <= set(score_message(ip, HOSPITAL).signals)


def test_qr_in_a_data_uri_of_the_html() -> None:
    b64 = base64.b64encode(qr_png("https://sign-doc.example.org/d/1")).decode()
    raw = message(html=f'<p>{LURE}</p><img src="data:image/png;base64,{b64}" alt="">')
    assert scan(parse_message(raw)).links == ("https://sign-doc.example.org/d/1",)


def test_pictures_without_a_link_and_broken_pictures() -> None:
    plain = io.BytesIO()
    Image.new("L", (120, 80), 255).save(plain, "PNG")
    text_qr = qr_png("WIFI:S:guest;T:WPA;P:secret;;")  # a QR code, but not a link
    raw = message(
        attachments=[
            ("logo.png", plain.getvalue(), "image/png"),
            ("wifi.png", text_qr, "image/png"),
            ("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "image/png"),
            ("not-an-image.png", b"MZ" + b"\x00" * 200, "image/png"),
        ]
    )
    result = scan(parse_message(raw))
    assert (result.links, result.pictures) == ((), 4)
    assert "sig_qr_link" not in score_message(raw, HOSPITAL).signals


def test_odd_palettes_do_not_warn(recwarn: pytest.WarningsRecorder) -> None:
    """A palette picture with per-entry transparency makes Pillow warn on conversion (seen
    in a real message); the warning must not reach the analyst or fail a strict run."""
    img = Image.new("P", (60, 60))
    img.putpalette(bytes(range(256)) * 3)
    buf = io.BytesIO()
    img.save(buf, format="PNG", transparency=bytes([0, 128, 255, 10]))
    with pytest.warns(UserWarning, match="Transparency"):  # the case is the real one
        Image.open(io.BytesIO(buf.getvalue())).convert("L")
    recwarn.clear()
    result = scan(parse_message(message(attachments=[("logo.png", buf.getvalue(), "image/png")])))
    assert (result.links, result.pictures) == ((), 1)
    assert not recwarn.list


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims a huge picture (a decompression bomb's first bytes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))


def test_huge_pictures_are_judged_on_their_header() -> None:
    raw = message(
        attachments=[
            (f"bomb{i}.png", _png_header_only(60_000, 60_000), "image/png") for i in range(3)
        ]
    )
    start = time.perf_counter()
    result = scan(parse_message(raw))
    assert result.links == () and result.pictures == 3
    assert time.perf_counter() - start < 5  # never decoded (3.6 G pixels each)


def test_number_of_pictures_is_bounded() -> None:
    pics = [(f"p{i}.png", qr_png(f"https://site{i}.example.org/"), "image/png") for i in range(12)]
    result = scan(parse_message(message(attachments=pics)))
    assert result.pictures == MAX_IMAGES
    assert len(result.links) == MAX_IMAGES


@pytest.mark.parametrize("text", ["www.mfa-check.example.com/a", "https://x.example.net/"])
def test_link_forms(text: str) -> None:
    raw = message(attachments=[("q.png", qr_png(text), "image/png")])
    (link,) = scan(parse_message(raw)).links
    assert link.endswith(text)


def test_without_the_decoder_the_reasons_say_pictures_were_not_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "zxingcpp", None)  # as if not installed
    raw = message(attachments=[("q.png", qr_png("https://x.example.net/"), "image/png")])
    v = score_message(raw, HOSPITAL)
    assert "sig_qr_unread" in v.signals and "sig_qr_link" not in v.signals
    assert "sig_qr_unread" not in score_message(message(), HOSPITAL).signals
