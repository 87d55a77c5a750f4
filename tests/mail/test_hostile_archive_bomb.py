"""A 42.zip-style nested archive bomb (issue 21, defect 12): the expansion through its
levels counts, not only each level's own ratio; an ordinary zip of zips stays clean."""

from __future__ import annotations

import io
import time
import zipfile
from email.message import EmailMessage

from rempart.mail.bombs import nested_expansion
from rempart.mail.score import score_message
from rempart.model import Hospital
from rempart.model.hospital import HospitalInfo

HOSPITAL = Hospital(hospital=HospitalInfo(name="CHU Test", domains=("chu-test.fr",)))


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def nested_bomb(levels: int = 4, copies: int = 16, leaf_mb: int = 1) -> bytes:
    """Each level holds `copies` copies of the one below; the leaf, files of zeros."""
    current = _zip({f"{i}.txt": b"\0" * (leaf_mb << 20) for i in range(copies)})
    for level in range(levels):
        current = _zip({f"lib {level} {i}.zip": current for i in range(copies)})
    return current


def _mail(name: str, data: bytes) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Comptabilité <compta@fournisseur-exemple.fr>"
    msg["To"] = "bob@chu-test.fr"
    msg["Subject"] = "Relevé"
    msg.set_content("Ci-joint le relevé.")
    msg.add_attachment(data, maintype="application", subtype="zip", filename=name)
    return msg.as_bytes()


def test_nested_bomb_is_flagged() -> None:
    bomb = nested_bomb()
    assert len(bomb) < 100_000
    grown = nested_expansion(bomb)
    assert grown.levels == 5 and grown.total == 16**5 * (1 << 20)
    start = time.monotonic()
    verdict = score_message(_mail("releve.zip", bomb), HOSPITAL)
    assert time.monotonic() - start < 30  # (bounded work; budgets belong in bench/)
    assert "att_zip_bomb" in verdict.signals
    assert verdict.verdict.value != "clean"


def test_zip_of_ordinary_zips_is_not_a_bomb() -> None:
    docs = _zip({f"compte-rendu-{i}.txt": f"Réunion {i}: ordre du jour.\n".encode() * 50
                 for i in range(5)})  # fmt: skip
    outer = _zip({"a.zip": docs, "b.zip": docs, "notes.txt": b"notes\n"})
    grown = nested_expansion(outer)
    assert grown.levels == 2 and grown.total < 100_000
    verdict = score_message(_mail("archives.zip", outer), HOSPITAL)
    assert "att_zip_bomb" not in verdict.signals


def test_damaged_nested_zip_counts_its_own_size() -> None:
    inner = _zip({"x.txt": b"x" * 1000})
    broken = inner[:10] + b"\xff" * 20 + inner[30:]
    outer = _zip({"broken.zip": broken})
    grown = nested_expansion(outer)
    assert grown.total >= len(broken)
    assert nested_expansion(b"PK\x03\x04 not a zip").total == 14
