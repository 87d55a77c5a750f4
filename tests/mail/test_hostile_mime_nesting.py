"""A message of 1,000 nested multiparts (issue 21, defect 7): parsed as far as the depth
bound, stored by the ingest, scored and flagged for its nesting; never a RecursionError."""

from __future__ import annotations

from pathlib import Path

import pytest

from rempart.core.mimedepth import MAX_MIME_DEPTH, bound_mime_depth
from rempart.ingest.files import FileStatus, ingest_file
from rempart.mail.parse import parse_message
from rempart.mail.score import score_message
from rempart.model import Hospital
from rempart.model.hospital import HospitalInfo
from rempart.store import Store

HOSPITAL = Hospital(hospital=HospitalInfo(name="CHU Test", domains=("chu-test.fr",)))
HEAD = (
    b"From: Service RH <rh@exemple-rh.fr>\nTo: bob@chu-test.fr\nSubject: Bulletin de paie\n"
    b"Message-ID: <deep@exemple-rh.fr>\nDate: Mon, 11 Mar 2019 09:00:00 +0100\n"
    b"MIME-Version: 1.0\n"
)


def nested(depth: int, *, same_boundary: bool = False, folded: bool = False) -> bytes:
    out = HEAD
    for i in range(depth):
        b = b"x" if same_boundary else b"b%d" % i
        sep = b";\n\t" if folded else b"; "
        out += b"Content-Type: multipart/mixed" + sep + b'boundary="' + b + b'"\n\n--' + b + b"\n"
    out += b"Content-Type: text/plain\n\nVotre bulletin : http://paie.exemple-rh.fr/login\n"
    for i in reversed(range(depth)):
        out += b"--" + (b"x" if same_boundary else b"b%d" % i) + b"--\n"
    return out


@pytest.mark.parametrize("folded", [False, True])
def test_deep_nesting_is_cut_and_said(folded: bool) -> None:
    raw = nested(1000, folded=folded)
    cut, defect = bound_mime_depth(raw)
    assert defect is not None and str(MAX_MIME_DEPTH) in defect
    assert len(cut) < len(raw)
    mail = parse_message(raw)
    assert any(d.startswith("MIME nesting deeper") for d in mail.defects)
    assert mail.subject == "Bulletin de paie"


def test_nesting_within_the_bound_is_read_whole() -> None:
    raw = nested(MAX_MIME_DEPTH)
    assert bound_mime_depth(raw) == (raw, None)
    mail = parse_message(raw)
    assert "paie.exemple-rh.fr" in mail.text
    assert not any(d.startswith("MIME nesting") for d in mail.defects)


def test_same_boundary_at_every_level_never_recurses() -> None:
    mail = parse_message(nested(1000, same_boundary=True))
    assert mail.subject == "Bulletin de paie"


def test_deep_nesting_is_scored_and_flagged() -> None:
    verdict = score_message(nested(1000), HOSPITAL)
    assert "sig_mime_nesting" in verdict.signals
    assert verdict.score >= 40 and verdict.verdict.value != "clean"


def test_deep_nesting_is_stored_with_its_defect(tmp_path: Path) -> None:
    path = tmp_path / "deep.eml"
    path.write_bytes(nested(1000))
    store = Store.memory()
    res = ingest_file(store, path)
    assert res.status is FileStatus.INGESTED and res.records == 1 and res.rejected == 0
    row = store.sql("SELECT subject, defects FROM email").to_pylist()[0]
    assert row["subject"] == "Bulletin de paie"
    assert any(d.startswith("MIME nesting deeper") for d in row["defects"])
