"""Crafted messages for the mail tests (built here: no corpus file is copied)."""

from __future__ import annotations

import base64
import io
import zipfile
from email.message import EmailMessage

from rempart.mail.textmodel import TextModel
from rempart.model import Hospital
from rempart.model.hospital import HospitalInfo, Partner, Person

HOSPITAL = Hospital(
    hospital=HospitalInfo(name="CHU Test", domains=("chu-test.fr",)),
    partners=(Partner(id="labo", name="Labo Bio", domains=("biolab-sud.fr",)),),
    people=(Person(name="Marie Dupont", role="directrice générale"),),
)


def message(
    *,
    sender: str = "Alice Martin <alice.martin@chu-test.fr>",
    subject: str = "Réunion de service jeudi",
    text: str = "Bonjour, la réunion de service est déplacée à jeudi 14 h en salle 3. Merci.",
    html: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "bob@chu-test.fr"
    msg["Subject"] = subject
    msg["Message-ID"] = "<test-1@chu-test.fr>"
    for k, v in (headers or {}).items():
        msg[k] = v
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for name, data, ctype in attachments or []:
        maintype, subtype = ctype.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def zip_bytes(files: dict[str, bytes], *, level: int = 9) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


PE = b"MZ" + b"\x90\x00" * 30 + b"This program cannot be run in DOS mode" + b"\x00" * 200
LNK = b"L\x00\x00\x00\x01\x14\x02\x00" + b"\x00" * 100
ISO = b"\x00" * 0x8001 + b"CD001" + b"\x00" * 100
B64 = base64.b64encode


class SureModel(TextModel):
    """A text model that knows every text and gives each its prior (sigmoid of the
    intercept), with one word named: a model that says "phishing" to all of them."""

    def probability(self, subject: str, body: str) -> tuple[float, tuple[str, ...]]:
        return self.prior, ("mot",)
