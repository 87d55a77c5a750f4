"""Nested archive bombs (42.zip): what a zip of zips would expand to, from directories.

A flat bomb shows itself in its own directory (declared sizes hundreds of times the
packed ones). 42.zip does not: each of its five levels holds sixteen copies of the level
below, compressed at a modest ratio, and only the last level holds the 4 GB files; the
attachment inspection opens two levels, so it scored such a file clean. Here the
expansion is followed through every level of nested zips: a member that is a zip is read
(bounded) and its own declared expansion stands for its size, identical members (same
CRC and size: 42.zip's sixteen copies) read once. The total and the compound ratio are
what `rempart.mail.attachments` judges. The walk is bounded in levels, in members read
and in bytes decompressed, so it costs at most a few tens of megabytes of inflate.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

MAX_LEVELS = 8  # zip in zip... followed this deep
MAX_READS = 64  # nested zips read, per attachment
MAX_READ_BYTES = 48 * 1024 * 1024  # decompressed to follow the nesting, per attachment
MAX_MEMBER_BYTES = 8 * 1024 * 1024  # a nested zip larger than this is counted, not read
MAX_MEMBERS = 2000
MAX_PEEKS = 256  # members whose first bytes are looked at, per attachment
ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class Expansion:
    """What an archive would expand to, through its nested zips (bytes), and how deep."""

    total: int
    levels: int


@dataclass
class _Budget:
    reads: int = MAX_READS
    read_bytes: int = MAX_READ_BYTES
    peeks: int = MAX_PEEKS


def nested_expansion(data: bytes) -> Expansion:
    """The declared expansion of the zip `data`, nested zips followed; a zip that cannot
    be read counts as its own size."""
    memo: dict[tuple[int, int], Expansion] = {}
    return _expand(data, 1, memo, _Budget())


def _expand(
    data: bytes, level: int, memo: dict[tuple[int, int], Expansion], budget: _Budget
) -> Expansion:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()[:MAX_MEMBERS]
    except Exception:  # (a damaged archive: zipfile raises many kinds)
        return Expansion(len(data), 0)
    total = 0
    deepest = level
    with zf:
        for info in infos:
            size = info.file_size
            inner = _nested(zf, info, level, memo, budget)
            if inner is not None:
                size = max(size, inner.total)
                deepest = max(deepest, inner.levels)
            total += size
    return Expansion(total, deepest)


def _nested(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    level: int,
    memo: dict[tuple[int, int], Expansion],
    budget: _Budget,
) -> Expansion | None:
    """The expansion of a member that is itself a zip, or None."""
    key = (info.CRC, info.file_size)
    if key in memo:
        return memo[key]
    if (
        level >= MAX_LEVELS
        or info.flag_bits & 0x1  # encrypted
        or info.file_size > MAX_MEMBER_BYTES
        or info.file_size < 22  # (the smallest zip)
        or budget.reads <= 0
        or budget.peeks <= 0
        or budget.read_bytes < info.file_size
    ):
        return None
    budget.peeks -= 1
    try:
        with zf.open(info) as fh:
            if fh.read(4) != ZIP_MAGIC:
                return None
            budget.reads -= 1
            budget.read_bytes -= info.file_size
            inner = ZIP_MAGIC + fh.read(MAX_MEMBER_BYTES)
    except Exception:  # a broken member is skipped, never fatal
        return None
    found = _expand(inner, level + 1, memo, budget)
    memo[key] = found
    return found


__all__ = ["Expansion", "nested_expansion"]
