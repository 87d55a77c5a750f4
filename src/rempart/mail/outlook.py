"""Outlook `.msg` files (OLE compound files, [MS-OXMSG]) turned into RFC 5322 bytes.

Staff who report a phishing email from Outlook often drag it to the desktop or attach it
as an item: what reaches the security team is a `.msg`, not an `.eml`. The scorer and the
ingest read RFC 5322, so a `.msg` is rebuilt as one: the original internet headers that
Outlook keeps (`PR_TRANSPORT_MESSAGE_HEADERS`: `From`, `Received`,
`Authentication-Results`...) are kept verbatim, except the MIME ones, which describe a body
Outlook no longer holds in that form; the plain and HTML bodies and the attachments are
re-encoded as MIME parts; an attached Outlook item (`Forward as attachment`) becomes a
`message/rfc822` part, so `--reported` finds the original inside a staff report. A message
that never crossed the internet (a draft, an internal message) has no transport headers:
`From`, `Subject`, `Message-ID` and `Date` are then taken from its MAPI properties.

Read with `olefile` (BSD; the GPL `extract-msg` cannot ship with MIT code), bounded like
any message (size, parts, nesting). Nothing in the file is executed; the RTF-only body of
some messages (`PR_RTF_COMPRESSED`) is not decompressed, and said so.
"""

from __future__ import annotations

import email
import re
import struct
from datetime import UTC, datetime, timedelta
from email import encoders
from email.mime.base import MIMEBase
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr

import olefile

from rempart.mail.limits import MAX_MESSAGE_BYTES, MAX_PARTS

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_DEPTH = 3  # an item attached to an item attached to a report is as deep as it goes

# MAPI property ids ([MS-OXPROPS]) read here
_TRANSPORT_HEADERS = 0x007D
_SUBJECT = 0x0037
_SENDER_NAME = 0x0C1A
_SENDER_EMAIL = 0x0C1F
_SENDER_SMTP = 0x5D01
_REPRESENTING_NAME = 0x0042
_REPRESENTING_EMAIL = 0x0065
_REPRESENTING_SMTP = 0x5D02
_MESSAGE_ID = 0x1035
_BODY = 0x1000
_HTML = 0x1013
_RTF_COMPRESSED = 0x1009
_SUBMIT_TIME = 0x0039
_ATTACH_DATA = 0x3701
_ATTACH_LONG_NAME = 0x3707
_ATTACH_NAME = 0x3704
_ATTACH_DISPLAY = 0x3001
_ATTACH_MIME = 0x370E

# headers describing the original MIME body, which the rebuilt message replaces
_MIME_HEADERS = frozenset(
    {"content-type", "content-transfer-encoding", "mime-version", "content-disposition",
     "content-id", "content-length", "content-description"}
)  # fmt: skip
_MIME_TYPE = re.compile(r"^[A-Za-z0-9!#$&^_.+-]{1,64}/[A-Za-z0-9!#$&^_.+-]{1,64}$")
_FIELD_NAME = re.compile(r"^[\x21-\x39\x3b-\x7e]+$")
_ATTACH_PREFIX = "__attach_version1.0_#"
_EMBEDDED = "__substg1.0_3701000D"


class OutlookMsgError(ValueError):
    """The file is not a readable Outlook message (the reason says why)."""


def is_outlook_msg(data: bytes) -> bool:
    """An OLE compound file (also the container of .doc/.xls: `msg_to_mime` tells)."""
    return data[:8] == OLE_MAGIC


def msg_to_mime(data: bytes) -> bytes:
    """The Outlook message in `data` as RFC 5322 bytes; OutlookMsgError if unreadable."""
    if len(data) > MAX_MESSAGE_BYTES:
        raise OutlookMsgError(f"larger than {MAX_MESSAGE_BYTES} bytes: not opened")
    if not is_outlook_msg(data):
        raise OutlookMsgError("not an OLE compound file")
    try:
        with olefile.OleFileIO(data) as ole:
            if ole.parsing_issues:  # olefile goes on past them, with streams read as empty
                raise OutlookMsgError(f"damaged OLE container ({ole.parsing_issues[0][1]})")
            properties = _children(ole, [], "__substg1.0_", storages=False)
            if not ole.exists("__properties_version1.0") and not properties:
                raise OutlookMsgError(
                    "OLE file without Outlook message properties (a Word or Excel file?)"
                )
            return _Converter(ole).convert([], 0)
    except OutlookMsgError:
        raise
    except Exception as exc:  # olefile raises many kinds on a damaged container
        raise OutlookMsgError(f"damaged OLE container ({type(exc).__name__}: {exc})") from exc


def _children(
    ole: olefile.OleFileIO, prefix: list[str], name_start: str, *, storages: bool
) -> list[list[str]]:
    """The streams (or storages) directly under `prefix` whose name starts with
    `name_start` (OLE names compare without case), in name order."""
    depth = len(prefix)
    low = [p.lower() for p in prefix]
    found = [
        e
        for e in ole.listdir(streams=not storages, storages=storages)
        if len(e) == depth + 1
        and [p.lower() for p in e[:depth]] == low
        and e[-1].lower().startswith(name_start)
    ]
    return sorted(found, key=lambda e: e[-1].lower())


def _decode8(raw: bytes) -> str:
    """An 8-bit MAPI string: UTF-8 when it is, else Windows-1252 (Outlook's default)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", "replace")


def _one_line(value: str) -> str:
    """A header value from a MAPI property: no line breaks (they would forge headers)."""
    return re.sub(r"[\r\n\x00]+", " ", value).strip()


class _Converter:
    def __init__(self, ole: olefile.OleFileIO) -> None:
        self.ole = ole
        self.parts = 0

    def _read(self, path: list[str]) -> bytes | None:
        if not self.ole.exists(path) or self.ole.get_type(path) != olefile.STGTY_STREAM:
            return None
        size = self.ole.get_size(path)
        if size > MAX_MESSAGE_BYTES:
            raise OutlookMsgError(f"stream {'/'.join(path)} larger than {MAX_MESSAGE_BYTES} bytes")
        data = bytes(self.ole.openstream(path).read())
        if len(data) < size:
            raise OutlookMsgError(f"stream {'/'.join(path)} cut short (file truncated?)")
        return data

    def text(self, prefix: list[str], pid: int) -> str | None:
        raw = self._read([*prefix, f"__substg1.0_{pid:04X}001F"])
        if raw is not None:
            return raw.decode("utf-16-le", "replace").rstrip("\x00")
        raw = self._read([*prefix, f"__substg1.0_{pid:04X}001E"])
        return _decode8(raw).rstrip("\x00") if raw is not None else None

    def binary(self, prefix: list[str], pid: int) -> bytes | None:
        return self._read([*prefix, f"__substg1.0_{pid:04X}0102"])

    def submit_time(self, prefix: list[str], depth: int) -> datetime | None:
        """PR_CLIENT_SUBMIT_TIME from the fixed-size property stream (a FILETIME)."""
        raw = self._read([*prefix, "__properties_version1.0"])
        if raw is None:
            return None
        start = 32 if depth == 0 else 24  # the top-level header is longer ([MS-OXMSG] 2.4.1)
        for off in range(start, len(raw) - 15, 16):
            tag, _flags, value = struct.unpack_from("<IIQ", raw, off)
            if tag == (_SUBMIT_TIME << 16) | 0x0040 and 0 < value < (1 << 62):
                return datetime(1601, 1, 1, tzinfo=UTC) + timedelta(microseconds=value // 10)
        return None

    def headers(self, prefix: list[str], depth: int) -> list[str]:
        """The message's header fields (unfolded lines kept as written), MIME ones dropped."""
        transport = self.text(prefix, _TRANSPORT_HEADERS)
        if transport and transport.strip():
            fields: list[str] = []
            for line in transport.replace("\r\n", "\n").split("\n"):
                if line[:1] in (" ", "\t") and fields:
                    fields[-1] += "\n" + line
                elif line.strip():
                    fields.append(line)
            kept = []
            for field in fields:
                name = field.split(":", 1)[0].strip()
                if ":" in field and _FIELD_NAME.match(name) and name.lower() not in _MIME_HEADERS:
                    kept.append(field)
            if kept:
                return kept
        return self._synthetic_headers(prefix, depth)

    def _synthetic_headers(self, prefix: list[str], depth: int) -> list[str]:
        """Headers from MAPI properties, for a message with no transport headers."""
        out = []
        name = self.text(prefix, _SENDER_NAME) or self.text(prefix, _REPRESENTING_NAME) or ""
        address = ""
        for pid in (_SENDER_SMTP, _SENDER_EMAIL, _REPRESENTING_SMTP, _REPRESENTING_EMAIL):
            value = self.text(prefix, pid) or ""
            if "@" in value:  # (Exchange's own senders carry an X.500 DN instead)
                address = value
                break
        if name or address:
            out.append("From: " + _one_line(formataddr((_one_line(name), _one_line(address)))))
        subject = self.text(prefix, _SUBJECT)
        if subject is not None:
            out.append("Subject: " + _one_line(subject))
        message_id = self.text(prefix, _MESSAGE_ID)
        if message_id:
            out.append("Message-ID: " + _one_line(message_id))
        when = self.submit_time(prefix, depth)
        if when is not None:
            out.append("Date: " + format_datetime(when))
        out.append("X-Rempart-Converted: outlook-msg; no transport headers")
        return out

    def convert(self, prefix: list[str], depth: int) -> bytes:
        """The message stored at `prefix` (the root, or an attached item) as bytes."""
        body = MIMEMultipart("mixed")
        alternative = MIMEMultipart("alternative")
        plain = self.text(prefix, _BODY)
        html_raw = self.binary(prefix, _HTML)
        html = _decode8(html_raw) if html_raw is not None else self.text(prefix, _HTML)
        if plain:
            alternative.attach(MIMEText(plain, "plain", "utf-8"))
        if html:
            alternative.attach(MIMEText(html, "html", "utf-8"))
        if not plain and not html:
            note = ""
            if self.binary(prefix, _RTF_COMPRESSED) is not None:
                note = "[Rempart: the body of this Outlook message is RTF only, not read]"
            alternative.attach(MIMEText(note, "plain", "utf-8"))
        body.attach(alternative)
        for storage in _children(self.ole, prefix, _ATTACH_PREFIX, storages=True):
            self.parts += 1
            if self.parts > MAX_PARTS:
                break
            part = self._attachment(storage, depth)
            if part is not None:
                body.attach(part)
        head = "\n".join(self.headers(prefix, depth)).encode("utf-8")
        return head + b"\n" + body.as_bytes()

    def _attachment(self, storage: list[str], depth: int) -> MIMEBase | None:
        name = (
            self.text(storage, _ATTACH_LONG_NAME)
            or self.text(storage, _ATTACH_NAME)
            or self.text(storage, _ATTACH_DISPLAY)
            or "attachment"
        )
        name = _one_line(name)[:255] or "attachment"
        embedded = [*storage, _EMBEDDED]
        if self.ole.exists(embedded) and self.ole.get_type(embedded) == olefile.STGTY_STORAGE:
            if depth + 1 > MAX_DEPTH:
                return None
            inner = self.convert(embedded, depth + 1)
            part: MIMEBase = MIMEMessage(email.message_from_bytes(inner))
            part.add_header("Content-Disposition", "attachment", filename=name)
            return part
        data = self.binary(storage, _ATTACH_DATA)
        if data is None:
            return None  # a link to a file elsewhere, or an OLE object: nothing to read
        mime = _one_line(self.text(storage, _ATTACH_MIME) or "")
        if not _MIME_TYPE.match(mime) or mime.lower().startswith(("multipart/", "message/")):
            mime = "application/octet-stream"
        main, sub = mime.split("/", 1)
        part = MIMEBase(main, sub)
        part.set_payload(data)
        encoders.encode_base64(part)
        part.add_header("Content-Disposition", "attachment", filename=name)
        return part
