"""`guarded`: a look-ahead in front of a pattern, and never a different match."""

from __future__ import annotations

import re

import pytest

from rempart.mail.fastre import PhraseLists, guarded, widened
from rempart.mail.wordlists import signal_lists

TEXTS = [
    "",
    "you have won",
    "congratulations, you've been selected! claim your prize",
    "yes you won't believe it",
    "xyou have won",  # no word boundary before "you"
    "a $ 1,000 could be yours",
    "£5 could be yours",
    "mailto:you@example.org: verify your account now",
    "stake your xrp\nto earn",
    "d'un jackpot",
]


@pytest.mark.parametrize(
    "pattern",
    [
        r"\b(?:you have won|claim your prize)\b",
        r"(?:\byou(?:'ve| have)? (?:been selected|won)\b(?!['’]t)|(?:\$|£) ?\d[\d,.]* could be yours)",
        r"\b(?:(?:verify|confirm) your account|stake your (?:xlm|xrp))",
        r"[a-c]x|d'un",
    ],
)
def test_guarded_matches_as_the_plain_pattern(pattern: str) -> None:
    plain, fast = re.compile(pattern), guarded(pattern)
    assert fast.pattern != plain.pattern  # a guard was put in front
    for text in TEXTS:
        a, b = plain.search(text), fast.search(text)
        assert (a and (a.span(), a.group(0))) == (b and (b.span(), b.group(0))), text


@pytest.mark.parametrize(
    "pattern",
    [
        r"(?:you)?",  # can match the empty string: at any position
        r"(?i)you have won",  # inline flags
        r"\d+ euros",  # a category: too many characters to list
        r".you",  # any character
    ],
)
def test_no_guard_when_unsure(pattern: str) -> None:
    assert guarded(pattern).pattern == pattern


def test_signals_phrase_lists_match_as_before() -> None:
    """Every phrase list of the signals, guarded, finds what it found compiled plainly."""
    lists = signal_lists()
    texts = [*TEXTS, "hello!\nlonely women near you", "your pc is infected, call now"]
    for kind, pieces in [*lists.offers.items(), *lists.lures.items()]:
        plain, fast = re.compile("".join(pieces)), guarded("".join(pieces))
        for text in texts:
            a, b = plain.search(text), fast.search(text)
            assert (a and a.span()) == (b and b.span()), (kind, text)


def test_phrase_lists_find_what_python_finds() -> None:
    """`PhraseLists.search` (RE2 pre-filter, then Python) gives each list's first match, as
    a search by Python alone does, on texts that match some lists, none, or cannot be
    encoded for RE2."""
    lists = signal_lists()
    texts = [
        *TEXTS,
        "hello!\nlonely women near you",
        "your pc is infected, call now",
        "you have won the jackpot, claim your free spins",
        "verify your account \ud800 now",  # a lone surrogate: RE2 cannot read it
        "nothing to see here",
    ]
    for patterns in (lists.offers, lists.lures):
        joined = {kind: "".join(pieces) for kind, pieces in patterns.items()}
        phrases = PhraseLists(joined)
        plain = {kind: re.compile(p) for kind, p in joined.items()}
        for text in texts:
            expected = [(k, m.span()) for k, rx in plain.items() if (m := rx.search(text))]
            assert [(k, m.span()) for k, m in phrases.search(text)] == expected, text


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        (r"\byou(?:'ve| have)? won\b(?!['’]t)", "so you've won!"),
        (r"\d+ ?(?:€|eur)\b", "pay ٣٠ eur now"),  # Unicode digits: \d reads them in Python
        (r"[^a-z]x.y", "1xzy"),
        (r"(?<=\s)ab+?c", " abbbc"),
        (r"a{2,}b", "aaaab"),
    ],
)
def test_widened_matches_wherever_python_does(pattern: str, text: str) -> None:
    re2 = pytest.importorskip("re2")
    assert re.search(pattern, text)
    wide = widened(pattern)
    assert wide is not None
    assert re2.search(wide, text)


@pytest.mark.parametrize("pattern", [r"(?i)won", r"(a)\1", r"(?P<x>a)(?(x)b|c)"])
def test_widened_is_none_when_unsure(pattern: str) -> None:
    assert widened(pattern) is None
