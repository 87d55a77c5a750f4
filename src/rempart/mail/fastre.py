"""Regular expressions made faster to search, with the same matches.

Python's `re` scans a text for a pattern by trying it at every position, unless the pattern
starts with a literal or a character set, which it then skips to in C. The phrase lists of
the signals start with `\\b` and an alternation of dozens of phrases: every position tried
every phrase. `guarded` puts in front a look-ahead for the characters a match can start
with, so a position that cannot start one fails at once; a look-ahead consumes nothing and
only states what every match already satisfies, so the matches are the same.
"""

from __future__ import annotations

import re
from typing import Any

try:  # the parser of the `re` module (a private name, so read with care: any doubt, no guard)
    import re._constants as _c
    import re._parser as _p
except ImportError:  # pragma: no cover - another Python: patterns are left as they are
    _p = None
    _c = None

_MAX_CHARS = 64  # a guard listing more characters than this saves little


def _first(items: Any) -> tuple[set[str], bool] | None:
    """(the characters a match of this parsed sequence can start with, whether it can be
    empty); None when unsure."""
    assert _c is not None
    out: set[str] = set()
    for op, av in items:
        found = _first_one(op, av)
        if found is None:
            return None
        chars, empty = found
        out |= chars
        if not empty:
            return out, False
    return out, True


def _first_one(op: Any, av: Any) -> tuple[set[str], bool] | None:
    assert _c is not None
    if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):  # zero-width: a further condition only
        return set(), True
    if op is _c.LITERAL:
        return {chr(av)}, False
    if op is _c.IN:
        out: set[str] = set()
        for iop, iav in av:
            if iop is _c.LITERAL:
                out.add(chr(iav))
            elif iop is _c.RANGE and iav[1] - iav[0] < _MAX_CHARS:
                out.update(chr(i) for i in range(iav[0], iav[1] + 1))
            else:  # negated sets, categories (\d, \w), wide ranges
                return None
        return out, False
    if op is _c.BRANCH:
        union: set[str] = set()
        empty = False
        for alternative in av[1]:
            found = _first(alternative)
            if found is None:
                return None
            union |= found[0]
            empty = empty or found[1]
        return union, empty
    if op is _c.SUBPATTERN:
        if av[1] or av[2]:  # inline flags inside
            return None
        return _first(av[3])
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
        found = _first(av[2])
        return None if found is None else (found[0], found[1] or av[0] == 0)
    return None  # anything else (any character, group references...): unsure


def guarded(pattern: str) -> re.Pattern[str]:
    """`re.compile(pattern)` with a look-ahead on the characters its matches start with,
    when they are few and surely known; else `re.compile(pattern)` itself.

    Only for case-sensitive patterns without inline flags (the signals' phrase lists are
    lower case, matched on lower-cased text)."""
    plain = re.compile(pattern)
    if (
        _p is None
        or plain.flags & ~re.UNICODE
        or pattern.startswith("(?")
        and (pattern[2:3].isalpha())
    ):
        return plain
    try:
        found = _first(_p.parse(pattern))
    except Exception:
        return plain
    if found is None or found[1] or not found[0] or len(found[0]) > _MAX_CHARS:
        return plain  # unsure, or a match can be empty (and start anywhere)
    first = found[0]
    chars = "".join(re.escape(c) for c in sorted(first))
    return re.compile(f"(?=[{chars}])(?:{pattern})")


__all__ = ["guarded"]
