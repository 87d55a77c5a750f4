"""Files and exploits hidden inside Office, RTF and OneNote documents, read without Office.

What phishing puts there, and what this module reports (never running anything):

- **Packaged files** (OLE `Ole10Native` "Package" objects): a script or program shown as an
  icon in a Word, Excel, PowerPoint or RTF document, run by a double click. Read with
  `oletools.oleobj` and `olefile` from OLE documents, from the `embeddings/` of OOXML ones,
  and with `oletools.rtfobj` from RTF.
- **Exploit objects**: the Equation Editor (CVE-2017-11882, CVE-2018-0802) and `OLE2Link`
  objects (CVE-2017-0199), still sent because old Office installs stay in hospitals.
- **Remote templates** (OOXML relationships of type attachedTemplate, oleObject, frame or
  subDocument with `TargetMode="External"`): the document fetches its payload when opened.
- **OneNote notebooks with embedded files** (`FileDataStoreObject`, [MS-ONESTORE] 2.6.13):
  the .hta, .cmd and .wsf files Qakbot sent in 2023, under a "double-click to view" button.

Each reader is bounded (`MAX_OBJECTS`, `MAX_BYTES`) and returns what it found; the caller
(`rempart.mail.attachments`) judges the files found as attachments in turn.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import warnings
import zipfile
from dataclasses import dataclass, field

MAX_OBJECTS = 20
MAX_BYTES = 8 * 1024 * 1024

ONENOTE_MAGIC = bytes.fromhex("e4525c7b8cd8a74daeb15378d02996d3")
_FILE_DATA = bytes.fromhex("e716e3bd65261145a4c48d4d0b7a9eac")  # FileDataStoreObject header
_PICTURE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"\x01\x00\x00\x00", b"II*\x00")

_REMOTE_TYPES = ("attachedtemplate", "oleobject", "frame", "subdocument")
_RELATIONSHIP = re.compile(rb"(?is)<Relationship\b[^>]*>")
_ATTR = re.compile(rb"""(?is)\b(Type|Target|TargetMode)\s*=\s*["']([^"']*)["']""")


@dataclass
class Objects:
    """What a document embeds: packaged files (name, bytes), other embedded files (an
    OOXML document's embedded workbook: judged by content only), exploit objects (what
    they are), remote targets fetched on opening, and unnamed embedded files (OneNote)."""

    packages: list[tuple[str, bytes]] = field(default_factory=list)
    embedded: list[tuple[str, bytes]] = field(default_factory=list)
    exploits: list[str] = field(default_factory=list)
    remote: list[str] = field(default_factory=list)
    blobs: list[bytes] = field(default_factory=list)


def _quiet() -> contextlib.ExitStack:
    """oletools logs parse errors and its dependencies warn on import: neither is ours."""
    stack = contextlib.ExitStack()
    stack.enter_context(warnings.catch_warnings())
    warnings.simplefilter("ignore")
    for name in ("olefile", "oletools", "rtfobj", "oleobj"):
        logger = logging.getLogger(name)
        if logger.level < logging.CRITICAL:
            previous = logger.level
            logger.setLevel(logging.CRITICAL)
            stack.callback(logger.setLevel, previous)
    return stack


def _native(stream: bytes) -> tuple[str, bytes] | None:
    """(file name, content) of an `Ole10Native` stream, or None if it is not readable."""
    from oletools.oleobj import OleNativeStream

    try:
        native = OleNativeStream(bindata=stream[:MAX_BYTES])
    except Exception:  # a hostile or truncated header
        return None
    name = str(native.filename or native.src_path or "").replace("\\", "/").rsplit("/", 1)[-1]
    content = native.data if isinstance(native.data, bytes) else b""
    return name, content[:MAX_BYTES]


def ole(data: bytes, found: Objects | None = None) -> Objects:
    """Packaged files and Equation Editor objects of an OLE document (doc, xls, ppt, or an
    OOXML `oleObject*.bin`)."""
    found = found if found is not None else Objects()
    import olefile

    with _quiet():
        try:
            doc = olefile.OleFileIO(io.BytesIO(data))
        except Exception:  # not OLE, or broken beyond reading
            return found
        try:
            # a broken directory: what was read before it stands
            with contextlib.suppress(Exception):
                for path in doc.listdir(streams=True, storages=False)[:2000]:
                    leaf = path[-1].lstrip("\x01\x03\x05").lower()
                    if leaf == "ole10native" and len(found.packages) < MAX_OBJECTS:
                        if doc.get_size("/".join(path)) <= MAX_BYTES:
                            got = _native(doc.openstream("/".join(path)).read(MAX_BYTES))
                            if got:
                                found.packages.append(got)
                    elif leaf == "equation native" and "Equation Editor" not in found.exploits:
                        found.exploits.append("Equation Editor")
        finally:
            doc.close()
    return found


# `\objdata` opens an embedded object's data; braces delimit RTF groups (`\{` is text)
_OBJDATA = re.compile(rb"\\objdata", re.IGNORECASE)
_BRACE = re.compile(rb"(?<!\\)[{}]")
_HEX = re.compile(rb"[0-9A-Fa-f]")
_TEXTISH_BYTES = 16384


def _object_groups(data: bytes) -> bytes:
    r"""The RTF groups that hold embedded objects, as one small RTF: `rtfobj` parses a text
    of 8.8 MB in 43 s, while the hex data of an object is quick to read. Each group is
    taken from the `{` that opens its `\object` (or its `\objdata`) to the matching `}`."""
    groups: list[bytes] = []
    budget = 2 * MAX_BYTES
    for m in _OBJDATA.finditer(data):
        if len(groups) >= MAX_OBJECTS:
            break
        back = max(0, m.start() - 4096)
        anchor = data.rfind(b"\\object", back, m.start())
        start = data.rfind(b"{", back, anchor if anchor >= 0 else m.start())
        start = start if start >= 0 else m.start()
        stop = min(len(data), start + 2 * MAX_BYTES)  # hex: two characters a byte
        depth, end = 0, stop
        for brace in _BRACE.finditer(data, start, stop):
            depth += 1 if brace.group() == b"{" else -1
            if depth <= 0:
                end = brace.end()
                break
        group = data[start:end]
        head = group[:65536]
        if len(_HEX.findall(head)) < len(head) // 2:
            # mostly not hex: text after an unclosed group, which rtfobj reads slowly; its
            # first bytes hold the object's header if there is one
            group = group[:_TEXTISH_BYTES]
        groups.append(group)
        budget -= len(group)
        if budget <= 0:
            break
    return b"{\\rtf1 " + b"".join(groups) + b"}" if groups else b""


def rtf(data: bytes) -> Objects:
    """Packaged files and exploit objects of an RTF document (`oletools.rtfobj`, on the
    groups that hold objects only)."""
    from oletools.rtfobj import RtfObjParser

    found = Objects()
    objects = _object_groups(data)
    if not objects:
        return found
    with _quiet():
        try:
            parser = RtfObjParser(objects)
            parser.parse()
        except Exception:
            return found
        for obj in parser.objects[:MAX_OBJECTS]:
            with contextlib.suppress(Exception):
                cls = bytes(obj.class_name or b"").lower() if obj.is_ole else b""
                if obj.is_package:
                    name = str(obj.filename or obj.src_path or "").replace("\\", "/")
                    content = obj.olepkgdata if isinstance(obj.olepkgdata, bytes) else b""
                    found.packages.append((name.rsplit("/", 1)[-1], content[:MAX_BYTES]))
                elif cls.startswith(b"equation"):
                    found.exploits.append("Equation Editor")
                elif cls == b"ole2link":
                    found.exploits.append("OLE2Link")
                elif obj.is_ole and isinstance(obj.oledata, bytes):
                    ole(obj.oledata, found)  # an OLE storage: its own packages
    found.exploits = list(dict.fromkeys(found.exploits))
    return found


def ooxml(data: bytes, members: list[zipfile.ZipInfo]) -> Objects:
    """Remote targets of an OOXML document's relationships, and the packaged files and
    exploit objects of its `embeddings/`."""
    found = Objects()
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        return found
    # what is inflated, all members together: the document's own size does not bound it
    # (deflate reaches 1000:1), and an Office file has few relationship parts and objects
    budget = 4 * MAX_BYTES
    embedded = 0
    with zf:
        for m in members:
            low = m.filename.lower()
            rels = low.endswith(".rels") and m.file_size <= 1024 * 1024
            inner = "/embeddings/" in low and m.file_size <= MAX_BYTES and embedded < MAX_OBJECTS
            if not (rels or inner) or m.file_size > budget:
                continue
            budget -= m.file_size
            with contextlib.suppress(Exception):  # a broken member is skipped
                content = zf.read(m.filename)
                if rels:
                    found.remote += _remote(content)
                    continue
                embedded += 1
                if content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
                    ole(content, found)
                else:
                    found.embedded.append((m.filename.rsplit("/", 1)[-1], content))
    found.remote = list(dict.fromkeys(found.remote))[:MAX_OBJECTS]
    return found


def _remote(rels: bytes) -> list[str]:
    """Targets of the relationships that make Office fetch something when it opens."""
    out: list[str] = []
    for tag in _RELATIONSHIP.findall(rels):
        attrs = {k.lower(): v for k, v in _ATTR.findall(tag)}
        kind = attrs.get(b"type", b"").decode("latin-1").lower().rsplit("/", 1)[-1]
        if attrs.get(b"targetmode", b"").lower() == b"external" and kind in _REMOTE_TYPES:
            out.append(attrs.get(b"target", b"").decode("utf-8", "replace")[:2000])
    return out


def onenote(data: bytes) -> Objects:
    """Files embedded in a OneNote section: each FileDataStoreObject's data (pictures
    left out: a note with photos is ordinary)."""
    found = Objects()
    start = 0
    while len(found.blobs) < MAX_OBJECTS:
        at = data.find(_FILE_DATA, start)
        if at < 0 or at + 36 > len(data):
            break
        size = int.from_bytes(data[at + 16 : at + 24], "little")
        body = data[at + 36 : at + 36 + min(size, MAX_BYTES)]
        start = at + 36 + min(size, len(data))
        if body and not body.startswith(_PICTURE_MAGIC):
            found.blobs.append(body)
    return found
