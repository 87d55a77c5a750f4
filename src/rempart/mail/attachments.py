"""Attachment inspection by content, never by name alone, and never by running anything.

Magic bytes say what a file is (PE, ELF, Mach-O, LNK, ISO 9660, UDF, OLE, OOXML, RTF,
OneNote, CHM, ZIP, RAR, 7z, gzip, bzip2, xz, tar, PDF, HTML). Archives are listed from their
directory only (zip, tar, RAR with `rarfile`, 7z with `py7zr`), with a bounded member
count, and small members of zip and tar archives are looked into in turn, two levels deep
(a zip in a zip is the usual way past a gateway that opens one level); single-file
compression (gzip, bzip2, xz) is decompressed up to `MAX_INNER_BYTES` only, so a bomb
costs nothing. Office macros are read with `oletools`, PDFs with `pypdf`
(`rempart.mail.pdfcheck`), both imported on first use; files packaged in Office, RTF and
OneNote documents, their exploit objects and remote templates with
`rempart.mail.officeobj`. HTML attachments are scanned as text for credential forms and
HTML smuggling, and the files their `data:` links carry are judged.
"""

from __future__ import annotations

import base64
import binascii
import bz2
import contextlib
import dataclasses
import io
import lzma
import re
import tarfile
import warnings
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from rempart.mail import officeobj, pdfcheck
from rempart.mail.bombs import nested_expansion
from rempart.mail.parse import Attachment, read_html
from rempart.mail.wordlists import attachment_lists

MAX_ARCHIVE_MEMBERS = 2000
MAX_NESTED = 2
MAX_INNER_BYTES = 8 * 1024 * 1024  # read of a compressed stream or an archive member
BOMB_RATIO = 200  # declared uncompressed / compressed size
MAX_EXPANDED = 4 * 1024**3  # what an archive may expand to, nested levels included

_EXEC_EXT = frozenset(attachment_lists().executable)
_DOC_EXT = frozenset(attachment_lists().document)
_SMUGGLING = re.compile(
    rb"(?i)(msSaveOrOpenBlob|new\s+Blob\s*\(|URL\.createObjectURL|\.download\s*=|"
    rb"atob\s*\(|data:application/(?:octet-stream|x-msdownload|zip|x-zip))"
)
_SCRIPT = re.compile(rb"(?i)<script")
_AUTO_EXEC = re.compile(
    r"(?i)\b(AutoOpen|Document_Open|Workbook_Open|Auto_Open|Document_Close)\b"
)  # fmt: skip
_SUSPICIOUS_VBA = re.compile(
    r"(?i)\b(Shell|CreateObject|WScript|URLDownloadToFile|XMLHTTP|PowerShell|Environ|"
    r"CallByName|ExecuteExcel4Macro)\b"
)


@dataclass(frozen=True)
class Finding:
    """One fact about one attachment: a reason key, the attachment name and points."""

    key: str
    name: str
    points: int
    detail: str = ""


def kind_of(data: bytes) -> str:
    """The file type from its first bytes (and the ISO 9660 marker at 0x8001)."""
    head = data[:16]
    if head[:2] == b"MZ":
        return "pe"
    if head[:4] == b"\x7fELF":
        return "elf"
    if head[:4] in (
        b"\xfe\xed\xfa\xce",
        b"\xfe\xed\xfa\xcf",
        b"\xcf\xfa\xed\xfe",
        b"\xca\xfe\xba\xbe",
    ):
        return "macho"
    if head[:4] == b"L\x00\x00\x00" and data[4:8] == b"\x01\x14\x02\x00":
        return "lnk"
    if head[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "ole"
    if head[:4] == b"PK\x03\x04" or head[:4] == b"PK\x05\x06":
        return "zip"
    if head[:6] == b"Rar!\x1a\x07":
        return "rar"
    if head[:6] == b"7z\xbc\xaf\x27\x1c":
        return "7z"
    if head[:4] == b"MSCF":
        return "cab"
    if data[7:14] == b"**ACE**":
        return "ace"
    if head[:2] == b"\x60\xea":
        return "arj"
    if head[:3] == b"\x1f\x8b\x08":
        return "gzip"
    if head[:3] == b"BZh" and head[3:4].isdigit():
        return "bzip2"
    if head[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if data[257:262] == b"ustar":
        return "tar"
    if data[0x8001:0x8006] == b"CD001" or data[0x9001:0x9006] == b"CD001":
        return "iso"
    if data[0x8001:0x8006] in (b"BEA01", b"NSR02", b"NSR03"):
        return "udf"
    if head[:4] == b"\x78\x9f\x3e\x22":
        return "tnef"
    if head[:4] == b"%PDF":
        return "pdf"
    if head[:4] == b"{\\rt":  # what Word checks; `{\\rtf1` is not required
        return "rtf"
    if head == officeobj.ONENOTE_MAGIC:
        return "onenote"
    if head[:4] == b"ITSF":
        return "chm"
    low = data[:2048].lstrip().lower()
    if low.startswith((b"<!doctype html", b"<html", b"<head", b"<script", b"<body", b"<meta")):
        return "html"
    if _SVG.match(data[:4096]):
        return "svg"
    return "other"


def _ext(name: str | None) -> str:
    if not name or "." not in name:
        return ""
    return name.rsplit(".", 1)[1].strip().lower()


@dataclass(frozen=True)
class Member:
    """One file of an archive, as the archive's directory describes it."""

    name: str
    size: int  # declared uncompressed size
    packed: int
    encrypted: bool = False


# reads one member's bytes (bounded), or None
Reader = Callable[[Member], bytes | None]


def _zip_members(data: bytes) -> tuple[list[zipfile.ZipInfo], bool]:
    """Members of a zip from its central directory only; (members, readable)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return zf.infolist()[:MAX_ARCHIVE_MEMBERS], True
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
        return [], False


def _zip_reader(data: bytes) -> Reader:
    def read(member: Member) -> bytes | None:
        # zipfile stops at the declared size, which the caller bounded
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return zf.read(member.name)[:MAX_INNER_BYTES]

    return read


def _tar_members(data: bytes) -> tuple[list[Member], Reader | None]:
    """Regular files of a tar (the readable part of a truncated one); (members, reader)."""
    members: list[Member] = []
    infos: dict[str, tarfile.TarInfo] = {}
    try:
        tf = tarfile.open(fileobj=io.BytesIO(data), mode="r:")  # noqa: SIM115 - kept for reads
        for info in tf:
            if len(members) >= MAX_ARCHIVE_MEMBERS:
                break
            if info.isfile() or info.issym() or info.islnk():
                target = info.linkname if not info.isfile() else ""
                members.append(Member(info.name, info.size, info.size))
                if target:  # a link's target is a path too (traversal)
                    members.append(Member(target, 0, 0))
                infos[info.name] = info
    except (tarfile.TarError, EOFError, OSError, ValueError):
        if not members:
            return [], None

    def read(member: Member) -> bytes | None:
        info = infos.get(member.name)
        handle = tf.extractfile(info) if info is not None and info.isfile() else None
        return handle.read(MAX_INNER_BYTES) if handle is not None else None

    return members, read


def _rar_members(data: bytes) -> tuple[list[Member], bool, bool]:
    """Members of a RAR from its headers (`rarfile`, which needs no `unrar` to list);
    (members, readable, names hidden by a password)."""
    import rarfile

    try:
        with rarfile.RarFile(io.BytesIO(data)) as rf:
            infos = rf.infolist()[:MAX_ARCHIVE_MEMBERS]
            members = [
                Member(i.filename or "", i.file_size or 0, i.compress_size or 0, i.needs_password())
                for i in infos
            ]
            return members, bool(members), False
    except rarfile.PasswordRequired:
        return [], True, True
    except Exception:  # rarfile's errors, and what a hostile header makes it raise
        return [], False, False


def _7z_members(data: bytes) -> tuple[list[Member], bool, bool]:
    """Members of a 7z from its header (`py7zr`, which bounds the header it decodes);
    (members, readable, names hidden by a password). Members are listed, not unpacked."""
    import py7zr

    try:
        with py7zr.SevenZipFile(io.BytesIO(data)) as archive:
            locked = archive.needs_password()
            members = [
                Member(i.filename or "", i.uncompressed or 0, i.compressed or 0, locked)
                for i in archive.list()[:MAX_ARCHIVE_MEMBERS]
                if not i.is_directory
            ]
    except py7zr.PasswordRequired:
        return [], True, True
    except Exception:  # py7zr's errors, and what a hostile header makes it raise
        return [], False, False
    if members and not any(m.packed for m in members):  # solid: one stream for all
        members[0] = dataclasses.replace(members[0], packed=len(data))
    return members, bool(members), False


def _decompress(kind: str, data: bytes) -> tuple[bytes, bool] | None:
    """The first MAX_INNER_BYTES of a gzip, bzip2 or xz stream and whether it is a bomb
    (more than BOMB_RATIO times its size); None when the stream is broken."""
    try:
        if kind == "gzip":
            out = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data, MAX_INNER_BYTES)
        elif kind == "bzip2":
            out = bz2.BZ2Decompressor().decompress(data, max_length=MAX_INNER_BYTES)
        else:
            out = lzma.LZMADecompressor().decompress(data, max_length=MAX_INNER_BYTES)
    except (zlib.error, OSError, EOFError, ValueError, lzma.LZMAError):
        return None
    return out, len(out) > BOMB_RATIO * max(len(data), 1)


_COMPRESSED_EXT = {"gz": "", "tgz": ".tar", "bz2": "", "tbz2": ".tar", "xz": "", "txz": ".tar"}


def _inner_name(name: str | None) -> str:
    """`report.pdf.gz` -> `report.pdf`, `logs.tgz` -> `logs.tar`."""
    if not name:
        return "(contenu)"
    stem, _, ext = name.rpartition(".")
    suffix = _COMPRESSED_EXT.get(ext.lower())
    return stem + suffix if suffix is not None and stem else name


def _ooxml_macros(members: list[zipfile.ZipInfo]) -> bool:
    return any(m.filename.lower().endswith("vbaproject.bin") for m in members)


def _vba(data: bytes, name: str) -> tuple[bool, bool, bool]:
    """(has macros, auto-executes, suspicious calls) via oletools; never raises."""
    with warnings.catch_warnings():  # oletools' dependencies warn on import (pyparsing)
        warnings.simplefilter("ignore")
        return _vba_quiet(data, name)


def _vba_quiet(data: bytes, name: str) -> tuple[bool, bool, bool]:
    try:
        from oletools.olevba import VBA_Parser
    except ImportError:  # pragma: no cover - oletools is a dependency
        return False, False, False
    try:
        parser = VBA_Parser(name or "attachment", data=data)
        try:
            if not parser.detect_vba_macros():
                return False, False, False
            code = "\n".join(str(c[3]) for c in parser.extract_macros())[:500_000]
            return True, bool(_AUTO_EXEC.search(code)), bool(_SUSPICIOUS_VBA.search(code))
        finally:
            parser.close()
    except Exception:
        return False, False, False


# Zip-based document formats: a zip named like them is what it says
_ZIP_DOCS = frozenset(["docx", "xlsx", "pptx", "docm", "xlsm", "pptm", "odt", "ods", "odp"])
_ARCHIVES = frozenset(["zip", "rar", "7z", "gzip", "bzip2", "xz", "tar", "cab", "ace", "arj"])
# Inner findings not carried up to the attachment (weak, or said at the outer level)
_NOT_CARRIED = frozenset(["att_html", "att_tnef", "att_archive_broken"])


@dataclass
class Report:
    """What a message's attachments hold: the findings, and the links their documents
    (PDFs) point to, which the link signals then read like the message's own."""

    findings: list[Finding] = field(default_factory=list)
    links: list[str] = field(default_factory=list)


_SHORTCUT_URL = re.compile(rb"(?im)^[ \t]*URL[ \t]*=[ \t]*([^\r\n]{1,2000})")
_WEB_TARGET = re.compile(r"(?i)^https?://[^\s\\]+$")


def shortcut_target(data: bytes) -> str | None:
    """The target of an Internet shortcut (`.url`: an INI file with a `URL=` line)."""
    m = _SHORTCUT_URL.search(data[:20_000])
    return m.group(1).decode("utf-8", "replace").strip() if m else None


def _shortcut(data: bytes, name: str, links: list[str] | None) -> list[Finding]:
    """An Internet shortcut is judged by its target: a web page is a link (the link
    signals read it); a file, a share (UNC/SMB/WebDAV) or a program is what attackers use
    them for, since Windows opens such targets without a browser's warnings."""
    target = shortcut_target(data)
    if target and _WEB_TARGET.match(target) and not target.lower().startswith("http://\\"):
        path = urlsplit(target).path.rsplit("/", 1)[-1]
        if _ext(path) not in _EXEC_EXT:
            if links is not None and target not in links:
                links.append(target)
            return [Finding("att_url_link", name, 0, target[:80])]
    return [Finding("att_url_dangerous", name, 60, (target or "?")[:80])]


def examine(attachments: tuple[Attachment, ...] | list[Attachment]) -> Report:
    """Every attachment of a message inspected once."""
    report = Report()
    for att in attachments:
        report.findings.extend(inspect(att, links=report.links))
    return report


def inspect(att: Attachment, depth: int = 0, links: list[str] | None = None) -> list[Finding]:
    """Facts about one attachment; archives and PDFs are looked into (bounded). Links found
    in documents are appended to `links` when given."""
    name = att.name or "(sans nom)"
    data = att.data
    kind = kind_of(data)
    ext = _ext(att.name)
    out: list[Finding] = []
    if kind in ("pe", "elf", "macho"):
        out.append(Finding("att_executable", name, 70, kind.upper()))
    elif kind == "lnk":
        out.append(Finding("att_lnk", name, 70))
    elif kind in ("iso", "udf") or ext in ("iso", "img", "vhd", "vhdx"):
        out.append(Finding("att_disk_image", name, 55))
    elif ext == "url" or data[:18].lower() == b"[internetshortcut]":
        out.extend(_shortcut(data, name, links))
    elif ext in _EXEC_EXT:
        out.append(Finding("att_exec_name", name, 50, ext))
    if ext and kind in ("pe", "elf", "lnk") and ext in _DOC_EXT:
        out.append(Finding("att_disguised", name, 20, ext))
    if ext in _DOC_EXT and ext not in _ZIP_DOCS and kind in _ARCHIVES:
        # an archive named like a document: content, not name, says what it is
        out.append(Finding("att_disguised_archive", name, 25, ext))
    parts = (att.name or "").lower().rsplit(".", 2)
    if len(parts) == 3 and parts[1] in _DOC_EXT and parts[2] in _EXEC_EXT:
        out.append(Finding("att_double_ext", name, 25))
    if kind == "ole":
        macros, auto, calls = _vba(data, name)
        if macros:
            out.append(Finding("att_macro", name, 45 + 15 * auto + 10 * calls))
        out.extend(_objects(officeobj.ole(data), name, depth, links))
    elif kind == "rtf":
        out.extend(_objects(officeobj.rtf(data), name, depth, links))
    elif kind == "onenote":
        out.extend(_onenote(data, name, depth, links))
    elif kind == "chm":
        out.append(Finding("att_chm", name, 55))
    elif kind == "zip":
        zip_infos, readable = _zip_members(data)
        office = any(m.filename.startswith(("word/", "xl/", "ppt/")) for m in zip_infos)
        macros = _ooxml_macros(zip_infos)
        if macros:
            _, auto, calls = _vba(data, name)
            out.append(Finding("att_macro", name, 45 + 15 * auto + 10 * calls))
        if office:
            out.extend(_objects(officeobj.ooxml(data, zip_infos), name, depth, links))
        elif not macros:
            members = [
                Member(m.filename, m.file_size, m.compress_size, bool(m.flag_bits & 0x1))
                for m in zip_infos
            ]
            out.extend(_archive(members, readable, name, depth, _zip_reader(data), links))
            if depth == 0 and readable:
                out.extend(_nested_bomb(data, name, out))
    elif kind == "tar":
        members, read = _tar_members(data)
        out.extend(_archive(members, read is not None, name, depth, read, links))
    elif kind in ("rar", "7z"):
        members, readable, hidden = (_rar_members if kind == "rar" else _7z_members)(data)
        if hidden:
            out.append(Finding("att_archive_encrypted", name, 45))
        else:
            out.extend(_archive(members, readable, name, depth, None, links))
    elif kind in ("gzip", "bzip2", "xz"):
        out.extend(_compressed(kind, data, name, depth, links))
    elif kind == "tnef":
        out.append(Finding("att_tnef", name, 5))
    elif kind in ("cab", "ace", "arj"):
        # not listed here; old formats that mail filters skip, which is why malicious mail
        # uses them
        out.append(Finding("att_archive_opaque", name, 30, kind))
    elif kind == "pdf":
        out.extend(_pdf(data, name, depth, links))
    elif kind in ("html", "svg") or ext in ("html", "htm", "shtml", "xhtml", "svg"):
        svg = kind == "svg" or ext == "svg"
        out.extend(_html_attachment(data, name, links, svg=svg, depth=depth))
    return out


def _short(name: str, keep: int = 40) -> str:
    return name if len(name) <= keep else name[: keep - 1] + "…"


def _carried(sub: Attachment, outer: str, depth: int, links: list[str] | None) -> list[Finding]:
    """The findings of a file inside another (archive member, embedded file), named
    `outer/inner`; an executable's name becomes "an archive holding an executable"."""
    out: list[Finding] = []
    for f in inspect(sub, depth + 1, links):
        if f.key in _NOT_CARRIED:
            continue
        if f.key == "att_exec_name":
            f = Finding("att_archive_exec", f.name, 65, f.name[:80])
        out.append(Finding(f.key, f"{_short(outer)}/{f.name}", f.points, f.detail))
    return out


def _inside(
    files: list[tuple[str, bytes]],
    outer: str,
    depth: int,
    links: list[str] | None,
    drop: frozenset[str] = frozenset(),
) -> list[Finding]:
    """The findings of the files a document carries (PDF embedded files, Office packages,
    OneNote files, `data:` links), judged by content and named `outer/inner`, within the
    nesting bound; `drop` leaves out what the caller already said of them."""
    if depth >= MAX_NESTED:
        return []
    out: list[Finding] = []
    for file_name, content in files:
        sub = Attachment(file_name, "application/octet-stream", content, len(content), "")
        out.extend(f for f in _carried(sub, outer, depth, links) if f.key not in drop)
    return out


# an executable-type name the document's own finding already names
_NAMED_EXEC = frozenset(["att_archive_exec"])


def _archive(
    members: list[Member],
    readable: bool,
    name: str,
    depth: int,
    read: Reader | None,
    links: list[str] | None = None,
) -> list[Finding]:
    out: list[Finding] = []
    if not readable:
        return [Finding("att_archive_broken", name, 15)]
    if any(m.encrypted for m in members):
        out.append(Finding("att_archive_encrypted", name, 45))
    packed = sum(m.packed for m in members) or 1
    unpacked = sum(m.size for m in members)
    if unpacked / packed > BOMB_RATIO or unpacked > MAX_EXPANDED:
        out.append(Finding("att_zip_bomb", name, 40, f"{unpacked // packed}:1"))
    for m in members:
        path = m.name.replace("\\", "/")
        if ".." in path.split("/") or path.startswith("/") or path[1:3] == ":/":
            out.append(Finding("att_path_traversal", name, 30, m.name[:80]))
            break
    for m in members:
        if _ext(m.name) in _EXEC_EXT:
            out.append(Finding("att_archive_exec", name, 65, m.name[:80]))
            break
    if read is None or depth >= MAX_NESTED or any(f.key == "att_zip_bomb" for f in out):
        return out
    for m in members[:20]:
        if m.encrypted or m.size > MAX_INNER_BYTES:
            continue
        inner: bytes | None = None
        with contextlib.suppress(Exception):  # a broken member is skipped, never fatal
            inner = read(m)
        if inner:
            sub = Attachment(m.name, "application/octet-stream", inner, len(inner), "")
            out.extend(_carried(sub, name, depth, links))
    return out


def _nested_bomb(data: bytes, name: str, found: list[Finding]) -> list[Finding]:
    """A zip of zips that expands beyond the bounds through its levels (42.zip), when its
    levels did not already show a bomb (`rempart.mail.bombs`)."""
    if any(f.key == "att_zip_bomb" for f in found):
        return []
    grown = nested_expansion(data)
    ratio = grown.total // max(len(data), 1)
    if grown.levels > 1 and (ratio > BOMB_RATIO or grown.total > MAX_EXPANDED):
        return [Finding("att_zip_bomb", name, 40, f"{ratio}:1, {grown.levels} levels")]
    return []


def _compressed(
    kind: str, data: bytes, name: str, depth: int, links: list[str] | None
) -> list[Finding]:
    """A gzip / bzip2 / xz file: its (bounded) content judged as the file it holds."""
    got = _decompress(kind, data)
    if got is None:
        return [Finding("att_archive_broken", name, 15)]
    inner, bomb = got
    if bomb:
        return [Finding("att_zip_bomb", name, 40, f"> {BOMB_RATIO}:1")]
    if depth >= MAX_NESTED or not inner:
        return []
    sub = Attachment(
        _inner_name(name.split("/")[-1]), "application/octet-stream", inner, len(inner), ""
    )
    return _carried(sub, name, depth, links)


def _pdf(data: bytes, name: str, depth: int, links: list[str] | None) -> list[Finding]:
    """Scripts, launches, sending forms and embedded files of a PDF; its links go to
    `links`."""
    facts = pdfcheck.facts(data)
    out: list[Finding] = []
    if facts.launch:
        out.append(Finding("att_pdf_launch", name, 55))
    if facts.javascript:
        # forms made with Acrobat carry formatting scripts; one run at opening is rarer
        out.append(Finding("att_pdf_script", name, 35 if facts.auto_action else 20))
    if facts.submit_form:
        out.append(Finding("att_pdf_form", name, 20))
    if links is not None:
        links.extend(u for u in facts.links if u not in links)
    for file_name, content in facts.embedded:
        if _ext(file_name) in _EXEC_EXT:
            out.append(Finding("att_pdf_embedded_exec", name, 65, file_name[:80]))
        out.extend(_inside([(file_name, content)], name, depth, links, _NAMED_EXEC))
    return out


def _objects(
    found: officeobj.Objects, name: str, depth: int, links: list[str] | None
) -> list[Finding]:
    """Findings for what a document embeds (see `rempart.mail.officeobj`), and the
    findings of the embedded files themselves, named `document/file`."""
    out: list[Finding] = []
    if found.exploits:
        out.append(Finding("att_office_exploit", name, 60, found.exploits[0]))
    if found.remote:
        out.append(Finding("att_remote_template", name, 50, found.remote[0][:80]))
        if links is not None:
            links.extend(u for u in found.remote if u.lower().startswith(("http://", "https://")))
    runnable = [f for f, _ in found.packages if _ext(f) in _EXEC_EXT]
    if runnable:
        out.append(Finding("att_office_package_exec", name, 65, runnable[0][:80]))
    elif found.packages:
        # a file shown as an icon, opened by a double click: rare in honest documents
        out.append(Finding("att_office_package", name, 25, found.packages[0][0][:80] or "?"))
    out.extend(_inside([*found.packages, *found.embedded], name, depth, links, _NAMED_EXEC))
    return out


def _onenote(data: bytes, name: str, depth: int, links: list[str] | None) -> list[Finding]:
    """A OneNote section holding files (pictures aside): each is judged by its content."""
    blobs = officeobj.onenote(data).blobs
    if not blobs:
        return []
    numbered = [(f"#{i}", blob) for i, blob in enumerate(blobs, 1)]
    return [
        Finding("att_onenote_embedded", name, 50, str(len(blobs))),
        *_inside(numbered, name, depth, links),
    ]


# `data:` links that carry a file in the page itself (base64): a click saves it, no script
# needed. Bounded: the first few, each at most MAX_INNER_BYTES once decoded.
_DATA_LINK = re.compile(rb"(?i)data:([a-z0-9.+/-]{0,80})(?:;[a-z0-9=._-]{1,40})*;base64,")
_B64 = re.compile(rb"[A-Za-z0-9+/=\s]{1,%d}" % (MAX_INNER_BYTES * 4 // 3 + 4))
_PLAIN_DATA = frozenset([b"image/png", b"image/jpeg", b"image/gif", b"image/webp", b"font/woff"])


def _data_links(text: bytes, name: str, depth: int, links: list[str] | None) -> list[Finding]:
    """Findings of the files carried by the page's base64 `data:` links (pictures and
    fonts, which every designed e-mail inlines, are not decoded)."""
    out: list[Finding] = []
    if depth >= MAX_NESTED:
        return out
    for i, m in enumerate(_DATA_LINK.finditer(text)):
        if i >= 10:
            break
        if m.group(1).lower() in _PLAIN_DATA:
            continue
        body = _B64.match(text, m.end())
        if body is None:
            continue
        raw = re.sub(rb"[\s=]+", b"", body.group(0))
        try:
            content = base64.b64decode(raw + b"=" * (-len(raw) % 4))
        except (ValueError, binascii.Error):
            continue
        out.extend(_inside([("data:", content)], name, depth, links))
    return out


# An HTML page that sends its reader elsewhere as soon as it opens: the "invoice.html"
# redirector of credential phishing (a meta refresh, or a script setting the location)
_META_REFRESH = re.compile(
    rb"""(?is)<meta[^>]+http-equiv\s*=\s*["']?refresh[^>]*content\s*=\s*["']?\s*\d*\s*;?\s*url\s*=\s*['"]?([^"'>\s]+)"""
)
_SCRIPT_REDIRECT = re.compile(
    rb"""(?is)(?:window\.|document\.|top\.|self\.)?location(?:\.href)?\s*=\s*|location\.(?:replace|assign)\s*\("""
)
_SCRIPT_URL = re.compile(rb"""(?i)["'`](https?://[^"'`\s]{4,2000})["'`]""")
_SVG = re.compile(rb"(?is)^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*|<!doctype[^>]*>\s*)*<svg\b")
_SVG_ACTIVE = re.compile(rb"(?i)<script|\son[a-z]+\s*=|<foreignobject|javascript:")


def _html_attachment(
    data: bytes, name: str, links: list[str] | None = None, svg: bool = False, depth: int = 0
) -> list[Finding]:
    out = [Finding("att_html", name, 15)]
    text = data[:2_000_000]
    scripted = bool(_SCRIPT.search(text))
    carried = _data_links(text, name, depth, links)
    if (scripted and _SMUGGLING.search(text)) or carried:
        out.append(Finding("att_html_smuggling", name, 55))
    out.extend(carried)
    if svg and _SVG_ACTIVE.search(text):
        # a picture has no use for scripts, event handlers or embedded HTML
        out.append(Finding("att_svg_active", name, 45))
    targets: list[str] = []
    refresh = _META_REFRESH.search(text)
    if refresh:
        targets.append(refresh.group(1).decode("latin-1"))
    if scripted and _SCRIPT_REDIRECT.search(text):
        targets.extend(m.group(1).decode("latin-1") for m in _SCRIPT_URL.finditer(text[:200_000]))
        if not targets:
            targets.append("")  # the address is built by the script: still a redirect
    if targets:
        out.append(Finding("att_html_redirect", name, 40, targets[0][:80]))
    facts = read_html(text.decode("utf-8", errors="replace"))
    if facts.passwords:
        out.append(Finding("att_credential_form", name, 55))
    if links is not None:
        # where the page sends its reader or what it types: judged like the message's links
        for url in [*targets, *facts.forms][:20]:
            if url.lower().startswith(("http://", "https://")) and url not in links:
                links.append(url)
    return out
