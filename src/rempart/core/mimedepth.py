"""A bound on MIME nesting, checked on the raw bytes before the standard parser sees them.

Python's `email` parser and `Message.walk` recurse once per nested multipart: a message of
1,000 nested `multipart/mixed` parts (a few kilobytes) ends in `RecursionError`, and the
message was lost to the ingest and unreadable to the scorer. `bound_mime_depth` finds the
nesting from the boundaries (a cheap count first: only a message declaring more multipart
parts than the bound is scanned) and cuts the message where a part would go deeper than
`MAX_MIME_DEPTH`; the message is then parsed as far as that, and says so in a defect that
the scorer and the store keep (`MIME_TOO_DEEP`).
"""

from __future__ import annotations

import re

MAX_MIME_DEPTH = 40  # real mail nests a few levels; Python's parser recurses per level
MIME_TOO_DEEP = "MIME nesting deeper than {depth} levels: deeper parts not read"

# a multipart Content-Type header (folded lines included) and its boundary, or a
# boundary delimiter line
_EVENTS = re.compile(
    rb"(?im)^content-type:[ \t]*multipart/(?:[^\n]|\n[ \t])*?boundary[ \t]*=[ \t]*"
    rb'(?:"([^"\r\n]{1,200})"|([^;\s"]{1,200}))'
    rb"|^--([^\r\n]{1,200}?)[ \t]*\r?$"
)


def bound_mime_depth(raw: bytes, max_depth: int = MAX_MIME_DEPTH) -> tuple[bytes, str | None]:
    """`raw`, cut before the first part nested deeper than `max_depth`, and the defect to
    note (None when the message is within the bound, returned as it is)."""
    # (`lower` on bytes folds ASCII only, as `(?i)` on a bytes pattern does; the name has no
    # overlap with itself, so the count is the pattern's number of matches, and much faster)
    if raw.lower().count(b"multipart/") <= max_depth:
        return raw, None
    stack: list[bytes] = []
    for m in _EVENTS.finditer(raw):
        boundary = m.group(1) or m.group(2)
        if boundary is not None:
            stack.append(boundary.strip())
            if len(stack) > max_depth:
                return raw[: m.start()], MIME_TOO_DEEP.format(depth=max_depth)
            continue
        line = m.group(3).rstrip()
        closing = line.endswith(b"--")
        name = line[:-2] if closing else line
        if name in stack:  # a delimiter of an open part: the parts inside it are done
            at = len(stack) - 1 - stack[::-1].index(name)  # (the innermost of that name)
            del stack[at + (0 if closing else 1) :]
    return raw, None


__all__ = ["MAX_MIME_DEPTH", "MIME_TOO_DEEP", "bound_mime_depth"]
