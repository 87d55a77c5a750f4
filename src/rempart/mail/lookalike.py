"""Lookalike domains and display names: the hospital's own and its partners' identities.

A domain is compared with each protected domain by its registrable part (Public Suffix
List, bundled offline by `publicsuffixlist`): the same name under another suffix, a
homoglyph skeleton that collides (Cyrillic "а" for "a", "rn" for "m", "0" for "o"),
an edit distance of one or two, or the protected name with words added ("chu-nantes-rh").
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from publicsuffixlist import PublicSuffixList
from rapidfuzz.distance import Levenshtein

from rempart.mail.wordlists import lookalike_lists

PSL = _PSL = PublicSuffixList()

# Characters that render like Latin letters (the common ones seen in phishing), and ASCII
# sequences that read alike. The skeleton maps all of them to one form before comparing.
_GLYPHS = str.maketrans(lookalike_lists().glyphs)
_SEQUENCES = (("rn", "m"), ("vv", "w"), ("cl", "d"), ("nn", "m"))


def _idna(domain: str) -> str:
    """The Unicode form of a domain (punycode labels decoded when valid)."""
    domain = domain.strip(".").lower()
    if "xn--" not in domain:
        return domain
    try:
        return domain.encode("ascii").decode("idna")
    except (UnicodeError, ValueError):
        return domain


def skeleton(label: str) -> str:
    """A form where confusable spellings collide: accents stripped, homoglyphs mapped."""
    decomposed = unicodedata.normalize("NFKD", label.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = plain.translate(_GLYPHS)
    for seq, rep in _SEQUENCES:
        plain = plain.replace(seq, rep)
    return plain


@lru_cache(maxsize=65536)
def registrable(domain: str) -> tuple[str, str]:
    """(name, suffix) of a domain's registrable part: ('chu-lyon', 'fr')."""
    domain = _idna(domain)
    private = _PSL.privatesuffix(domain) or domain
    suffix = _PSL.publicsuffix(private) or ""
    name = private[: -len(suffix) - 1] if suffix and private.endswith("." + suffix) else private
    return name, suffix


@dataclass(frozen=True)
class Lookalike:
    domain: str
    protected: str
    how: str  # other_tld / homoglyph / typo / added_words


def _words(name: str) -> list[str]:
    return [w for w in name.replace("_", "-").split("-") if w]


@lru_cache(maxsize=65536)
def _compare(domain: str, protected: str) -> str | None:
    name, suffix = registrable(domain)
    pname, psuffix = registrable(protected)
    if not name or not pname:
        return None
    if (name, suffix) == (pname, psuffix):
        return None  # the real domain (or one of its subdomains)
    if name == pname:
        return "other_tld"
    uname = _idna(domain)
    if skeleton(name) == skeleton(pname) or (
        uname != domain.lower() and skeleton(registrable(uname)[0]) == skeleton(pname)
    ):
        return "homoglyph"
    if len(pname) >= 5:
        limit = 1 if len(pname) < 9 else 2
        if Levenshtein.distance(name, pname, score_cutoff=limit) <= limit:
            return "typo"
    pwords = _words(pname)
    words = _words(name)
    if len(pname) >= 5 and len(words) > len(pwords):
        joined = "-".join(words)
        if "-".join(pwords) in joined or pname.replace("-", "") in name.replace("-", ""):
            return "added_words"
    if len(pname) >= 6 and pname in name.replace("-", "") and name != pname:
        return "added_words"
    return None


def lookalike(domain: str | None, protected: tuple[str, ...]) -> Lookalike | None:
    """The first protected domain `domain` imitates without being it, if any."""
    if not domain or not protected:
        return None
    domain = domain.strip(".").lower()
    for p in protected:
        how = _compare(domain, p.lower())
        if how:
            return Lookalike(domain, p, how)
    return None


def is_own(domain: str | None, protected: tuple[str, ...]) -> bool:
    """True when `domain` is one of the protected domains or their subdomain."""
    if not domain:
        return False
    reg = registrable(domain.lower())
    return any(reg == registrable(p.lower()) for p in protected)


def name_key(name: str) -> str:
    """A person's name reduced for comparison: accents, case, punctuation and order gone."""
    decomposed = unicodedata.normalize("NFKD", name.lower())
    plain = "".join(c if c.isalpha() else " " for c in decomposed if not unicodedata.combining(c))
    return " ".join(sorted(plain.split()))
