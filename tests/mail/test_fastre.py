"""`guarded`: a look-ahead in front of a pattern, and never a different match."""

from __future__ import annotations

import re

import pytest

from rempart.mail.fastre import guarded
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
