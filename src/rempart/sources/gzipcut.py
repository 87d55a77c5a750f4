"""A gzip file cut in the middle: read what was written before the cut.

Zeek compresses a log when it rotates it, and a copy taken while the compressor was still
writing (or a transfer that stopped) ends mid-stream. DuckDB's gzip reader then stops with
an error and the whole file would fail. Nothing is paid on the normal path: only when the
parse of a gzip file fails is the file streamed through zlib, in byte chunks (bounded
memory, never the whole file), into a plain temporary file that ends at the last complete
line before the cut; the same source then parses that file, and the cut is recorded as a
rejected record with its reason (the partial last line, with its number). Concatenated
gzip members (`cat a.gz b.gz`) are followed member by member.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

GZIP_MAGIC = b"\x1f\x8b"
# compressed bytes read at a time: zlib gives nothing of the chunk in which it fails, so
# this is also how much may be lost before a corrupt block
_CHUNK = 1 << 16
_OUT_MAX = 1 << 24  # decompressed bytes produced at a time (a zip bomb stays bounded)


@dataclass(frozen=True)
class GzipCut:
    """Where a gzip stream stopped being readable, and what was kept before it."""

    path: Path  # the original (compressed) file
    kind: str  # "truncated" (ends mid-stream) or "corrupt" (zlib refused a block)
    offset: int  # compressed bytes read before the stream broke (the file's size if cut)
    lines: int  # complete lines kept in the plain file
    partial: bool  # a partial last line was dropped
    plain_bytes: int  # decompressed bytes kept

    @property
    def reason(self) -> str:
        """The reject reason that says what was lost (same wording for every source)."""
        if self.kind == "truncated":
            return (
                f"gzip stream truncated: rows after byte {self.offset} of the compressed "
                "file are missing"
            )
        return (
            f"gzip stream corrupt near byte {self.offset} of the compressed file: "
            "rows after it are missing"
        )

    @property
    def line(self) -> int | None:
        """The number of the partial line (None when the cut fell between two lines)."""
        return self.lines + 1 if self.partial else None

    @property
    def in_header(self) -> bool:
        """Nothing could be decompressed: the cut is inside the gzip header."""
        return self.plain_bytes == 0 and not self.partial


def is_gzip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == GZIP_MAGIC


class _Members:
    """The decompressed pieces of every member of a gzip file (`cat a.gz b.gz` too), read
    in chunks: `consumed` counts the compressed bytes read without error, `whole` says at
    the end of the file whether the last member ended properly; a corrupt block raises
    zlib.error out of `pieces`."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.consumed = 0
        self.whole = False

    def pieces(self, out_max: int) -> Iterator[bytes]:
        d = zlib.decompressobj(wbits=31)
        while chunk := self.fh.read(_CHUNK):
            data = chunk
            while data:
                piece = d.decompress(data, out_max)
                if piece:
                    yield piece
                if d.eof:
                    data = d.unused_data
                    if data:
                        d = zlib.decompressobj(wbits=31)
                else:
                    data = d.unconsumed_tail
            self.consumed += len(chunk)
        self.whole = d.eof


def gunzip_head(path: Path, size: int) -> tuple[bytes, bool]:
    """The first `size` decompressed bytes of a gzip file and whether the stream broke
    before them (a cut file still has a head to sniff)."""
    out = bytearray()
    with path.open("rb") as fh:
        members = _Members(fh)
        try:
            for piece in members.pieces(size):
                out += piece
                if len(out) >= size:
                    return bytes(out[:size]), False
        except zlib.error:
            return bytes(out[:size]), True
    return bytes(out), not members.whole


def gunzip_until_cut(path: Path, dest: Path) -> GzipCut | None:
    """Decompress `path` into `dest` up to the cut, ending at the last complete line.

    Returns None when the stream is whole (its members all end properly): the failure
    that led here was something else, and `dest` is of no use. Bytes after a complete
    last member that do not start another gzip member are a corruption too."""
    written = 0  # decompressed bytes written
    last_end = 0  # position just after the last newline written
    lines = 0
    with path.open("rb") as src, dest.open("wb") as out:
        members = _Members(src)
        try:
            for piece in members.pieces(_OUT_MAX):
                out.write(piece)
                n = piece.count(b"\n")
                if n:
                    lines += n
                    last_end = written + piece.rfind(b"\n") + 1
                written += len(piece)
        except zlib.error:
            kind = "corrupt"
        else:
            if members.whole:
                return None
            kind = "truncated"
        partial = written > last_end
        if partial:
            out.truncate(last_end)
    return GzipCut(path, kind, members.consumed, lines, partial, last_end)
