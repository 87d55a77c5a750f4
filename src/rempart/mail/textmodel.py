"""The text model: a linear classifier over the words of the subject and the visible body.

Trained by `scripts/train_mail_model.py` (scikit-learn, seeded, held-out split) and
committed as plain JSON (vocabulary -> weight), loaded with `json` only: no pickle, no code
in the file. Only the words people read are features, so the model cannot learn what
merely tells the training corpora apart (recipients, dates, relays, list headers, digits,
addresses and link hosts are removed before tokenising; common words of both languages are
dropped so that French or English alone is not a clue).
"""

from __future__ import annotations

import itertools
import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from rempart.mail.wordlists import textmodel_lists

MODEL_FILE = "text_model.json"

# Links, and words with an `@` inside. (`(?<!\S)`: an address can only start a run of
# non-spaces, as a match ends one; tried elsewhere, `\S+@` backtracked over every word.)
_URLISH = re.compile(r"(?i)\b(?:https?://|www\.)\S+|(?<!\S)\S+@\S+")


def _drop_urlish(text: str) -> str:
    """`_URLISH.sub(" ", text)`, skipped when the text has no `@`, `http` nor `www.`
    (no character outside ASCII matches h, t, p or w case-insensitively: checked over
    all of Unicode, so the shortcut never misses one)."""
    if "@" not in text:
        low = text.lower()
        if "http" not in low and "www." not in low:
            return text
    return _URLISH.sub(" ", text)


# Mailing-list and corpus lines: each line holding one of these is dropped whole.
# (Written in lower case, without escapes that change meaning with case: the search is the
# plain one over the folded, lower-cased text, which runs in C; see _FOLD.)
_LIST_WORDS = (
    r"mailing list|listinfo|/mailman/|list-?admin|sourceforge|geocrawler|"
    r"yahoo! groups|egroups|unsubscribe from this list|irish linux users|spamassassin|"
    r"taint\.org|zzzz|phishing@pot"
)
_LIST_WORD = re.compile(_LIST_WORDS, re.IGNORECASE)
_LIST_WORD_LOWER = re.compile(_LIST_WORDS)
# The only characters outside ASCII that `re.IGNORECASE` takes for an ASCII letter are
# U+0130, U+0131 (i), U+017F (s) and the Kelvin sign (k, which `lower` maps already); and
# no other character outside ASCII lower-cases to ASCII (both checked over all of Unicode).
# Folded so, then lower-cased, a text has a plain match where it had a case-insensitive one.
# A footer or header line is short; a longer "line" is a whole HTML body flattened into one
# (107 phishing and 60 newsletters of the pool lost all their text with it): only the
# corpus words themselves go there.
_MAX_LIST_LINE = 300
_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s"})


def _drop_list_lines(text: str) -> str:
    """Each line (up to a newline) holding a `_LIST_WORD` replaced by one space; in a line
    longer than `_MAX_LIST_LINE`, only the words.

    What `re.sub(r"(?im)^.*(words).*$", " ", text)` does, in one search for the words over
    the whole text instead of an attempt at every position of every line. (No word spans
    a newline, so the lines with a match found are the lines holding a word.)"""
    low = (text if text.isascii() else text.translate(_FOLD)).lower()
    # (one character for one, the positions are the text's; else the slower search)
    same = len(low) == len(text)
    found = _LIST_WORD_LOWER.finditer(low) if same else _LIST_WORD.finditer(text)
    out: list[str] = []
    done = 0  # where the text after the last dropped line starts
    for m in found:
        start = text.rfind("\n", 0, m.start()) + 1
        if start < done:  # in the line just dropped
            continue
        end = text.find("\n", m.end())
        end = len(text) if end < 0 else end
        if end - start <= _MAX_LIST_LINE:
            out += (text[done:start], " ")
        else:  # a flattened body: only the words go
            out += (text[done:start], _LIST_WORD.sub(" ", text[start:end]))
        done = end
    if not out:
        return text
    out.append(text[done:])
    return "".join(out)


# "URL:" and "Date:" lines of the 2002 RSS digests (a third of the easy ham has a "Date:"
# line, 6 of 383 phishing) and technical header lines in bodies only tell the corpora
# apart; the message's own Date header is never read either. Reply prefixes, quoting and
# forwarded "De :/Envoyé :" blocks are kept: they are how real conversations look, in 2002
# and in a hospital today.
_QUOTED_OR_HEADER_LINE = re.compile(r"(?im)^[ \t>]*(url|date|message-id|x-[\w-]+)[ \t]*:.*$")
_SUBJECT_PREFIX = re.compile(r"\[[^\]]{1,40}\]")  # [list-name] tags: mailing-list artefacts
_PUNCT = re.compile(r"[^\w\s$€£!?]+")
_TOKEN = re.compile(r"[^\W\d_]{2,24}")
_MAX_TOKENS = 1500

# Function words, in data/textmodel.yaml
STOP_WORDS = frozenset(textmodel_lists().stop_words)


@lru_cache(maxsize=4)  # the grams and the words of one message read the same cleaned text
def clean_text(subject: str, body: str) -> str:
    """The words a reader sees: no links, addresses, list footers or digits."""
    subject = _SUBJECT_PREFIX.sub("", unicodedata.normalize("NFKC", subject))
    body = _QUOTED_OR_HEADER_LINE.sub(" ", unicodedata.normalize("NFKC", body))
    text = _drop_list_lines(f"{subject}\n{body}")
    return _drop_urlish(text)


def subject_text(subject: str) -> str:
    """The subject's words for the `s:` features: addresses removed before the list and
    corpus lines, so phishing_pot's redacted subjects (`phishing@pot Jean, votre colis`)
    keep their real words."""
    text = _drop_urlish(_SUBJECT_PREFIX.sub("", unicodedata.normalize("NFKC", subject)))
    return _drop_list_lines(text)


def _token_parts(subject: str, body: str) -> tuple[list[str], list[str]]:
    """The words of `tokens` (without their pairs) and its subject words (`s:`)."""
    # (filterfalse, map: the loops run in C)
    found = _TOKEN.findall(clean_text(subject, body).lower())
    words = list(itertools.filterfalse(STOP_WORDS.__contains__, found))[:_MAX_TOKENS]
    # the subject cleaned like the text (addresses first, then `[list]` tags and list or
    # corpus lines): read raw, "phishing@pot" and "[zzzzteana]" were features
    in_subject = _TOKEN.findall(subject_text(subject).lower())
    subject_words = dict.fromkeys(
        map("s:".__add__, itertools.filterfalse(STOP_WORDS.__contains__, in_subject))
    )
    return words, list(subject_words)


def tokens(subject: str, body: str) -> list[str]:
    """Lower-cased words (letters only), stop words removed, plus adjacent-word pairs."""
    words, subject_words = _token_parts(subject, body)
    pairs = list(map(" ".join, itertools.pairwise(words)))
    return [*words, *pairs, *subject_words]


_NOT_LETTERS = re.compile(r"[\d_]+")
_MAX_CHARS = 3000


def words_of(subject: str, body: str) -> list[str]:
    """The distinct words (letters only, lower case) the character grams are taken from."""
    return list(_words(subject, body))


@lru_cache(maxsize=8)  # the model and the length cap of one message read the same words
def _words(subject: str, body: str) -> tuple[str, ...]:
    text = clean_text(subject, body[: _MAX_CHARS * 2]).lower()
    text = _PUNCT.sub(" ", _NOT_LETTERS.sub(" ", _drop_urlish(text)))
    return tuple(dict.fromkeys(w[:30] for w in text[:_MAX_CHARS].split()))


@lru_cache(maxsize=262_144)
def word_grams(word: str) -> tuple[str, ...]:
    """Character 3-5-grams of one word padded with spaces (words recur: cached)."""
    padded = f" {word} "
    size = len(padded)
    out: list[str] = []
    for n in (3, 4, 5):
        if size < n:
            break
        out.extend(padded[i : i + n] for i in range(size - n + 1))
    return tuple(out)


def char_grams(subject: str, body: str) -> dict[str, str]:
    """Character 3-5-grams of each word -> the word they came from.

    Character grams carry across languages and spelling tricks; the word is kept so a
    verdict can name the words that weighed, not opaque fragments.
    """
    out: dict[str, str] = {}
    for word in words_of(subject, body):
        for gram in word_grams(word):
            out.setdefault(gram, word)
    return out


WORD_PREFIX = "w:"


def features(subject: str, body: str) -> dict[str, str]:
    """Every feature of a message -> the word it came from: character grams of each word,
    and the words and adjacent-word pairs themselves (prefixed `w:`), which carry the
    phrasing ("confirm your account") that single grams blur."""
    out = char_grams(subject, body)
    for tok in tokens(subject, body[: _MAX_CHARS * 2]):
        out.setdefault(WORD_PREFIX + tok, tok.removeprefix("s:"))
    return out


# (runs: their lengths add up to the count of characters, with one match per word)
_LETTER = re.compile(r"[^\W\d_]+")
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]+")


def latin_share(subject: str, body: str) -> float:
    """The share of Latin letters among the letters a reader sees first (1.0 with none).

    The model learnt French and English (and other Latin-script languages from the
    corpora); on Japanese, Cyrillic or Arabic text its probability rests on a few grams.
    """
    text = f"{subject}\n{body[:_MAX_CHARS]}"
    if text.isascii():  # (ASCII letters are Latin ones: the share is 1.0, with or without)
        return 1.0
    letters = sum(map(len, _LETTER.findall(text)))
    return sum(map(len, _LATIN_LETTER.findall(text))) / letters if letters else 1.0


@dataclass(frozen=True)
class TextModel:
    """Weights per feature (character grams), an intercept, and training metadata."""

    weights: dict[str, float]
    intercept: float
    meta: dict[str, object]
    # built once from `weights`: each feature's row in one list of weights, and per word
    # the rows of the grams the model knows
    _index: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    _values: list[float] = field(default_factory=list, compare=False, repr=False)
    _known: dict[str, tuple[int, ...]] = field(default_factory=dict, compare=False, repr=False)

    # the weights of the `w:` features by token (no prefix), and the first words of pairs
    _token_weights: dict[str, float] = field(default_factory=dict, compare=False, repr=False)
    _pair_starts: set[str] = field(default_factory=set, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index.update((k, i) for i, k in enumerate(self.weights))
        self._values.extend(self.weights.values())
        for key, weight in self.weights.items():
            if key.startswith(WORD_PREFIX):
                token = key[len(WORD_PREFIX) :]
                self._token_weights[token] = weight
                if " " in token:
                    self._pair_starts.add(token.split(" ", 1)[0])

    def _known_grams(self, word: str) -> tuple[int, ...]:
        """The rows of the grams of `word` the model has a weight for, in order (cached)."""
        known = self._known.get(word)
        if known is None:
            index = self._index
            known = tuple(index[g] for g in word_grams(word) if g in index)
            if len(self._known) < 500_000:
                self._known[word] = known
        return known

    @property
    def prior(self) -> float:
        """The probability of a text in which the model knows no feature (its intercept):
        what it learnt of messages that are only pictures and links."""
        return 1.0 / (1.0 + math.exp(-self.intercept))

    def probability(self, subject: str, body: str) -> tuple[float, tuple[str, ...]]:
        """P(phishing or unwanted) and the words that pushed it up the most.

        Each known feature counts once (a gram keeps the first word that has it), its
        weight added to the sum and, when positive, to its word's, in the order of the
        words. (A loop over a few hundred rows: array operations cost more to set up.)"""
        total = 0.0
        count = 0
        words: dict[str, float] = {}  # word -> sum of its positive weights
        distinct = _words(subject, body)  # (distinct words, in order of appearance)
        seen: set[int] = set()
        values = self._values
        for word in distinct:
            up = 0.0  # the word's positive weights, added one after the other
            for row in self._known_grams(word):
                if row not in seen:
                    seen.add(row)
                    w = values[row]
                    total += w
                    if w > 0:
                        up += w
            if up:
                words[word] = up
        count = len(seen)
        if self.meta.get("word_features"):
            # the known tokens, each once, in the order of their first occurrence in
            # `tokens`; a pair is only joined when its first word starts a known pair (the
            # others are never known: the same list, without building them)
            found, in_subject = _token_parts(subject, body[: _MAX_CHARS * 2])
            starts = self._pair_starts
            keys = dict.fromkeys(found)
            pairs = itertools.pairwise(found)
            keys.update(dict.fromkeys(f"{a} {b}" for a, b in pairs if a in starts))
            keys.update(dict.fromkeys(in_subject))
            weighted = self._token_weights
            known = list(filter(weighted.__contains__, keys))
            for key in known:
                w_tok = weighted[key]
                total += w_tok
                if w_tok > 0:
                    word = key.removeprefix("s:")
                    words[word] = words.get(word, 0.0) + w_tok
            count += len(known)
        if not count:
            return self.prior, ()
        z = self.intercept + total / math.sqrt(count)
        prob = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
        top = sorted(words, key=lambda k: (-words[k], k))[:5]  # (ties: alphabetical)
        return prob, tuple(top)


def load_model_json(text: str) -> TextModel:
    data = json.loads(text)
    weights = {str(k): float(v) for k, v in data["weights"].items()}
    return TextModel(weights, float(data["intercept"]), dict(data.get("meta", {})))


@lru_cache(maxsize=1)
def default_model() -> TextModel | None:
    """The committed model, or None when the package ships without one."""
    try:
        text = resources.files("rempart.mail").joinpath(MODEL_FILE).read_text("utf-8")
    except (FileNotFoundError, OSError):
        return None
    return load_model_json(text)
