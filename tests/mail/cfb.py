"""A small writer of OLE compound files ([MS-CFB] version 3), to build Outlook `.msg`
test files: no library writes them (olefile only reads), and no `.msg` corpus is shared.

`write_cfb(tree)` takes nested dicts: a key maps to bytes (a stream) or to a dict (a
storage). Streams under 4096 bytes go to the mini stream, as the format requires.
"""

from __future__ import annotations

import itertools
import struct
from typing import Union

Tree = dict[str, Union[bytes, "Tree"]]

SECTOR = 512
MINI = 64
CUTOFF = 4096
FREE, END, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def _sort_key(name: str) -> tuple[int, str]:
    return (len(name), name.upper())


def write_cfb(tree: Tree) -> bytes:
    # 1. directory entries in depth-first order: [name, type, data, child names]
    entries: list[dict[str, object]] = [{"name": "Root Entry", "type": 5, "kids": []}]

    def add(node: Tree, parent: int) -> None:
        kid_ids = []
        for name in sorted(node, key=_sort_key):
            value = node[name]
            idx = len(entries)
            if isinstance(value, dict):
                entries.append({"name": name, "type": 1, "kids": []})
                add(value, idx)
            else:
                entries.append({"name": name, "type": 2, "data": value})
            kid_ids.append(idx)
        entries[parent]["kids"] = kid_ids

    add(tree, 0)
    # 2. mini stream and big streams
    ministream = bytearray()
    minifat: list[int] = []
    big: list[tuple[int, bytes]] = []
    for idx, e in enumerate(entries):
        if e["type"] != 2:
            continue
        data = e["data"]
        assert isinstance(data, bytes)
        if len(data) == 0:
            e["start"] = END
        elif len(data) < CUTOFF:
            first = len(minifat)
            n = -(-len(data) // MINI)
            minifat.extend([*range(first + 1, first + n), END])
            ministream += data + b"\0" * (n * MINI - len(data))
            e["start"] = first
        else:
            big.append((idx, data))
    n_dir = -(-len(entries) * 128 // SECTOR)
    n_minifat = -(-len(minifat) * 4 // SECTOR)
    n_mini = -(-len(ministream) // SECTOR)
    n_big = [-(-len(d) // SECTOR) for _, d in big]
    others = n_dir + n_minifat + n_mini + sum(n_big)
    n_fat = 1
    while n_fat * (SECTOR // 4) < n_fat + others:
        n_fat += 1
    assert n_fat <= 109, "test files stay small"
    # 3. sectors: FAT, directory, mini FAT, mini stream, big streams
    fat: list[int] = [FATSECT] * n_fat
    sectors: list[bytes] = []

    def chain(blob: bytes, count: int) -> int:
        start = n_fat + len(sectors)
        for i in range(count):
            sectors.append(blob[i * SECTOR : (i + 1) * SECTOR].ljust(SECTOR, b"\0"))
            fat.append(start + i + 1 if i < count - 1 else END)
        return start if count else END

    dir_start_placeholder = n_fat  # the directory comes first, written once entries are final
    sectors.extend([b""] * n_dir)
    fat.extend([dir_start_placeholder + i + 1 for i in range(n_dir - 1)] + [END])
    minifat_blob = b"".join(struct.pack("<I", v) for v in minifat)
    minifat_start = chain(minifat_blob, n_minifat)
    mini_start = chain(bytes(ministream), n_mini)
    for (idx, data), n in zip(big, n_big, strict=True):
        entries[idx]["start"] = chain(data, n)
    entries[0]["start"] = mini_start if ministream else END
    entries[0]["data"] = bytes(ministream)
    # 4. directory: children chained through right siblings, all black
    for e in entries:
        e.setdefault("left", NOSTREAM)
        e.setdefault("right", NOSTREAM)
        e.setdefault("child", NOSTREAM)
    for e in entries:
        kids = e.get("kids") or []
        assert isinstance(kids, list)
        if kids:
            e["child"] = kids[0]
            for a, b in itertools.pairwise(kids):
                entries[a]["right"] = b
    dir_blob = bytearray()
    for e in entries:
        name = str(e["name"]).encode("utf-16-le") + b"\0\0"
        data = e.get("data", b"")
        assert isinstance(data, bytes)
        size = len(data) if e["type"] in (2, 5) else 0
        start = e.get("start", 0) if e["type"] in (2, 5) else 0
        dir_blob += struct.pack(
            "<64sHBBIII16sIQQIQ",
            name.ljust(64, b"\0"),
            len(name),
            e["type"],
            1,
            e["left"],
            e["right"],
            e["child"],
            b"\0" * 16,
            0,
            0,
            0,
            start,
            size,
        )
    dir_blob = dir_blob.ljust(n_dir * SECTOR, b"\0")
    for i in range(n_dir):
        sectors[i] = bytes(dir_blob[i * SECTOR : (i + 1) * SECTOR])
    # 5. header and FAT
    fat += [FREE] * (n_fat * (SECTOR // 4) - len(fat))
    difat = list(range(n_fat)) + [FREE] * (109 - n_fat)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        b"\0" * 16,
        0x3E,
        3,
        0xFFFE,
        9,
        6,
        b"\0" * 6,
        0,
        n_fat,
        n_fat,  # first directory sector
        0,
        CUTOFF,
        minifat_start if n_minifat else END,
        n_minifat,
        END,
        0,
    ) + b"".join(struct.pack("<I", v) for v in difat)
    assert len(header) == SECTOR
    fat_blob = b"".join(struct.pack("<I", v) for v in fat)
    return header + fat_blob + b"".join(sectors)


def mapi_text(pid: int, value: str) -> tuple[str, bytes]:
    """A Unicode MAPI property stream (`__substg1.0_XXXX001F`)."""
    return f"__substg1.0_{pid:04X}001F", value.encode("utf-16-le")


def mapi_binary(pid: int, value: bytes) -> tuple[str, bytes]:
    return f"__substg1.0_{pid:04X}0102", value


def properties(depth: int, submit_filetime: int | None = None) -> bytes:
    """`__properties_version1.0`: its header, and PR_CLIENT_SUBMIT_TIME when given."""
    head = b"\0" * (32 if depth == 0 else 24)
    if submit_filetime is None:
        return head
    return head + struct.pack("<IIQ", (0x0039 << 16) | 0x0040, 0, submit_filetime)
