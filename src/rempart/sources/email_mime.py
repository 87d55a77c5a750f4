"""Raw email: single messages (EML, RFC 5322) and mailboxes (mbox).

Messages are parsed with the standard library's `email` package, one message at a time
(mail is counted in thousands, not millions), and emitted as Arrow batches. Attacker
content is only read: HTML is reduced to text and link targets, never rendered or fetched;
attachments are hashed and sized, never opened here.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from rempart.core.errors import SourceError
from rempart.core.htmltags import ShownHtmlParser
from rempart.core.mimedepth import bound_mime_depth
from rempart.sources.base import ParseContext, Source
from rempart.sources.mimebodies import elide

MAX_MESSAGE_BYTES = 50 * 1024 * 1024  # larger messages are truncated, with a defect noted
MAX_RAW_KEPT = 10 * 1024 * 1024
MAX_BODY_CHARS = 20_000
MAX_URLS = 200
_BATCH = 500

_HEADER_RE = re.compile(rb"^[A-Za-z0-9][A-Za-z0-9-]{1,60}:[ \t]?", re.MULTILINE)
_KNOWN_HEADERS = (
    b"received:", b"return-path:", b"from:", b"to:", b"subject:", b"date:",
    b"message-id:", b"mime-version:", b"delivered-to:", b"x-", b"content-type:",
)  # fmt: skip
_URL_RE = re.compile(r"""https?://[^\s"'<>()\[\]{}]{3,2000}""", re.IGNORECASE)
# the date that ends an mbox `From ` line (asctime)
_LATER_FROM = re.compile(rb"\n\r?\nFrom \S+ +\w{3} \w{3} [ \d]\d \d\d:\d\d(:\d\d)? \d{4}\r?\n")
_FROM_DATE = re.compile(rb"^\S{2,6} \S+ +\w{3} \w{3} [ \d]\d \d\d:\d\d(:\d\d)? \d{4}\r?$")


class _HtmlText(ShownHtmlParser):
    """Collects visible text and link targets (of every element, scripts' included); never
    fetches anything."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        super().handle_starttag(tag, attrs)
        for name, value in attrs:
            if value and name in ("href", "action", "src") and value.lower().startswith("http"):
                self.links.append(value.strip())

    def shown_data(self, data: str) -> None:
        self.text.append(data)


def html_to_text(html: str) -> tuple[str, list[str]]:
    parser = _HtmlText()
    with contextlib.suppress(Exception):  # hostile HTML must never stop the batch
        parser.read(html)
    return " ".join(" ".join(parser.text).split()), parser.links


def _looks_like_headers(head: bytes) -> bool:
    block = head.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    lines = [ln for ln in block.splitlines()[:40] if ln and not ln[:1].isspace()]
    if not lines:
        return False
    good = sum(1 for ln in lines if _HEADER_RE.match(ln))
    known = any(ln.lower().startswith(_KNOWN_HEADERS) for ln in lines)
    return known and good >= max(2, int(0.8 * len(lines)))


def _text(value: object) -> str | None:
    if value is None:
        return None
    return " ".join(str(value).split()) or None


def _header(msg: Message, name: str) -> str | None:
    try:
        return _text(msg.get(name))
    except Exception:
        raw = msg.get_all(name, failobj=[])
        return _text(raw[0]) if raw else None


def _payload_text(part: Message) -> str:
    try:
        if isinstance(part, EmailMessage):
            content = part.get_content()
            return content if isinstance(content, str) else ""
    except Exception:  # noqa: S110 - broken charset/encoding: decode leniently below
        pass
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("utf-8", errors="replace")


def _charset_of(part: Message) -> str:
    charset = part.get_content_charset() or "utf-8"
    try:
        "".encode(charset)
    except LookupError:
        return "utf-8"
    return charset


def message_record(raw: bytes, reference: datetime) -> dict[str, Any]:
    """Normalise one raw message into an `email` row (without provenance columns)."""
    defects: list[str] = []
    if len(raw) > MAX_MESSAGE_BYTES:
        raw = raw[:MAX_MESSAGE_BYTES]
        defects.append(f"message truncated to {MAX_MESSAGE_BYTES} bytes")
    bounded, too_deep = bound_mime_depth(raw)  # (the parser recurses once per level)
    if too_deep:
        defects.append(too_deep)
    # (a big attachment's base64 is read from the raw bytes, not through the parser's lines)
    parsed_bytes, elided = elide(bounded)
    msg = email.message_from_bytes(parsed_bytes, policy=email.policy.default)
    defects.extend(type(d).__name__ for d in msg.defects)
    from_display, from_addr = parseaddr(_header(msg, "From") or "")
    time = None
    date = _header(msg, "Date")
    if date:
        try:
            parsed = parsedate_to_datetime(date)
            time = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        except (TypeError, ValueError, IndexError):
            defects.append("unparseable Date header")
    texts: list[str] = []
    urls: list[str] = []
    attachments: list[dict[str, Any]] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        defects.extend(type(d).__name__ for d in part.defects)
        ctype = part.get_content_type()
        try:
            filename = part.get_filename()
        except Exception:
            filename = "(undecodable name)"
        disposition = part.get_content_disposition()
        run = elided.run_of(part.get_payload()) if elided.runs else None
        if filename or disposition == "attachment" or not ctype.startswith("text/"):
            if run is not None:
                size, sha256 = elided.digest(run)
            else:
                payload = part.get_payload(decode=True)
                data = payload if isinstance(payload, bytes) else b""
                size, sha256 = len(data), hashlib.sha256(data).hexdigest()
            attachments.append(
                {
                    "name": _text(filename),
                    "content_type": ctype,
                    "size": size,
                    "sha256": sha256,
                }
            )
            if ctype != "text/html":
                continue
        if run is not None:
            head = elided.head(run, 4 * MAX_BODY_CHARS)
            body = head.decode(_charset_of(part), errors="replace")
        else:
            body = _payload_text(part)
        if ctype == "text/html":
            text, links = html_to_text(body)
            urls.extend(links)
            texts.append(text)
        else:
            texts.append(body)
        urls.extend(_URL_RE.findall(body))
    seen: dict[str, None] = {}
    for url in urls:
        seen.setdefault(url.rstrip(".,;"), None)
    auth = [_header(msg, "Authentication-Results"), _header(msg, "Received-SPF")]
    return {
        "time": time,
        "message_id": _header(msg, "Message-ID"),
        "subject": _header(msg, "Subject"),
        "from_addr": from_addr.lower() or None,
        "from_display": from_display or None,
        "reply_to": parseaddr(_header(msg, "Reply-To") or "")[1].lower() or None,
        "return_path": parseaddr(_header(msg, "Return-Path") or "")[1].lower() or None,
        "to_addrs": [a.lower() for _, a in getaddresses([_header(msg, "To") or ""]) if a],
        "cc_addrs": [a.lower() for _, a in getaddresses([_header(msg, "Cc") or ""]) if a],
        "auth_results": " | ".join(a for a in auth if a) or None,
        "urls": list(seen)[:MAX_URLS],
        "attachments": attachments,
        "body_text": " ".join(texts)[:MAX_BODY_CHARS],
        "size_bytes": len(raw),
        "raw_sha256": hashlib.sha256(raw).hexdigest(),
        "raw": raw[:MAX_RAW_KEPT],
        "defects": sorted(set(defects)),
    }


def _is_message(raw: bytes) -> bool:
    return _looks_like_headers(raw[:8192])


class _MailSource(Source):
    EVENT_CLASS = "email"

    def messages(self, path: Path) -> Iterator[tuple[int, bytes]]:
        """(line number, raw bytes) of each message in the file."""
        raise NotImplementedError

    def parse(self, path: Path, ctx: ParseContext) -> None:
        rows: list[dict[str, Any]] = []
        schema = self.schema()
        for line, raw in self.messages(path):
            if not raw.strip():
                ctx.reject(line, "empty message")
                continue
            if not _is_message(raw):
                ctx.reject(line, "not an email message (no RFC 5322 header block)")
                continue
            try:
                record = message_record(raw, ctx.reference_time)
            except Exception as exc:
                ctx.reject(line, f"unparseable message: {type(exc).__name__}: {exc}")
                continue
            record.update(
                event_uid=f"{ctx.file_id}:{line}",
                source_file=str(ctx.path),
                source_line=line,
                source_format=self.NAME,
            )
            rows.append(record)
            if len(rows) >= _BATCH:
                ctx.emit(pa.Table.from_pylist(rows, schema=schema))
                rows = []
        if rows:
            ctx.emit(pa.Table.from_pylist(rows, schema=schema))


class EmlSource(_MailSource):
    NAME = "eml"
    VERSION = "1.0"
    DESCRIPTION = "one RFC 5322 message per file (.eml)"

    def sniff(self, head: bytes, path: Path) -> bool:
        if head.startswith(b"From "):  # a one-message mbox is handled by the mbox source
            return False
        return _looks_like_headers(head.lstrip(b"\r\n"))

    def messages(self, path: Path) -> Iterator[tuple[int, bytes]]:
        yield 1, path.read_bytes()


class MboxSource(_MailSource):
    NAME = "mbox"
    VERSION = "1.0"
    DESCRIPTION = "Unix mailbox: messages separated by 'From ' lines"
    GROWS = True  # (a grown mailbox's old messages are blank lines before its new ones)

    def sniff(self, head: bytes, path: Path) -> bool:
        """A `From ` separator line, then headers; a separator whose first bytes are
        damaged is still one by its date (`From sender Mon Mar 11 09:00:00 2019`)."""
        first, _, rest = head.partition(b"\n")
        if head.startswith(b"From ") or _FROM_DATE.search(first[:300]):
            return _looks_like_headers(rest)
        # the first separator lost (a line cut away): headers, then another separator
        return _looks_like_headers(head.lstrip(b"\r\n")) and bool(_LATER_FROM.search(head))

    def messages(self, path: Path) -> Iterator[tuple[int, bytes]]:
        current: list[bytes] = []
        start = 1
        previous_blank = True
        with path.open("rb") as fh:
            for number, line in enumerate(fh, start=1):
                if line.startswith(b"From ") and previous_blank:
                    if current and (start > 1 or any(ln.strip() for ln in current)):
                        yield start, b"".join(current)  # (not a blank preamble)
                    current = []
                    start = number + 1
                    previous_blank = False
                    continue
                current.append(line[1:] if line.startswith(b">From ") else line)
                previous_blank = line.strip() == b""
        if current:
            yield start, b"".join(current)


class OutlookMsgSource(_MailSource):
    NAME = "outlook_msg"
    VERSION = "1.0"
    DESCRIPTION = "one Outlook message per file (.msg, OLE compound file), rebuilt as RFC 5322"

    def sniff(self, head: bytes, path: Path) -> bool:
        # the OLE container also holds .doc/.xls: the name tells them apart at sniffing,
        # the content when read (a file without message properties is refused). The name
        # is asked first: importing the mail package costs a third of a second, wasted on
        # every flow log sniffed.
        if path.suffix.lower() != ".msg":
            return False
        from rempart.mail.outlook import is_outlook_msg

        return is_outlook_msg(head)

    def messages(self, path: Path) -> Iterator[tuple[int, bytes]]:
        from rempart.mail.limits import MAX_MESSAGE_BYTES
        from rempart.mail.outlook import OutlookMsgError, msg_to_mime

        if path.stat().st_size > MAX_MESSAGE_BYTES:
            raise SourceError(path, f"Outlook message larger than {MAX_MESSAGE_BYTES} bytes")
        try:
            yield 1, msg_to_mime(path.read_bytes())
        except OutlookMsgError as exc:
            raise SourceError(path, f"unreadable Outlook message: {exc}") from exc
