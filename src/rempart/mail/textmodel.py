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
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

MODEL_FILE = "text_model.json"

_URLISH = re.compile(r"(?i)\b(?:https?://|www\.)\S+|\S+@\S+")
_LIST_LINE = re.compile(
    r"(?im)^.*(mailing list|listinfo|/mailman/|list-?admin|sourceforge|geocrawler|"
    r"yahoo! groups|egroups|unsubscribe from this list|irish linux users).*$"
)
_TOKEN = re.compile(r"[^\W\d_]{2,24}")
_MAX_TOKENS = 1500

STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "also",
        "get",
        "got",
        "may",
        "might",
        "must",
        "shall",
        "us",
        "one",
        "two",
        "re",
        "fw",
        "fwd",
        "au",
        "aux",
        "avec",
        "ce",
        "ces",
        "dans",
        "de",
        "des",
        "du",
        "elle",
        "en",
        "et",
        "eux",
        "il",
        "ils",
        "je",
        "la",
        "le",
        "les",
        "leur",
        "lui",
        "ma",
        "mais",
        "me",
        "même",
        "mes",
        "moi",
        "mon",
        "ne",
        "nos",
        "notre",
        "nous",
        "on",
        "ou",
        "par",
        "pas",
        "pour",
        "qu",
        "que",
        "qui",
        "sa",
        "se",
        "ses",
        "son",
        "sur",
        "ta",
        "te",
        "tes",
        "toi",
        "ton",
        "tu",
        "un",
        "une",
        "vos",
        "votre",
        "vous",
        "ceci",
        "cela",
        "celà",
        "cet",
        "cette",
        "ici",
        "ils",
        "leurs",
        "quel",
        "quelle",
        "quelles",
        "quels",
        "sans",
        "sera",
        "serait",
        "est",
        "sont",
        "été",
        "être",
        "avoir",
        "ai",
        "as",
        "avons",
        "avez",
        "ont",
        "fait",
        "faire",
        "plus",
        "moins",
        "très",
        "bien",
        "aussi",
        "comme",
        "donc",
        "car",
        "ni",
        "si",
        "tout",
        "tous",
        "toute",
        "toutes",
        "autre",
        "autres",
        "dont",
        "où",
        "lors",
        "après",
        "avant",
        "chez",
        "entre",
        "vers",
        "depuis",
        "sous",
        "déjà",
        "encore",
        "alors",
        "ainsi",
        "der",
        "die",
        "das",
        "und",
        "ist",
        "nicht",
        "ein",
        "eine",
        "sie",
        "ich",
        "mit",
        "für",
        "auf",
        "den",
        "dem",
        "des",
        "von",
        "zu",
        "im",
        "es",
        "wir",
        "ihr",
        "o",
        "os",
        "as",
        "um",
        "uma",
        "do",
        "da",
        "dos",
        "das",
        "em",
        "no",
        "na",
        "para",
        "com",
        "por",
        "que",
        "se",
        "não",
        "de",
        "het",
        "een",
        "en",
        "van",
        "ik",
        "je",
        "op",
        "te",
        "dat",
    ]
)


def clean_text(subject: str, body: str) -> str:
    """The words a reader sees: no links, addresses, list footers or digits."""
    text = unicodedata.normalize("NFKC", f"{subject}\n{body}")
    text = _LIST_LINE.sub(" ", text)
    return _URLISH.sub(" ", text)


def tokens(subject: str, body: str) -> list[str]:
    """Lower-cased words (letters only), stop words removed, plus adjacent-word pairs."""
    words = [w for w in _TOKEN.findall(clean_text(subject, body).lower()) if w not in STOP_WORDS][
        :_MAX_TOKENS
    ]
    subject_words = {
        "s:" + w
        for w in _TOKEN.findall(unicodedata.normalize("NFKC", subject).lower())
        if w not in STOP_WORDS
    }
    pairs = [f"{a} {b}" for a, b in itertools.pairwise(words)]
    return [*words, *pairs, *subject_words]


@dataclass(frozen=True)
class TextModel:
    """Weights per token, an intercept, and the threshold chosen on the validation split."""

    weights: dict[str, float]
    intercept: float
    meta: dict[str, object]

    def probability(self, subject: str, body: str) -> tuple[float, tuple[str, ...]]:
        """P(phishing or unwanted) and the tokens that pushed it up the most."""
        present = {tok for tok in tokens(subject, body) if tok in self.weights}
        if not present:
            return 1.0 / (1.0 + math.exp(-self.intercept)), ()
        scale = 1.0 / math.sqrt(len(present))
        z = self.intercept + scale * sum(self.weights[tok] for tok in present)
        top = sorted(present, key=lambda tok: -self.weights[tok])[:5]
        prob = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
        return prob, tuple(tok for tok in top if self.weights[tok] > 0)


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
