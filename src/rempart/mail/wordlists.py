"""The scorer's word lists, kept as data in `mail/data/*.yaml` and validated on load.

Each file has a model here: a typo in a list (an empty word, an upper-case domain, a
confusable that is not one character) stops the first read with the file's name, instead
of silently changing scores.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

from rempart.core.datafile import load_data

__all__ = [
    "AttachmentLists",
    "LookalikeLists",
    "SenderLists",
    "SignalLists",
    "TextModelLists",
    "attachment_lists",
    "lookalike_lists",
    "sender_lists",
    "signal_lists",
    "textmodel_lists",
]

_PACKAGE = "rempart.mail"


def _word(value: str) -> str:
    if not value or value != value.strip():
        raise ValueError(f"empty word or surrounding spaces: {value!r}")
    return value


def _lower(value: str) -> str:
    if value != value.lower():
        raise ValueError(f"not lower-case: {value!r}")
    return _word(value)


def _char(value: str) -> str:
    if len(value) != 1:
        raise ValueError(f"not one character: {value!r}")
    return value


Word = Annotated[str, AfterValidator(_word)]
Lower = Annotated[str, AfterValidator(_lower)]
Char = Annotated[str, AfterValidator(_char)]


class _Lists(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SignalLists(_Lists):
    """data/signals.yaml: what the explainable signals look for."""

    shorteners: tuple[Lower, ...]
    brands: dict[Lower, str]  # name as written -> brand slug ("" names no brand)
    abused_tlds: tuple[Lower, ...]
    confusables: dict[Char, Char]
    private_tlds: tuple[Lower, ...]
    hosting_suffixes: tuple[Lower, ...]
    lures: dict[Word, tuple[str, ...]]  # kind -> pieces of one regular expression
    offers: dict[Word, tuple[str, ...]]


class SenderLists(_Lists):
    """data/senders.yaml: brands' sending domains and free mail providers."""

    brand_domains: dict[Lower, tuple[Lower, ...]]
    freemail: tuple[Lower, ...]


class AttachmentLists(_Lists):
    """data/attachments.yaml: executable and document extensions, without the dot."""

    executable: tuple[Lower, ...]
    document: tuple[Lower, ...]


class LookalikeLists(_Lists):
    """data/lookalike.yaml: characters the lookalike skeleton maps to one form."""

    glyphs: dict[Char, Char]


class TextModelLists(_Lists):
    """data/textmodel.yaml: words the text model ignores."""

    stop_words: tuple[Lower, ...]


def signal_lists() -> SignalLists:
    return load_data(_PACKAGE, "signals.yaml", SignalLists)


def sender_lists() -> SenderLists:
    return load_data(_PACKAGE, "senders.yaml", SenderLists)


def attachment_lists() -> AttachmentLists:
    return load_data(_PACKAGE, "attachments.yaml", AttachmentLists)


def lookalike_lists() -> LookalikeLists:
    return load_data(_PACKAGE, "lookalike.yaml", LookalikeLists)


def textmodel_lists() -> TextModelLists:
    return load_data(_PACKAGE, "textmodel.yaml", TextModelLists)
