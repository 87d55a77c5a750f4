"""Regular expressions made faster to search, with the same matches.

Python's `re` scans a text for a pattern by trying it at every position, unless the pattern
starts with a literal or a character set, which it then skips to in C. The phrase lists of
the signals start with `\\b` and an alternation of dozens of phrases: every position tried
every phrase. `guarded` puts in front a look-ahead for the characters a match can start
with (after a word boundary, for phrases that start with `\\b`), so a position that cannot
start one fails at once; a look-ahead consumes nothing and only states what every match
already satisfies, so the matches are the same.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

# The parser of the `re` module: a private module, so read with care (any doubt: no guard).
try:
    _p: Any = importlib.import_module("re._parser")
    _c: Any = importlib.import_module("re._constants")
except ImportError:  # pragma: no cover - another Python: patterns are left as they are
    _p = _c = None

_MAX_CHARS = 64  # a guard listing more characters than this saves little


class _Starts:
    """What the matches of a parsed piece can start with: characters at a word boundary
    (`\\b` then one of them), characters anywhere, and whether the piece can be empty."""

    def __init__(self, bounded: set[str], anywhere: set[str], empty: bool) -> None:
        self.bounded, self.anywhere, self.empty = bounded, anywhere, empty


def _first(items: Any, bounded: bool = False) -> _Starts | None:
    """The starts of a parsed sequence (`bounded`: a `\\b` precedes it); None when unsure."""
    assert _c is not None
    out = _Starts(set(), set(), True)
    for op, av in items:
        if op is _c.AT and av is _c.AT_BOUNDARY:
            bounded = True
            continue
        if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):  # zero-width: a further condition only
            continue
        found = _first_one(op, av, bounded)
        if found is None:
            return None
        out.bounded |= found.bounded
        out.anywhere |= found.anywhere
        if not found.empty:
            out.empty = False
            return out
    return out


def _first_one(op: Any, av: Any, bounded: bool) -> _Starts | None:
    assert _c is not None
    chars: set[str] = set()
    if op is _c.LITERAL:
        chars.add(chr(av))
    elif op is _c.IN:
        for iop, iav in av:
            if iop is _c.LITERAL:
                chars.add(chr(iav))
            elif iop is _c.RANGE and iav[1] - iav[0] < _MAX_CHARS:
                chars.update(chr(i) for i in range(iav[0], iav[1] + 1))
            else:  # negated sets, categories (\d, \w), wide ranges
                return None
    elif op is _c.BRANCH:
        union = _Starts(set(), set(), False)
        for alternative in av[1]:
            found = _first(alternative, bounded)
            if found is None:
                return None
            union.bounded |= found.bounded
            union.anywhere |= found.anywhere
            union.empty = union.empty or found.empty
        return union
    elif op is _c.SUBPATTERN:
        if av[1] or av[2]:  # inline flags inside
            return None
        return _first(av[3], bounded)
    elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
        found = _first(av[2], bounded)
        if found is not None and av[0] == 0:
            found.empty = True
        return found
    else:
        return None  # anything else (any character, group references...): unsure
    return _Starts(chars, set(), False) if bounded else _Starts(set(), chars, False)


def _charset(chars: set[str]) -> str:
    return "[" + "".join(re.escape(c) for c in sorted(chars)) + "]"


def guarded(pattern: str) -> re.Pattern[str]:
    """`re.compile(pattern)` with a look-ahead on the characters its matches start with,
    when they are few and surely known; else `re.compile(pattern)` itself.

    Only for case-sensitive patterns without inline flags (the signals' phrase lists are
    lower case, matched on lower-cased text)."""
    plain = re.compile(pattern)
    inline_flags = pattern.startswith("(?") and pattern[2:3].isalpha()
    if _p is None or plain.flags & ~re.UNICODE or inline_flags:
        return plain
    try:
        found = _first(_p.parse(pattern))
    except Exception:
        return plain
    if found is None or found.empty or len(found.bounded | found.anywhere) > _MAX_CHARS:
        return plain  # unsure, or a match can be empty (and start anywhere)
    if found.bounded & found.anywhere:  # (kept simple: a character is one or the other)
        found = _Starts(set(), found.bounded | found.anywhere, False)
    guards = [rf"\b{_charset(found.bounded)}"] if found.bounded else []
    guards += [_charset(found.anywhere)] if found.anywhere else []
    return re.compile(f"(?={'|'.join(guards)})(?:{pattern})")


__all__ = ["guarded"]
