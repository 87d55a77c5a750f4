"""Regular expressions made faster to search, with the same matches.

Python's `re` scans a text for a pattern by trying it at every position, unless the pattern
starts with a literal or a character set, which it then skips to in C. The phrase lists of
the signals start with `\\b` and an alternation of dozens of phrases: every position tried
every phrase. `guarded` puts in front a look-ahead for the characters a match can start
with (after a word boundary, for phrases that start with `\\b`), so a position that cannot
start one fails at once; a look-ahead consumes nothing and only states what every match
already satisfies, so the matches are the same.

Even guarded, each list still costs Python a pass over the text, and a message is read by a
dozen lists that seldom match. `PhraseLists` first asks RE2 (one automaton for all the
lists, one pass, in C) which lists *may* match, with each pattern widened so that it
matches wherever Python's does (assertions dropped, classes it cannot translate made "any
character"); only those lists are then searched by Python, so the matches are Python's own.
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


def _re2_char(code: int) -> str:
    return f"\\x{{{code:x}}}"


class _Wide(Exception):
    """A construct `widened` does not translate: the pattern gets no pre-filter."""


def _wide_items(items: Any) -> str:
    return "".join(_wide_one(op, av) for op, av in items)


_ANY = "(?s:.)"


def _wide_one(op: Any, av: Any) -> str:
    """One parsed piece as RE2 syntax matching at least what it matches in Python."""
    assert _c is not None
    if op is _c.LITERAL:
        return _re2_char(av)
    if op is _c.IN:
        out = []
        for iop, iav in av:
            if iop is _c.LITERAL:
                out.append(_re2_char(iav))
            elif iop is _c.RANGE:
                out.append(f"{_re2_char(iav[0])}-{_re2_char(iav[1])}")
            else:  # categories (\\d, \\w: Unicode in Python), negation: any character
                return _ANY
        return "[" + "".join(out) + "]"
    if op in (_c.NOT_LITERAL, _c.ANY):
        return _ANY
    if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):  # zero-width: dropping one only widens
        return ""
    if op is _c.BRANCH:
        return "(?:" + "|".join(_wide_items(alt) for alt in av[1]) + ")"
    if op is _c.SUBPATTERN:
        if av[1] or av[2]:  # inline flags inside
            raise _Wide
        return "(?:" + _wide_items(av[3]) + ")"
    if op is getattr(_c, "ATOMIC_GROUP", None):
        return "(?:" + _wide_items(av) + ")"
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
        low, high, item = av
        if low > 1000:  # (RE2's limit; greedy matches wherever lazy or possessive does)
            raise _Wide
        upper = "" if high is _c.MAXREPEAT or high > 1000 else str(high)
        return f"(?:{_wide_items(item)}){{{low},{upper}}}"
    raise _Wide  # group references, conditionals: unsure


def widened(pattern: str) -> str | None:
    """An RE2 pattern that matches somewhere in every text in which `pattern` matches in
    Python (a superset: assertions dropped, categories and negated classes widened to any
    character, lazy and possessive repeats made greedy), or None when unsure (flags,
    group references, anything not listed)."""
    if _p is None or (pattern.startswith("(?") and pattern[2:3].isalpha()):
        return None
    try:
        parsed = _p.parse(pattern)
        if parsed.state.flags & ~re.UNICODE:
            return None
        return _wide_items(parsed)
    except (_Wide, re.error, AttributeError, TypeError):
        return None


class PhraseLists:
    """Named patterns (case-sensitive, without inline flags: the signals' phrase lists),
    each searched in a text as `re.search` would, reading the text once in RE2 to skip the
    lists that cannot match. Without google-re2, or when RE2 refuses a text or a pattern,
    the lists are searched by Python alone, as before."""

    def __init__(self, patterns: dict[str, str]) -> None:
        self.patterns = {name: guarded(p) for name, p in patterns.items()}
        self._names = list(self.patterns)
        self._set: Any = None
        self._filtered: tuple[int, ...] = ()  # the set's pattern number -> the list's
        self._unfiltered: tuple[int, ...] = ()  # lists RE2 does not pre-filter
        try:
            import re2  # (google-re2: a dependency, also used by the Sigma engine)
        except ImportError:  # pragma: no cover - searched by Python alone
            return
        options = re2.Options()
        options.max_mem = 64 << 20
        rset = re2.Set.SearchSet(options)
        filtered: list[int] = []  # the set's pattern number -> the list's
        unfiltered: list[int] = []
        for i, name in enumerate(self._names):
            wide = widened(patterns[name])
            try:
                number = -1 if wide is None else rset.Add(wide)
            except re2.error:
                number = -1
            if number < 0:
                unfiltered.append(i)
            else:
                assert number == len(filtered)
                filtered.append(i)
        if not filtered:
            return
        try:
            rset.Compile()
        except Exception:  # pragma: no cover - (out of memory): searched by Python alone
            return
        self._set, self._filtered, self._unfiltered = rset, tuple(filtered), tuple(unfiltered)

    def candidates(self, text: str) -> list[str]:
        """The names of the lists that may match `text` (every list whose Python pattern
        matches it is among them), in their order."""
        if self._set is None:
            return self._names
        try:
            found = self._set.Match(text)
        except Exception:  # (a lone surrogate cannot be encoded for RE2, DFA out of memory)
            return self._names
        if not self._unfiltered and not found:
            return []
        hits = {self._filtered[k] for k in found}.union(self._unfiltered)
        return [name for i, name in enumerate(self._names) if i in hits]

    def search(self, text: str) -> list[tuple[str, re.Match[str]]]:
        """(name, first match) of each list that matches `text`, in the lists' order: what
        `[(n, m) for n, rx in patterns.items() if (m := rx.search(text))]` gives."""
        out = []
        for name in self.candidates(text):
            m = self.patterns[name].search(text)
            if m is not None:
                out.append((name, m))
        return out


__all__ = ["PhraseLists", "guarded", "widened"]
