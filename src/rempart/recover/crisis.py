"""The crisis log ("main courante"): append-only entries chained by SHA-256 over RFC 8785 JSON.

Each entry's hash is SHA-256 of the canonical JSON (RFC 8785, JCS) of its content and the
previous entry's hash: editing, inserting, deleting or reordering entries in the database file
breaks the chain at the first changed place, which `verify` reports. Removing the *last*
entries leaves a shorter valid chain: that is caught by an anchor, the head hash printed on
every situation report (`verify(anchor=...)` fails when the anchor is no longer in the chain).
Corrections are new entries whose `corrects` names the corrected entry's number.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import rfc8785

from rempart.cases import CaseError, CaseStore, InvalidValue

__all__ = [
    "CRISIS_KINDS",
    "GENESIS",
    "KIND_ALIASES",
    "ChainReport",
    "Entry",
    "append",
    "canonical",
    "entries",
    "entry_hash",
    "head",
    "kind_of",
    "verify",
    "verify_entries",
]

CRISIS_KINDS = ("decision", "action", "information", "point", "demande")  # = cases.models
GENESIS = "0" * 64  # the previous hash of entry #1
KIND_ALIASES = {
    "decision": "decision",
    "décision": "decision",
    "action": "action",
    "information": "information",
    "info": "information",
    "point": "point",
    "point de situation": "point",
    "situation": "point",
    "demande": "demande",
    "request": "demande",
}


def kind_of(text: str) -> str:
    key = text.strip().lower()
    if key not in KIND_ALIASES:
        raise InvalidValue(f"unknown kind {text!r} (one of {', '.join(CRISIS_KINDS)})")
    return KIND_ALIASES[key]


def canonical(value: Any) -> bytes:
    """RFC 8785 canonical JSON (sorted keys, no spaces, UTF-8, ECMAScript numbers)."""
    return rfc8785.dumps(value)


def _time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Entry:
    seq: int
    time: datetime
    author: str
    role: str
    kind: str
    text: str
    links: tuple[str, ...]
    corrects: int | None
    prev_hash: str
    hash: str

    def content(self) -> dict[str, Any]:
        """What the hash covers: everything but the hash itself."""
        return {
            "seq": self.seq,
            "time": _time(self.time),
            "author": self.author,
            "role": self.role,
            "kind": self.kind,
            "text": self.text,
            "links": list(self.links),
            "corrects": self.corrects,
            "prev_hash": self.prev_hash,
        }

    def to_dict(self) -> dict[str, Any]:
        return {**self.content(), "hash": self.hash}


def entry_hash(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(content)).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    """The verdict: `ok`, how many entries were checked, the head hash, and the first break."""

    ok: bool
    count: int
    head: str
    broken_at: int | None = None  # seq (or position) of the first entry that does not fit
    reason: str = ""


def verify_entries(items: Sequence[Entry], *, anchor: str | None = None) -> ChainReport:
    """Check numbering, links and hashes in order; then that `anchor` is one of the hashes."""
    prev = GENESIS
    seen: set[str] = set()
    for position, e in enumerate(items, start=1):
        if e.seq != position:
            return ChainReport(
                False,
                position - 1,
                prev,
                e.seq,
                f"entry #{e.seq} found at position {position} (missing or reordered entries)",
            )
        if e.prev_hash != prev:
            return ChainReport(
                False,
                position - 1,
                prev,
                e.seq,
                f"entry #{e.seq}: previous hash does not match entry #{e.seq - 1}",
            )
        if entry_hash(e.content()) != e.hash:
            return ChainReport(
                False, position - 1, prev, e.seq, f"entry #{e.seq}: content changed (hash mismatch)"
            )
        prev = e.hash
        seen.add(e.hash)
    if anchor is not None and anchor.strip().lower() not in seen | (
        {GENESIS} if not items else set()
    ):
        return ChainReport(
            False,
            len(items),
            prev,
            len(items) + 1,
            f"anchor {anchor[:16]}… is not in the chain: "
            "entries after it were removed or rewritten",
        )
    return ChainReport(True, len(items), prev)


def _from_row(row: Any, seqs: dict[int, int]) -> Entry:
    # A corrected entry removed from the file leaves a dangling id: an impossible number
    # (negative) that the hash then rejects.
    corrects = None if row.corrects_id is None else seqs.get(row.corrects_id, -int(row.corrects_id))
    return Entry(
        int(row.seq),
        row.time,
        row.author,
        row.role,
        row.kind,
        row.text,
        tuple(str(x) for x in (row.links or [])),
        corrects,
        row.prev_hash,
        row.hash,
    )


def entries(cases: CaseStore) -> list[Entry]:
    """Every entry, in order of their numbers."""
    from rempart.cases import models

    cases.activate()
    rows = list(models.CrisisEntry.objects.order_by("seq"))
    seqs = {int(r.id): int(r.seq) for r in rows}
    return [_from_row(r, seqs) for r in rows]


def head(cases: CaseStore) -> str:
    items = entries(cases)
    return items[-1].hash if items else GENESIS


def verify(cases: CaseStore, *, anchor: str | None = None) -> ChainReport:
    return verify_entries(entries(cases), anchor=anchor)


def append(
    cases: CaseStore,
    text: str,
    *,
    author: str,
    role: str = "",
    kind: str = "information",
    links: Sequence[str] = (),
    corrects: int | None = None,
) -> Entry:
    """Add one entry at the end of the chain (and its audit entry), in one transaction."""
    from django.db import transaction

    from rempart.cases import models

    kind = kind_of(kind)
    if not text.strip():
        raise InvalidValue("an entry needs a text")
    cases.activate()
    with transaction.atomic():
        last = models.CrisisEntry.objects.order_by("-seq").first()
        prev = last.hash if last is not None else GENESIS
        seq = (int(last.seq) if last is not None else 0) + 1
        target = None
        if corrects is not None:
            target = models.CrisisEntry.objects.filter(seq=corrects).first()
            if target is None:
                raise CaseError(f"no crisis log entry #{corrects} to correct")
        now = cases.timestamp().astimezone(UTC)
        entry = Entry(seq, now, author, role, kind, text.strip(), tuple(links), corrects, prev, "")
        digest = entry_hash(entry.content())
        models.CrisisEntry.objects.create(
            seq=seq,
            time=now,
            author=author,
            role=role,
            kind=kind,
            text=entry.text,
            links=list(entry.links),
            corrects=target,
            prev_hash=prev,
            hash=digest,
        )
        cases.audit(author, "crisis.add", "crisis", str(seq), {"kind": kind, "hash": digest})
    return Entry(seq, now, author, role, kind, entry.text, entry.links, corrects, prev, digest)
