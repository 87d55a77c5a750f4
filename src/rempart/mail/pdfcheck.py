"""What a PDF attachment can do when opened: scripts, program launches, forms that send
what is typed, embedded files, and the addresses it links to.

Phishing moved into PDFs when gateways learnt to read message bodies: a one-page "shared
document" whose only content is a link, a form asking for the mailbox password, or a
script run at opening. The checks are those of Didier Stevens' pdfid/pdf-parser, made on
the parsed document with pypdf (names are decoded, so `/J#61vaScript` is `/JavaScript`;
compressed object streams are read). Nothing is rendered or run, no stream is decoded
except the embedded files, and the work is bounded: the document's size, the objects
visited, the links and the embedded files kept.
"""

from __future__ import annotations

import contextlib
import logging
import re
import warnings
import zlib
from dataclasses import dataclass, field
from typing import Any

MAX_PDF_BYTES = 10 * 1024 * 1024
MAX_OBJECTS = 20_000
MAX_LINKS = 50
MAX_EMBEDDED = 10
MAX_EMBEDDED_BYTES = 2 * 1024 * 1024
# pypdf logs each repair of a broken document: a hostile file's, not the analyst's, news
logging.getLogger("pypdf").setLevel(logging.ERROR)

# Raw tokens that make parsing worth it: a document without any of them (and without
# compressed object streams or escaped names, which could hide them) has nothing to find
_WORTH_PARSING = re.compile(
    rb"/(?:JavaScript|JS|Launch|SubmitForm|ImportData|URI|EmbeddedFile|EF|XFA|ObjStm|"
    rb"OpenAction|AA)\b|/[A-Za-z]*#[0-9A-Fa-f]{2}"
)


@dataclass
class PdfFacts:
    """What the document holds; all empty for a plain document."""

    javascript: bool = False
    auto_action: bool = False  # something runs at opening (/OpenAction, /AA) with a script
    launch: bool = False
    submit_form: bool = False
    links: list[str] = field(default_factory=list)
    embedded: list[tuple[str, bytes]] = field(default_factory=list)
    readable: bool = True


def _name(value: Any) -> str:
    return str(value) if value is not None else ""


def facts(data: bytes) -> PdfFacts:
    """The facts of one PDF; a broken or hostile document gives `readable=False`, never an
    exception."""
    out = PdfFacts()
    if len(data) > MAX_PDF_BYTES or not _WORTH_PARSING.search(data):
        return out
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _read(data, out)
    except Exception:  # a hostile document must never stop the scoring
        out.readable = False
        _raw(data, out)
    return out


_RAW_SCRIPT = re.compile(rb"/(?:JavaScript|JS)\b")
_RAW_AUTO = re.compile(rb"/(?:OpenAction|AA)\b")
_RAW_URI = re.compile(rb"/URI\s*\(([^)\\]{1,2000})\)")


def _raw(data: bytes, out: PdfFacts) -> None:
    """What the bytes show when the document cannot be parsed (no cross-reference, broken
    objects: made so on purpose to blind parsers): pdfid's keyword counts, plain names
    only."""
    out.javascript = out.javascript or bool(_RAW_SCRIPT.search(data))
    out.auto_action = out.auto_action or (out.javascript and bool(_RAW_AUTO.search(data)))
    out.launch = out.launch or b"/Launch" in data
    out.submit_form = out.submit_form or b"/SubmitForm" in data
    for m in _RAW_URI.finditer(data):
        if len(out.links) >= MAX_LINKS:
            break
        text = m.group(1).decode("latin-1").strip()
        if text and text not in out.links:
            out.links.append(text)


def _read(data: bytes, out: PdfFacts) -> None:
    import io

    from pypdf import PdfReader
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        reader.decrypt("")  # opened without a password, as a reader would (else: unreadable)
    stack: list[Any] = [reader.trailer]
    seen: set[tuple[int, int]] = set()
    visited = 0
    while stack and visited < MAX_OBJECTS:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            obj = obj.get_object()
        visited += 1
        if isinstance(obj, DictionaryObject):
            _judge(obj, out)
            stack.extend(obj.values())
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)


def _judge(obj: Any, out: PdfFacts) -> None:
    kind = _name(obj.get("/S"))
    script = "/JS" in obj or kind == "/JavaScript"
    if script:
        out.javascript = True
    if kind == "/Launch":
        out.launch = True
    elif kind == "/SubmitForm":
        out.submit_form = True
    if "/XFA" in obj:
        out.javascript = True  # an XFA form is a container of scripts
    uri = obj.get("/URI") if kind == "/URI" or "/URI" in obj else None
    if uri is not None and len(out.links) < MAX_LINKS:
        text = _text(uri)
        if text and text not in out.links:
            out.links.append(text)
    if "/EF" in obj and len(out.embedded) < MAX_EMBEDDED:
        out.embedded.append(_embedded(obj))
    for trigger in ("/OpenAction", "/AA"):
        action = obj.get(trigger)
        if action is not None and _runs_script(action):
            out.auto_action = True
            out.javascript = True


def _embedded(spec: Any) -> tuple[str, bytes]:
    """(name, first bytes) of an embedded file. The stream is inflated here, within
    MAX_EMBEDDED_BYTES, rather than by pypdf (which would inflate up to 75 MB per stream):
    a deflated or unfiltered stream is read, another filter gives the name only."""
    name = _text(spec.get("/UF") or spec.get("/F") or "")
    content = b""
    with contextlib.suppress(Exception):  # a broken file specification: the name is a fact
        stream = spec["/EF"].get_object().get("/F").get_object()
        raw = bytes(getattr(stream, "_data", b""))  # the stream as stored (pypdf's field)
        kind = stream.get("/Filter")
        kind = kind[0] if isinstance(kind, list) and len(kind) == 1 else kind
        if kind is None:
            content = raw[:MAX_EMBEDDED_BYTES]
        elif str(kind) == "/FlateDecode":
            content = zlib.decompressobj().decompress(raw, MAX_EMBEDDED_BYTES)
    return name, content


def _runs_script(action: Any) -> bool:
    """Whether an opening action (or an additional-actions dictionary) holds a script or
    a launch, looking one level into it."""
    try:
        action = action.get_object()
        values = [action, *(v.get_object() for v in action.values())]
    except Exception:  # an array destination, a broken reference
        return False
    return any(
        hasattr(v, "get") and ("/JS" in v or _name(v.get("/S")) in ("/JavaScript", "/Launch"))
        for v in values
    )


def _text(value: Any) -> str:
    value = value.get_object() if hasattr(value, "get_object") else value
    text = value.decode("latin-1", errors="replace") if isinstance(value, bytes) else str(value)
    return text.strip()[:2000]


__all__ = ["MAX_PDF_BYTES", "PdfFacts", "facts"]
