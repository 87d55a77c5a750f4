"""html_to_pdf: a PDF that opens, holds the text, carries attachments, fetches nothing."""

from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pypdf

from rempart.report.pdf import html_to_pdf


def _text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_pdf_opens_and_holds_text() -> None:
    pdf = html_to_pdf(
        "<html><body><h1>Point de situation</h1><p>Bâtiment A isolé</p></body></html>"
    )
    assert pdf.startswith(b"%PDF-")
    text = _text(pdf)
    assert "Point de situation" in text
    assert "Bâtiment A isolé" in text


def test_pdf_carries_attachments() -> None:
    pdf = html_to_pdf("<p>pack</p>", attachments=[("manifest.json", b'{"a":1}')])
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert reader.attachments["manifest.json"] == [b'{"a":1}']
    metadata = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b"pdfaid:part" in metadata  # PDF/A identification in the XMP metadata


def test_pdf_fetches_nothing(tmp_path: object) -> None:
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        html = (
            f'<link rel="stylesheet" href="{url}/x.css"><img src="{url}/x.png">'
            '<img src="file:///etc/passwd"><p>ok</p>'
        )
        pdf = html_to_pdf(html)
    finally:
        server.shutdown()
        server.server_close()
    assert hits == []
    assert "ok" in _text(pdf)
