"""Alert emails and PDFs written by the tests (defanged, as CERT Santé or ANSSI send them)."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

SENT = datetime(2024, 3, 12, 9, 30, tzinfo=UTC)


def make_pdf(lines: list[str]) -> bytes:
    """A one-page PDF whose text is `lines` (Helvetica; ASCII only), built by hand."""
    ops = ["BT", "/F1 11 Tf", "14 TL", "50 780 Td"]
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(f"({escaped}) Tj T*")
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def alert_email(
    text: str,
    *,
    html: str | None = None,
    pdf_lines: list[str] | None = None,
    sender: str = "CERT Santé <alerte@esante.gouv.fr>",
    subject: str = "[TLP:AMBER] Alerte CERT Santé : campagne d'hameçonnage",
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "rssi@chu-exemple.fr"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(SENT)
    msg["Message-ID"] = "<alerte-2024-0312@esante.gouv.fr>"
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    if pdf_lines is not None:
        msg.add_attachment(
            make_pdf(pdf_lines), maintype="application", subtype="pdf", filename="iocs.pdf"
        )
    return msg.as_bytes()
