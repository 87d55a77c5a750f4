"""Links hidden in QR codes ("quishing"): the address is in a picture, not in the text.

A QR code in a message sends the reader to a phone, out of the hospital's filtering and
out of reach of the mail's own link checks; the lure is usually a multi-factor
authentication to renew or a document to sign. The pictures of a message (image parts and
`data:` images inside its HTML) are decoded with zxing-cpp, through Pillow, and the links
they hold are returned to the signals like the message's other links.

Attacker-controlled pictures are bounded before any pixel is decoded: at most
`MAX_IMAGES` pictures of at most `MAX_IMAGE_BYTES`, only PNG, JPEG, GIF, BMP and WebP, at
most `MAX_PIXELS` according to their header. Nothing is fetched or shown. Without
zxing-cpp or Pillow (a platform without their wheels) no picture is read, and the reasons
say so only when a message has pictures.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import io
import re
import warnings
from dataclasses import dataclass
from typing import Any

from rempart.mail.parse import ParsedMail

MAX_IMAGES = 8
MAX_IMAGE_BYTES = 3 * 1024 * 1024
MAX_PIXELS = 16_000_000
_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP")
_DATA_URI = re.compile(
    r"data:image/(?:png|jpe?g|gif|bmp|webp);base64,([A-Za-z0-9+/=\s]{64,4200000})", re.I
)
_URLISH = re.compile(r"(?i)^(?:https?://|www\.)\S+$")


@dataclass(frozen=True)
class QrScan:
    links: tuple[str, ...]  # URLs read from QR codes, in order, without repeats
    pictures: int  # pictures looked at
    readable: bool  # False when the decoder is not installed


def pictures(mail: ParsedMail) -> list[bytes]:
    """The message's pictures: image parts, then `data:` images of its HTML (bounded)."""
    out = [
        a.data
        for a in mail.attachments
        if a.content_type.startswith("image/") and a.size <= MAX_IMAGE_BYTES
    ]
    # (no letter of "data:" has a case variant outside ASCII, nor does `lower` make one
    # from another character: the plain test says whether the case-insensitive search
    # can find anything, at a fraction of its cost)
    found = _DATA_URI.finditer(mail.html) if "data:" in mail.html.lower() else ()
    for m in found:
        if len(out) >= MAX_IMAGES:
            break
        with contextlib.suppress(binascii.Error, ValueError):
            data = base64.b64decode(re.sub(r"\s", "", m.group(1)), validate=True)
            if len(data) <= MAX_IMAGE_BYTES:
                out.append(data)
    return out[:MAX_IMAGES]


def _gray(data: bytes, image: Any) -> Any:
    """The picture in grey levels, or None when its header says it is too large. Pillow's
    warnings (odd palettes, decompression bombs) are silenced: a hostile picture must not
    write to the analyst's terminal, nor fail a run that treats warnings as errors."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with image.open(io.BytesIO(data), formats=_FORMATS) as img:
            width, height = img.size
            if width * height > MAX_PIXELS:
                return None
            return img.convert("L")


def scan(mail: ParsedMail) -> QrScan:
    """The links of the QR codes in the message's pictures."""
    found = pictures(mail)
    if not found:
        return QrScan((), 0, True)
    try:
        import zxingcpp
        from PIL import Image
    except ImportError:
        return QrScan((), len(found), False)
    formats = zxingcpp.barcode_formats_from_str("QRCode,MicroQRCode")
    links: dict[str, None] = {}
    for data in found:
        try:
            gray = _gray(data, Image)
            if gray is None:
                continue  # decided on the header: the pixels are never decoded
            for code in zxingcpp.read_barcodes(gray, formats=formats):
                text = code.text.strip()
                if _URLISH.match(text):
                    links.setdefault(text if "://" in text else f"http://{text}", None)
        except Exception:  # noqa: S112 - a broken or hostile picture is skipped, never fatal
            continue
    return QrScan(tuple(links), len(found), True)


__all__ = ["MAX_IMAGES", "MAX_IMAGE_BYTES", "MAX_PIXELS", "QrScan", "pictures", "scan"]
