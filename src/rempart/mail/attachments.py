"""Attachment inspection by content, never by name alone, and never by running anything.

Magic bytes say what a file is (PE, ELF, Mach-O, LNK, ISO 9660, UDF, OLE, OOXML, ZIP,
RAR, 7z, HTML); archives are listed from their directory only (no decompression, so a zip
bomb costs nothing) with a bounded member count; Office macros are read with `oletools`
(imported on first use); HTML attachments are scanned as text for credential forms and
HTML smuggling.
"""

from __future__ import annotations

import contextlib
import io
import re
import warnings
import zipfile
from dataclasses import dataclass

from rempart.mail.parse import Attachment, read_html

MAX_ARCHIVE_MEMBERS = 2000
MAX_NESTED = 2
BOMB_RATIO = 200  # declared uncompressed / compressed size

_EXEC_EXT = frozenset(
    [
        "exe",
        "scr",
        "com",
        "pif",
        "bat",
        "cmd",
        "vbs",
        "vbe",
        "js",
        "jse",
        "wsf",
        "wsh",
        "hta",
        "msi",
        "msp",
        "cpl",
        "dll",
        "jar",
        "ps1",
        "psm1",
        "reg",
        "lnk",
        "iso",
        "img",
        "vhd",
        "vhdx",
        "scf",
        "url",
        "application",
        "gadget",
        "msc",
        "chm",
        "one",
        "xll",
        "appref-ms",
    ]
)
_DOC_EXT = frozenset(
    [
        "pdf",
        "doc",
        "docx",
        "xls",
        "xlsx",
        "ppt",
        "pptx",
        "txt",
        "rtf",
        "jpg",
        "jpeg",
        "png",
        "gif",
        "odt",
        "ods",
    ]
)
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
    if head[:3] == b"\x1f\x8b\x08":
        return "gzip"
    if data[0x8001:0x8006] == b"CD001" or data[0x9001:0x9006] == b"CD001":
        return "iso"
    if data[0x8001:0x8006] in (b"BEA01", b"NSR02", b"NSR03"):
        return "udf"
    if head[:4] == b"\x78\x9f\x3e\x22":
        return "tnef"
    if head[:4] == b"%PDF":
        return "pdf"
    low = data[:2048].lstrip().lower()
    if low.startswith((b"<!doctype html", b"<html", b"<head", b"<script", b"<body", b"<meta")):
        return "html"
    return "other"


def _ext(name: str | None) -> str:
    if not name or "." not in name:
        return ""
    return name.rsplit(".", 1)[1].strip().lower()


def _zip_members(data: bytes) -> tuple[list[zipfile.ZipInfo], bool]:
    """Members of a zip from its central directory only; (members, readable)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return zf.infolist()[:MAX_ARCHIVE_MEMBERS], True
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
        return [], False


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


def inspect(att: Attachment, depth: int = 0) -> list[Finding]:
    """Facts about one attachment; archives are looked into (directory only, bounded)."""
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
    elif ext in _EXEC_EXT:
        out.append(Finding("att_exec_name", name, 50, ext))
    if ext and kind in ("pe", "elf", "lnk") and ext in _DOC_EXT:
        out.append(Finding("att_disguised", name, 20, ext))
    parts = (att.name or "").lower().rsplit(".", 2)
    if len(parts) == 3 and parts[1] in _DOC_EXT and parts[2] in _EXEC_EXT:
        out.append(Finding("att_double_ext", name, 25))
    if kind == "ole":
        macros, auto, calls = _vba(data, name)
        if macros:
            out.append(Finding("att_macro", name, 45 + 15 * auto + 10 * calls))
    elif kind == "zip":
        members, readable = _zip_members(data)
        if _ooxml_macros(members):
            macros, auto, calls = _vba(data, name)
            out.append(Finding("att_macro", name, 45 + 15 * auto + 10 * calls))
        elif not any(m.filename.startswith(("word/", "xl/", "ppt/")) for m in members):
            out.extend(_archive(members, readable, name, depth, data))
    elif kind == "tnef":
        out.append(Finding("att_tnef", name, 5))
    elif kind in ("rar", "7z"):
        out.append(Finding("att_archive_opaque", name, 20, kind))
    elif kind == "html" or ext in ("html", "htm", "shtml", "xhtml", "svg"):
        out.extend(_html_attachment(data, name))
    return out


def _archive(
    members: list[zipfile.ZipInfo], readable: bool, name: str, depth: int, data: bytes
) -> list[Finding]:
    out: list[Finding] = []
    if not readable:
        return [Finding("att_archive_broken", name, 15)]
    if any(m.flag_bits & 0x1 for m in members):
        out.append(Finding("att_archive_encrypted", name, 45))
    packed = sum(m.compress_size for m in members) or 1
    unpacked = sum(m.file_size for m in members)
    if unpacked / packed > BOMB_RATIO or unpacked > 4 * 1024**3:
        out.append(Finding("att_zip_bomb", name, 40, f"{unpacked // packed}:1"))
    for m in members:
        member_name = m.filename
        if ".." in member_name.replace("\\", "/").split("/") or member_name.startswith(("/", "\\")):
            out.append(Finding("att_path_traversal", name, 30, member_name[:80]))
            break
    for m in members:
        ext = _ext(m.filename)
        if ext in _EXEC_EXT:
            out.append(Finding("att_archive_exec", name, 65, m.filename[:80]))
            break
    if depth < MAX_NESTED and not any(f.key == "att_zip_bomb" for f in out):
        with contextlib.suppress(Exception), zipfile.ZipFile(io.BytesIO(data)) as zf:
            for m in members[:20]:
                if m.flag_bits & 0x1 or m.file_size > 2 * 1024 * 1024:
                    continue
                inner = zf.read(m)[: 2 * 1024 * 1024]
                sub = Attachment(m.filename, "application/octet-stream", inner, len(inner), "")
                for f in inspect(sub, depth + 1):
                    if f.key in ("att_executable", "att_lnk", "att_macro", "att_disk_image"):
                        out.append(Finding(f.key, f"{name}/{f.name}", f.points, f.detail))
    return out


def _html_attachment(data: bytes, name: str) -> list[Finding]:
    out = [Finding("att_html", name, 15)]
    text = data[:2_000_000]
    if _SCRIPT.search(text) and _SMUGGLING.search(text):
        out.append(Finding("att_html_smuggling", name, 55))
    facts = read_html(text.decode("utf-8", errors="replace"))
    if facts.passwords:
        out.append(Finding("att_credential_form", name, 55))
    return out
