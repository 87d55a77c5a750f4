"""Free text and alert emails (EML) from CERT Santé, ANSSI or a vendor, PDFs included.

The text (an email's text and HTML parts, its text and PDF attachments, read offline with
pypdf) is refanged with `ioc-fanger` (`hxxp`, `[.]`, `(dot)`, `[at]`) and its indicators are
found with `ioc-finder`, whose list of top-level domains ships with it (nothing is fetched).
On top: CIDR blocks, file names with a risky extension, user agents (`User-Agent: ...`
lines), JA3 fingerprints (an MD5 on a line that says JA3; JA3S on a line that says so),
paths on their own (`/ajax/loader.php`: a script or binary, not inside a URL) and the port
an address is always written with (`91.215.85.147:8443`). The alert's sender and date
name the source and date its indicators. Private addresses and the sender's own domain
(the agency's links to its advisories) are rejects, with their reason, never indicators.
"""

from __future__ import annotations

import email
import email.policy
import io
import ipaddress
import logging
import re
from datetime import datetime
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import Any, ClassVar

from rempart.core.htmltags import ShownHtmlParser
from rempart.sources.intel.base import TLP_RANK, IntelBatch, IntelFormat, tlp_of

logging.getLogger("pypdf").setLevel(logging.ERROR)

MAX_TEXT = 5_000_000  # characters read from one file or attachment
_CIDR = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3}/\d{1,2})(?![\d.])")
_EXT = (
    "exe|dll|scr|js|jse|vbs|vbe|ps1|bat|cmd|hta|lnk|iso|img|zip|rar|7z|docm|xlsm|dotm|"
    "doc|xls|jar|msi|one|wsf|cpl|sys|elf|sh|apk"
)
_FILENAME = re.compile(rf"(?<![\w/\\.@-])([\w][\w.-]{{0,120}}\.(?:{_EXT}))(?![\w.-])", re.I)
_USER_AGENT = re.compile(r"(?im)\b(?:user[- ]agent|UA)\s*[:=]\s*[\"'«]?\s*([^\"'»\r\n]{4,300})")
# a path on its own (not inside a URL): "Chemin : /ajax/loader.php", a script or binary
_URI = re.compile(
    r"(?:^|(?<=[\s(«\"'|]))(/[A-Za-z0-9_~%.-]+(?:/[A-Za-z0-9_~%.-]+)*"
    r"\.(?:php\d?|aspx?|jsp|cgi|do|action|js|exe|dll|bin|dat|ps1|hta))(?![\w/.-])",
    re.M,
)
_IP_PORT = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})(?![\d])")
_TLP = re.compile(r"\bTLP\s*:\s*(CLEAR|WHITE|GREEN|AMBER\+STRICT|AMBER|RED)\b", re.I)
_PRIVATE = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "0.0.0.0/8",
              "169.254.0.0/16", "224.0.0.0/4", "255.255.255.255/32", "100.64.0.0/10")
)  # fmt: skip


class _Text(ShownHtmlParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def shown_data(self, data: str) -> None:
        self.parts.append(data)

    def shown_endtag(self, tag: str) -> None:
        if tag in ("p", "div", "br", "tr", "li", "td", "th", "h1", "h2", "h3", "table"):
            self.parts.append("\n" if tag != "td" and tag != "th" else " | ")


def html_text(document: str) -> str:
    parser = _Text()
    parser.read(document)
    return "".join(parser.parts)


def pdf_text(data: bytes) -> str:
    """The text of a PDF's pages (never its scripts or links to follow)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        return "\n".join((page.extract_text() or "") for page in reader.pages)[:MAX_TEXT]
    except (PyPdfError, ValueError, KeyError, TypeError, OSError):
        return ""


def _private(value: str) -> bool:
    try:
        addr = ipaddress.ip_address(value.split("/")[0])
    except ValueError:
        return False
    return any(addr in net for net in _PRIVATE if net.version == addr.version)


def _line_of(text: str, value: str, low: str) -> int | None:
    pos = low.find(value.lower())
    return text.count("\n", 0, pos) + 1 if pos >= 0 else None


def _under(domain: str, parents: set[str]) -> bool:
    return any(domain == p or domain.endswith("." + p) for p in parents)


def extract(text: str, batch: IntelBatch, *, part: str = "", exclude: set[str] | None = None,
            **fields: Any) -> None:  # fmt: skip
    """Find the indicators of a (defanged) text and add them to `batch`."""
    import ioc_fanger
    from ioc_finder import find_iocs

    excluded = exclude or set()
    fanged = ioc_fanger.fang(text[:MAX_TEXT])
    low = fanged.lower()
    found = find_iocs(
        fanged,
        parse_domain_from_url=False,
        parse_from_url_path=False,
        parse_domain_from_email_address=False,
        parse_urls_without_scheme=False,
        included_ioc_types=[
            "urls", "email_addresses", "domains", "ipv4s", "ipv6s", "sha256s", "sha1s", "md5s",
        ],
    )  # fmt: skip
    where = f"{part} " if part else ""

    def keep(kind: str, value: str, context: str = "") -> None:
        line = _line_of(fanged, value, low)
        batch.add(kind, value, context=context, line=line, where=where.strip(), **fields)

    def refuse(key: str, value: str) -> None:
        batch.reject(key, value, line=_line_of(fanged, value, low), where=where.strip())

    cidrs = _CIDR.findall(fanged)
    cidr_bases = {c.split("/")[0] for c in cidrs}
    filenames = {m.group(1) for m in _FILENAME.finditer(fanged)}
    file_like = {f.lower() for f in filenames}
    ja3_lines = {i for i, ln in enumerate(low.splitlines()) if "ja3" in ln}
    ja3s_lines = {i for i, ln in enumerate(low.splitlines()) if "ja3s" in ln}
    for c in cidrs:
        if _private(c):
            refuse("intel.private_address", c)
        else:
            keep("cidr", c)
    ports: dict[str, set[str]] = {}
    for m in _IP_PORT.finditer(fanged):
        ports.setdefault(m.group(1), set()).add(m.group(2))
    for kind, key in (("ip", "ipv4s"), ("ip", "ipv6s")):
        for value in found.get(key, []):
            if value in cidr_bases:
                continue
            if _private(value):
                refuse("intel.private_address", value)
                continue
            # "91.215.85.147:8443" everywhere it is named: the indicator keeps the port
            said = ports.get(value, set())
            bare = fanged.count(value) > sum(fanged.count(f"{value}:{p}") for p in said)
            if len(said) == 1 and not bare:
                keep(kind, f"{value}:{next(iter(said))}")
            else:
                keep(kind, value)
    for value in found.get("urls", []):
        host = value.split("://", 1)[-1].split("/", 1)[0].split(":")[0].lower()
        if _under(host, excluded):
            refuse("intel.sender_domain", value)
        else:
            keep("url", value)
    for value in found.get("email_addresses", []):
        if _under(value.rsplit("@", 1)[-1].lower(), excluded):
            refuse("intel.sender_domain", value)
        else:
            keep("email", value)
    for value in found.get("domains", []):
        if value.lower() in file_like:
            continue  # "facture.zip" is a file name, not a host
        if _under(value.lower(), excluded):
            refuse("intel.sender_domain", value)
        else:
            keep("domain", value)
    for kind in ("sha256", "sha1", "md5"):
        for value in found.get(kind + "s", []):
            line = _line_of(fanged, value, low)
            is_ja3 = kind == "md5" and line is not None and line - 1 in ja3_lines
            is_ja3s = is_ja3 and line is not None and line - 1 in ja3s_lines
            keep("ja3s" if is_ja3s else "ja3" if is_ja3 else kind, value)
    for name in sorted(filenames):
        keep("filename", name)
    for path in sorted(set(_URI.findall(fanged))):
        keep("uri", path)
    for ua in _USER_AGENT.findall(fanged):
        keep("user_agent", ua.strip())


def tlp_in(text: str) -> str | None:
    """The most restrictive TLP the text states (`TLP:AMBER`), if any."""
    found = [tlp_of(m) for m in _TLP.findall(text)]
    names = [f for f in found if f]
    return max(names, key=lambda n: TLP_RANK[n]) if names else None


def _message_parts(msg: EmailMessage) -> list[tuple[str, str]]:
    """(part name, text) of every readable part: text, HTML, PDF and text attachments."""
    out: list[tuple[str, str]] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        name = part.get_filename() or ""
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if ctype == "application/pdf" or name.lower().endswith(".pdf"):
            out.append((name or "pdf", pdf_text(data)))
        elif ctype == "text/html":
            out.append((name or "html", html_text(data.decode("utf-8", "replace"))))
        elif ctype.startswith("text/") or name.lower().endswith((".txt", ".csv", ".ioc")):
            charset = part.get_content_charset() or "utf-8"
            try:
                out.append((name or "text", data.decode(charset, "replace")))
            except LookupError:
                out.append((name or "text", data.decode("utf-8", "replace")))
    return out


def parse_email(path: Path, data: bytes) -> IntelBatch:
    """An alert email: its sender and date are the source of what its parts name."""
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    sender = parseaddr(str(msg.get("From", "")))[1].lower()
    subject = str(msg.get("Subject", "")).strip()
    sent: datetime | None
    try:
        sent = parsedate_to_datetime(str(msg.get("Date", "")))
    except (TypeError, ValueError, IndexError):
        sent = None
    when = f"{sent:%Y-%m-%d %H:%M}" if sent else "?"
    source = f"{sender or path.name} ({when}) : {subject}"[:300]
    batch = IntelBatch(path, "eml", source)
    parts = _message_parts(msg)
    tlp = tlp_in(subject + "\n" + "\n".join(text for _, text in parts))
    own = {sender.rsplit("@", 1)[-1]} if "@" in sender else set()
    for name, text in parts:
        extract(text, batch, part=name, exclude=own, tlp=tlp, first_seen=sent, last_seen=sent,
                source=source)  # fmt: skip
    if not parts:
        batch.reject("intel.no_text", path.name)
    return batch


class AlertEmailFormat(IntelFormat):
    NAME: ClassVar[str] = "eml"
    VERSION: ClassVar[str] = "1"
    DESCRIPTION: ClassVar[str] = "alert email (EML) with its text, HTML and PDF attachments"

    def sniff(self, head: bytes, path: Path) -> bool:
        start = head.lstrip()[:2048].lower()
        names = (b"from:", b"received:", b"return-path:", b"message-id:", b"date:", b"subject:")
        hits = sum(1 for n in names if re.search(rb"(?m)^" + re.escape(n), start))
        return hits >= 2 or path.suffix.lower() == ".eml"

    def parse(self, path: Path) -> list[IntelBatch]:
        return [parse_email(path, path.read_bytes())]


class TextFormat(IntelFormat):
    """Anything else readable: plain text, a Markdown advisory, a PDF report."""

    NAME: ClassVar[str] = "text"
    VERSION: ClassVar[str] = "1"
    DESCRIPTION: ClassVar[str] = "free text or PDF advisory"

    def sniff(self, head: bytes, path: Path) -> bool:
        return True

    def parse(self, path: Path) -> list[IntelBatch]:
        data = path.read_bytes()
        if data[:5] == b"%PDF-":
            text = pdf_text(data)
        else:
            text = data[: MAX_TEXT * 2].decode("utf-8", "replace")
            if "<html" in text[:2000].lower():
                text = html_text(text)
        batch = IntelBatch(path, self.NAME, f"{path.name}")
        if not text.strip():
            batch.reject("intel.no_text", path.name)
        extract(text, batch, tlp=tlp_in(text))
        return [batch]
