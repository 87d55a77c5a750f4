"""Turn raw message bytes into the few facts the scorer reads, never trusting the bytes.

The standard library's parser (compat32 policy: the fastest, and lenient with broken
headers) does the MIME walk; everything here is bounded (message size, parts, depth,
attachment bytes, HTML length) so a hostile or truncated message yields warnings, not a
crash. Nothing is rendered, fetched or executed: HTML is reduced to text, anchors and
forms by a tolerant tokenizer.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import hashlib
import re
from dataclasses import dataclass
from email.header import Header, decode_header, make_header
from email.message import Message
from email.utils import parseaddr

from rempart.core.htmltags import ShownHtmlParser
from rempart.core.mimedepth import bound_mime_depth
from rempart.mail.limits import MAX_MESSAGE_BYTES, MAX_PARTS

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
MAX_TEXT_CHARS = 60_000
MAX_HTML_CHARS = 400_000
MAX_LINKS = 300
MAX_HEADER_CHARS = 4000  # a longer header is an attack; parseaddr is slow on it

_URL_RE = re.compile(r"""https?://[^\s"'<>()\[\]{}]{3,2000}""", re.IGNORECASE)
_WS_RE = re.compile(r"\s+")


@dataclass(frozen=True)
class Link:
    """A link target, and the visible text of its anchor when it came from HTML."""

    href: str
    text: str | None = None


@dataclass(frozen=True)
class Attachment:
    name: str | None
    content_type: str
    data: bytes  # decoded payload, bounded by MAX_ATTACHMENT_BYTES
    size: int  # decoded size before bounding
    sha256: str


@dataclass(frozen=True)
class ParsedMail:
    message_id: str | None
    subject: str
    from_addr: str | None
    from_display: str | None
    reply_to: str | None
    return_path: str | None
    sender: str | None
    auth_results: tuple[str, ...]  # Authentication-Results, ARC-Authentication-Results
    received_spf: tuple[str, ...]
    text: str  # visible text of text/plain and text/html parts, bounded
    html: str  # raw HTML of the body parts, bounded (never rendered)
    links: tuple[Link, ...]
    forms: tuple[str, ...]  # form actions found in body HTML
    password_inputs: int
    attachments: tuple[Attachment, ...]
    defects: tuple[str, ...]
    size: int
    from_malformed: bool = False  # From broke RFC 5322 (e.g. "Name , <a@b>"); address recovered
    hidden_chars: int = 0  # body HTML text hidden from the reader by inline style
    list_unsubscribe: bool = False  # a List-Unsubscribe header: the sender mails in bulk


# Inline styles that hide an element from the reader: what a filter reads but a person
# does not (bulk senders stuff hidden words to poison statistical filters).
_HIDDEN_STYLE = re.compile(
    r"(?i)(?:display\s*:\s*none|visibility\s*:\s*hidden"
    r"|(?:font-size|opacity)\s*:\s*0*(?:\.0+)?(?:px|pt|em|rem|%)?\s*(?:[;!\"']|$))"
)
_VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta"}
    | {"source", "track", "wbr"}
)
MAX_OPEN_TAGS = 500


class _Html(ShownHtmlParser):
    """Visible text (with images' alt text), anchors (href + text), form actions, password
    fields; text inside elements hidden by inline style is kept, and counted. What a
    browser never shows is left out by `ShownHtmlParser`; `head` is not: a browser shows
    text and links written in an unclosed head."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[Link] = []
        self.forms: list[str] = []
        self.passwords = 0
        self.hidden_chars = 0
        self._href: str | None = None
        self._anchor: list[str] = []
        self._open: list[tuple[str, bool]] = []  # open elements, and whether each hides
        self._hidden = 0  # how many open elements hide their content

    def updatepos(self, i: int, j: int) -> int:
        """Where a construct ends. Line and column (`getpos`) are never read here, so they
        are not counted: counting them was a tenth of the parse."""
        return j

    def _push(self, tag: str, hides: bool) -> None:
        if tag in _VOID_TAGS or len(self._open) >= MAX_OPEN_TAGS:
            return
        self._open.append((tag, hides))
        self._hidden += hides

    def _pop(self, tag: str) -> None:
        """Close `tag` and the unclosed elements inside it (mail HTML rarely closes <p>)."""
        if self._open and self._open[-1][0] == tag:  # the usual case: well nested
            self._hidden -= self._open.pop()[1]
            return
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0] == tag:
                self._hidden -= sum(h for _, h in self._open[i:])
                del self._open[i:]
                return

    def shown_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: (v or "") for k, v in attrs}
        hides = "hidden" in values or bool(_HIDDEN_STYLE.search(values.get("style", "")[:2000]))
        self._push(tag, hides)
        if tag == "img" and values.get("alt"):
            self.text.append(f" {values['alt'][:300]} ")
        if tag == "a":
            href = values.get("href", "").strip()
            self._href = href if href.lower().startswith(("http:", "https:", "//")) else None
            self._anchor = []
        elif tag == "form":
            self.forms.append(values.get("action", "").strip())
        elif tag == "input" and values.get("type", "").lower() == "password":
            self.passwords += 1
        elif tag in ("br", "p", "div", "tr", "li"):
            self.text.append("\n")

    def shown_endtag(self, tag: str) -> None:
        self._pop(tag)
        if tag == "a" and self._href is not None:
            if len(self.links) < MAX_LINKS:
                self.links.append(Link(self._href, " ".join("".join(self._anchor).split())))
            self._href = None

    def shown_data(self, data: str) -> None:
        if self._hidden:  # kept: a hidden preheader is what the inbox list shows
            self.hidden_chars += len(data.strip())
        self.text.append(data)
        if self._href is not None:
            self._anchor.append(data)


@dataclass(frozen=True)
class HtmlFacts:
    text: str
    links: tuple[Link, ...]
    forms: tuple[str, ...]
    passwords: int
    hidden_chars: int = 0  # characters of text hidden by inline style


def read_html(html: str) -> HtmlFacts:
    """Text, links and forms of an HTML document; hostile markup never stops the batch."""
    parser = _Html()
    with contextlib.suppress(Exception):
        parser.read(html[:MAX_HTML_CHARS])
    text = _WS_RE.sub(" ", "".join(parser.text)).strip()
    return HtmlFacts(
        text, tuple(parser.links), tuple(parser.forms), parser.passwords, parser.hidden_chars
    )


def _decode(value: object) -> str:
    """A header as text: RFC 2047 words decoded, bad charsets replaced, whitespace folded."""
    if value is None:
        return ""
    if isinstance(value, Header):  # raw 8-bit bytes (RFC 6532 UTF-8 headers, legacy latin-1)
        value = _eight_bit(value)
    raw = str(value)[:MAX_HEADER_CHARS]
    if "=?" in raw:
        with contextlib.suppress(Exception):  # keep the undecoded text
            raw = str(make_header(decode_header(raw)))
    return _WS_RE.sub(" ", raw).strip()


def _eight_bit(value: Header) -> str:
    """A header holding raw 8-bit bytes, read as UTF-8 (else latin-1) instead of the
    replacement characters the compat32 parser shows, which hid styled letters."""
    try:
        out = []
        for chunk, charset in decode_header(value):
            if isinstance(chunk, bytes):
                try:
                    out.append(chunk.decode("utf-8"))
                except UnicodeDecodeError:
                    out.append(
                        chunk.decode(
                            charset if charset and charset != "unknown-8bit" else "latin-1",
                            errors="replace",
                        )
                    )
            else:
                out.append(chunk)
        return "".join(out)
    except Exception:
        return str(value)


def _headers(msg: Message, name: str) -> tuple[str, ...]:
    try:
        return tuple(_decode(v) for v in msg.get_all(name, failobj=[]))
    except Exception:
        return ()


def _first(msg: Message, name: str) -> str | None:
    values = _headers(msg, name)
    return values[0] if values else None


def _addr(value: str | None) -> str | None:
    if not value:
        return None
    return parseaddr(value)[1].strip().lower() or None


# A domain as DNS can hold it (letters, digits, hyphens; other scripts for IDN) or an
# address literal: "x@'brand.example.com" is no address any mail software writes.
_LABEL = r"[^\W_](?:[\w-]*[^\W_])?"
_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?|\[[0-9A-Fa-f:.]+\]")
_ANGLE_ADDR = re.compile(r"<\s*([^<>@\s]+@[^<>@\s]+?)\s*>")


def _from(value: str) -> tuple[str, str, bool]:
    """(display name, address, malformed) of a From header.

    Bulk senders write headers no mail software produces ("Microsoft team ,_<x@y>",
    "Name, other <x@y>"): parseaddr then takes the name for the address. What a mail
    client shows is the address in angle brackets, so that is recovered and the header
    marked malformed, which is a fact about the sending software.
    """
    display, addr = parseaddr(value)
    if "@" in addr or not value:
        return display, addr, bool(addr) and not _DOMAIN.fullmatch(addr.rpartition("@")[2])
    found = _ANGLE_ADDR.findall(value)
    if not found:
        return display, addr, False
    before = value[: value.rfind("<")]
    return before.strip(" \t\"',_("), found[-1], True


def _payload(part: Message, defects: list[str]) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception as exc:
        defects.append(f"undecodable part: {type(exc).__name__}")
        return b""
    return data if isinstance(data, bytes) else b""


def _as_text(data: bytes, charset: str | None) -> str:
    try:
        return data.decode(charset or "utf-8", errors="replace")
    except LookupError:
        return data.decode("latin-1", errors="replace")


_NAME_PARAM = re.compile(r'(?i)(?:^|;)\s*(?:file)?name\s*=\s*(?:"([^"]*)"|([^;\s]+))')


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        return "(undecodable name)"
    if name and "\ufffd" in name:
        # raw 8-bit bytes in the parameter (a UTF-8 name sent unencoded): compat32 shows
        # replacement characters; read the header's bytes as UTF-8 instead
        for field in ("Content-Disposition", "Content-Type"):
            value = part.get(field)
            found = _NAME_PARAM.search(_eight_bit(value)) if isinstance(value, Header) else None
            if found:
                name = found.group(1) or found.group(2)
                break
    return _decode(name) or None if name else None


def parse_message(raw: bytes) -> ParsedMail:
    """Parse one message; problems become `defects`, never exceptions."""
    defects: list[str] = []
    size = len(raw)
    if size > MAX_MESSAGE_BYTES:
        raw = raw[:MAX_MESSAGE_BYTES]
        defects.append(f"message truncated to {MAX_MESSAGE_BYTES} bytes")
    if raw.startswith(b"From "):  # mbox separator line: not part of the message
        raw = raw.split(b"\n", 1)[1] if b"\n" in raw else b""
    raw, too_deep = bound_mime_depth(raw)  # (the parser recurses once per level)
    if too_deep:
        defects.append(too_deep)
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    defects.extend(type(d).__name__ for d in msg.defects)
    display, from_addr, from_malformed = _from(_first(msg, "From") or "")
    texts: list[str] = []
    htmls: list[str] = []
    links: list[Link] = []
    forms: list[str] = []
    passwords = 0
    hidden = 0
    attachments: list[Attachment] = []
    for count, part in enumerate(msg.walk()):
        if count >= MAX_PARTS:
            defects.append(f"more than {MAX_PARTS} MIME parts: rest ignored")
            break
        if part.is_multipart():
            continue
        defects.extend(type(d).__name__ for d in part.defects)
        ctype = part.get_content_type()
        name = _filename(part)
        try:
            disposition = part.get_content_disposition()
        except Exception:
            disposition = None
        is_body = ctype in ("text/plain", "text/html") and disposition != "attachment"
        if is_body and not name:
            body = _as_text(_payload(part, defects), _charset(part))
            if ctype == "text/html":
                htmls.append(body[:MAX_HTML_CHARS])
                facts = read_html(body)
                texts.append(facts.text)
                links.extend(facts.links)
                forms.extend(facts.forms)
                passwords += facts.passwords
                hidden += facts.hidden_chars
            else:
                texts.append(body[:MAX_TEXT_CHARS])
                links.extend(
                    Link(u.rstrip(".,;:!")) for u in _URL_RE.findall(body[:MAX_TEXT_CHARS])
                )
            continue
        if ctype == "message/rfc822" or ctype.startswith("multipart/"):
            continue
        data = _payload(part, defects)
        attachments.append(
            Attachment(
                name=name,
                content_type=ctype,
                data=data[:MAX_ATTACHMENT_BYTES],
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
            )
        )
    text = " ".join(texts)[:MAX_TEXT_CHARS]
    return ParsedMail(
        message_id=_first(msg, "Message-ID"),
        subject=_first(msg, "Subject") or "",
        from_addr=from_addr.strip().lower() or None,
        from_display=display.strip().strip('"') or None,
        reply_to=_addr(_first(msg, "Reply-To")),
        return_path=_addr(_first(msg, "Return-Path")),
        sender=_addr(_first(msg, "Sender")),
        auth_results=_headers(msg, "Authentication-Results")
        + _headers(msg, "ARC-Authentication-Results"),
        received_spf=_headers(msg, "Received-SPF"),
        text=text,
        html="\n".join(htmls)[:MAX_HTML_CHARS],
        links=tuple(links[:MAX_LINKS]),
        forms=tuple(forms),
        password_inputs=passwords,
        hidden_chars=hidden,
        list_unsubscribe=_first(msg, "List-Unsubscribe") is not None,
        attachments=tuple(attachments),
        defects=tuple(sorted(set(defects))),
        size=size,
        from_malformed=from_malformed,
    )


def _charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except Exception:
        return None


def _decode_cte(data: bytes, cte: str) -> bytes:
    import base64
    import binascii
    import quopri

    try:
        if cte == "base64":
            return base64.b64decode(b"".join(data.split()), validate=False)
        return quopri.decodestring(data)
    except (binascii.Error, ValueError):
        return data


def reported_originals(raw: bytes, limit: int = 20) -> list[bytes]:
    """The messages attached (message/rfc822) to a staff report, else the message itself.

    Staff "report phishing" by forwarding as attachment: the original, with its real
    headers, is what must be scored. An attached `.eml` or Outlook `.msg` file counts too.
    """
    from rempart.mail.outlook import OutlookMsgError, is_outlook_msg, msg_to_mime

    try:
        bounded, _ = bound_mime_depth(raw[:MAX_MESSAGE_BYTES])
        msg = email.message_from_bytes(bounded, policy=email.policy.compat32)
        found: list[bytes] = []
        for count, part in enumerate(msg.walk()):
            if count >= MAX_PARTS or len(found) >= limit:
                break
            if part.get_content_type() == "message/rfc822":
                inner = part.get_payload()
                if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                    data = inner[0].as_bytes()
                else:
                    data = str(inner).encode("utf-8", errors="replace")
                cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
                if cte in ("base64", "quoted-printable"):  # not allowed by RFC 2046, but seen
                    data = _decode_cte(data.lstrip(b"\r\n"), cte)
                found.append(data)
            elif (_filename(part) or "").lower().endswith(".eml"):
                data = _payload(part, [])
                if data:
                    found.append(data)
            elif (_filename(part) or "").lower().endswith(".msg") or (
                part.get_content_type() == "application/vnd.ms-outlook"
            ):
                data = _payload(part, [])
                if is_outlook_msg(data):  # a saved Outlook item attached to the report
                    try:
                        found.append(msg_to_mime(data))
                    except OutlookMsgError:
                        found.append(data)  # scored as an unreadable .msg, with the reason
    except Exception:
        return [raw]
    return found or [raw]


def domain_of(addr: str | None) -> str | None:
    if not addr or "@" not in addr:
        return None
    return addr.rsplit("@", 1)[1].strip(" >.").lower() or None


__all__ = [
    "Attachment",
    "HtmlFacts",
    "Link",
    "ParsedMail",
    "domain_of",
    "parse_message",
    "read_html",
    "reported_originals",
]
