"""Large base64 bodies kept out of Python's email parser, read from the raw bytes instead.

Python's `email` parser holds a message as lines of text: parsing a 50 MB message (a big
attachment) peaked at seven times its size, which made ingesting one such message cost
1.8 times what scoring it costs (the scorer reads the first 25 MB). The ingest needs only
an attachment's size and digest, so each run of base64 lines longer than `MIN_ELIDED` is
cut out of what the parser sees and replaced by one marker line; the part's size and
sha256 are then computed from the raw bytes, decoded a slice at a time. The text of a
body part cut out that way is decoded from the raw bytes too (bounded).
"""

from __future__ import annotations

import binascii
import hashlib
import re
from dataclasses import dataclass

MIN_MESSAGE = 4 << 20  # smaller messages are parsed as they are
MIN_ELIDED = 1 << 20  # a base64 run at least this long is read from the raw bytes
_RUN = re.compile(rb"(?m)(?:^[A-Za-z0-9+/]{16,998}={0,2}\r?\n){2048,}")
_MARKER = b"RempartElidedBody%dZ"
_STEP = 1 << 22  # raw bytes decoded at a time


@dataclass(frozen=True)
class Elided:
    """The raw bytes' base64 runs cut out of the parsed copy, by marker."""

    raw: bytes
    runs: dict[str, tuple[int, int]]

    def run_of(self, payload: object) -> tuple[int, int] | None:
        """The (start, end) of the run a part's raw payload stands for, or None."""
        if not self.runs or not isinstance(payload, str):
            return None
        return self.runs.get(payload.strip())

    def digest(self, run: tuple[int, int]) -> tuple[int, str]:
        """(decoded size, sha256) of a run, decoded a slice of whole lines at a time."""
        start, end = run
        view = memoryview(self.raw)
        h = hashlib.sha256()
        size = 0
        at = start
        while at < end:
            stop = min(end, at + _STEP)
            if stop < end:
                stop = self.raw.rfind(b"\n", at, stop) + 1 or end
            try:
                chunk = binascii.a2b_base64(view[at:stop])
            except binascii.Error:
                return self._whole(run)  # (lines not multiples of 4: decode it at once)
            h.update(chunk)
            size += len(chunk)
            at = stop
        return size, h.hexdigest()

    def _whole(self, run: tuple[int, int]) -> tuple[int, str]:
        try:
            data = binascii.a2b_base64(memoryview(self.raw)[run[0] : run[1]])
        except binascii.Error:
            data = b""
        return len(data), hashlib.sha256(data).hexdigest()

    def head(self, run: tuple[int, int], limit: int) -> bytes:
        """The first `limit` decoded bytes of a run (a body part's text)."""
        start, end = run
        stop = min(end, start + limit * 4 // 3 + 4)
        stop = self.raw.rfind(b"\n", start, stop) + 1 or stop
        try:
            return binascii.a2b_base64(memoryview(self.raw)[start:stop])[:limit]
        except binascii.Error:
            return b""


def elide(raw: bytes) -> tuple[bytes, Elided]:
    """The bytes the parser should read (each long base64 run a marker line), and what
    was cut out; a message under MIN_MESSAGE is returned as it is."""
    if len(raw) < MIN_MESSAGE:
        return raw, Elided(raw, {})
    pieces: list[bytes] = []
    runs: dict[str, tuple[int, int]] = {}
    last = 0
    for m in _RUN.finditer(raw):
        if m.end() - m.start() < MIN_ELIDED:
            continue
        marker = _MARKER % len(runs)
        runs[marker.decode()] = (m.start(), m.end())
        pieces += [raw[last : m.start()], marker, b"\n"]
        last = m.end()
    if not runs:
        return raw, Elided(raw, {})
    pieces.append(raw[last:])
    return b"".join(pieces), Elided(raw, runs)


__all__ = ["Elided", "elide"]
