"""`score_message`: one raw message in, a frozen verdict with its reasons out.

The score (0-100) is the sum of the signals' points (capped) plus the text model's share;
every point comes with a reason a person can read, in French or English.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from rempart.core.i18n import Lang, msg, render, t
from rempart.core.mimedepth import MAX_MIME_DEPTH
from rempart.mail import qrcodes
from rempart.mail import signals as sig
from rempart.mail.attachments import examine
from rempart.mail.parse import Link, ParsedMail, parse_message
from rempart.mail.senders import trusted_sender
from rempart.mail.textmodel import TextModel, default_model, latin_share, words_of
from rempart.model import Hospital

SUSPICIOUS = 40
_WEB = ("http://", "https://")
MALICIOUS = 70
# Below MODEL_FLOOR the text model adds nothing; from it, MODEL_BASE points. A probability
# under 0.5 means the model leans towards legitimate mail, so it adds nothing there (a grid
# on the training split preferred 0.3 / 15 points for 0.979 recall, but on the held-out
# split that setting doubled false positives on legitimate mail: see docs/mail.md).
MODEL_FLOOR = 0.5
MODEL_BASE = 10
# On text mostly in another script than Latin (Japanese, Cyrillic, Arabic...), which the
# French/English model barely reads, the model alone does not make a message suspicious:
# a hospital also gets legitimate mail in those scripts; a signal has to agree.
MIN_LATIN_SHARE = 0.5
# On a text of fewer distinct words than this, the model alone does not make a message
# suspicious either: a handful of words gives it extreme probabilities ("Message from
# KM_C258 / Document numérisé", a copier's scan-to-mail, scored 0.994), and a hospital's
# mail is full of short notes. Chosen on the training split, out of fold: capping under 8
# words lost no phishing there and removed 2 of 5 false positives (and changed nothing on
# the held-out split); phishing with little text is caught by its signals.
MIN_MODEL_WORDS = 8


class Verdict(StrEnum):
    MALICIOUS = "malicious"
    SUSPICIOUS = "suspicious"
    CLEAN = "clean"


@dataclass(frozen=True)
class MailVerdict:
    score: int  # 0-100
    verdict: Verdict
    reasons: tuple[str, ...]
    message_id: str | None = None
    signals: tuple[str, ...] = ()  # reason keys, language-independent
    # the reasons as catalogue messages ({"key", "params"}), to render in another language
    messages: tuple[dict[str, Any], ...] = field(default=(), hash=False)

    @property
    def flagged(self) -> bool:
        return self.verdict is not Verdict.CLEAN


def reason_message(s: sig.Signal) -> dict[str, Any]:
    """One signal as a catalogue message: its reason, with its points when it has some."""
    reason = msg(s.key, **dict(s.values))
    return msg("sig_points", reason=reason, points=s.points) if s.points else reason


def model_points(prob: float, p_suspicious: float = 0.85, base: int = MODEL_BASE) -> int:
    """The text model's share: nothing under MODEL_FLOOR, MODEL_BASE to 39 points up to
    `p_suspicious` (chosen at training for 0.5 % false positives on held-out folds), 40
    (suspicious on its own) there, 65 at certainty; the model alone never makes a message
    malicious."""
    if prob < MODEL_FLOOR:
        return 0
    if prob < p_suspicious:
        span = max(p_suspicious - MODEL_FLOOR, 1e-6)
        return round(base + (39 - base) * (prob - MODEL_FLOOR) / span)
    return round(40 + 25 * (prob - p_suspicious) / max(1 - p_suspicious, 1e-6))


def capped_by_script(points: int, mail: ParsedMail) -> tuple[int, float | None]:
    """The model's points, kept under suspicious on text mostly in a non-Latin script
    (with the Latin share when it was capped, for the reason)."""
    if points < SUSPICIOUS:
        return points, None
    latin = latin_share(mail.subject, mail.text)
    if latin >= MIN_LATIN_SHARE:
        return points, None
    return SUSPICIOUS - 1, latin


def capped_by_length(points: int, mail: ParsedMail) -> tuple[int, int | None]:
    """The model's points, kept under suspicious on a text of fewer than MIN_MODEL_WORDS
    distinct words (with the count when it was capped, for the reason)."""
    if points < SUSPICIOUS:
        return points, None
    n = len(set(words_of(mail.subject, mail.text)))
    if n >= MIN_MODEL_WORDS:
        return points, None
    return SUSPICIOUS - 1, n


@dataclass(frozen=True)
class ModelFacts:
    """What decides how much of the text model's say a message gets, read once: the
    cross-validation (scripts/cv_mail.py) combines out-of-fold probabilities with these
    exactly as `score_parsed` does."""

    latin: float | None  # the Latin share when under MIN_LATIN_SHARE, else None
    words: int  # distinct words
    short: bool  # fewer than MIN_MODEL_WORDS distinct words
    signal_points: int  # the other signals' points


def model_facts(mail: ParsedMail, signal_points: int) -> ModelFacts:
    latin = latin_share(mail.subject, mail.text)
    n = len(set(words_of(mail.subject, mail.text)))
    return ModelFacts(
        latin=latin if latin < MIN_LATIN_SHARE else None,
        words=n,
        short=n < MIN_MODEL_WORDS,
        signal_points=signal_points,
    )


def model_share(
    prob: float,
    p_suspicious: float,
    facts: ModelFacts,
    known: bool = True,
    base: int = MODEL_BASE,
) -> int:
    """The text model's points for one message: `model_points`, nothing when the model
    knows none of its words, and kept under suspicious on non-Latin or very short text.

    (Also kept under suspicious on a newsletter linking home with no other signal, it
    cost 13 phishing out of fold for no false positive fewer: see docs/mail.md, issue 22.)"""
    if not known:
        return 0
    points = model_points(prob, p_suspicious, base)
    if points >= SUSPICIOUS and (facts.latin is not None or facts.short):
        return SUSPICIOUS - 1
    return points


def cap_reason(facts: ModelFacts) -> sig.Signal:
    """Why the model's share was kept under suspicious, as a zero-point reason."""
    if facts.latin is not None:
        return sig.Signal("sig_text_model_script", 0, (("latin", f"{100 * facts.latin:.0f}"),))
    return sig.Signal("sig_text_model_short", 0, (("n", str(facts.words)),))


def verdict_of(score: int) -> Verdict:
    if score >= MALICIOUS:
        return Verdict.MALICIOUS
    if score >= SUSPICIOUS:
        return Verdict.SUSPICIOUS
    return Verdict.CLEAN


def score_parsed(
    mail: ParsedMail,
    hospital: Hospital | None = None,
    *,
    lang: Lang = "fr",
    seen_domains: frozenset[str] | None = None,
    model: TextModel | None = None,
) -> MailVerdict:
    qr = qrcodes.scan(mail)
    attached = examine(mail.attachments)
    notes: list[sig.Signal] = []
    # where attached documents and the message's own forms send their reader are links
    # too (a "shared document" PDF is one link; a form posts what is typed)
    targets = [*attached.links, *(f for f in mail.forms if f.lower().startswith(_WEB))]
    if targets:
        known = {link.href for link in mail.links}
        extra = tuple(Link(u) for u in dict.fromkeys(targets) if u not in known)
        mail = replace(mail, links=mail.links + extra)
    if qr.links:
        # the links of QR codes are links: every link signal reads them too
        mail = replace(mail, links=mail.links + tuple(Link(u) for u in qr.links))
        host = sig.host_of(qr.links[0]) or qr.links[0][:60]
        notes.append(sig.Signal("sig_qr_link", 25, (("host", host), ("n", str(len(qr.links))))))
    elif qr.pictures and not qr.readable:
        notes.append(sig.Signal("sig_qr_unread", 0))
    found: list[sig.Signal] = [
        *notes,
        *sig.authentication(mail, hospital.hospital.authserv_ids if hospital else ()),
        *sig.identities(mail),
        *sig.sender_shape(mail),
        *sig.impersonation(mail, hospital),
        *sig.disguises(mail, hospital),
        *sig.links(mail, seen_domains),
        *sig.attachments(mail, attached),
    ]
    model = model or default_model()
    if model is not None:
        prob, top = model.probability(mail.subject, mail.text)
        threshold = model.meta.get("p_suspicious", 0.85)
        p_susp = float(threshold) if isinstance(threshold, int | float) else 0.85
        so_far = sum(s.points for s in found)
        facts = model_facts(mail, so_far)
        knows = bool(top) or prob != model.prior or not facts.words
        points = model_share(prob, p_susp, facts, knows)
        if not knows:
            # words, none of which the model knows (another script or language): its
            # prior for picture-only messages says nothing about them
            found.append(sig.Signal("sig_text_model_unknown", 0))
        elif model_points(prob, p_susp) >= SUSPICIOUS and points < SUSPICIOUS:
            found.append(cap_reason(facts))
        trusted = trusted_sender(mail, hospital) if points >= SUSPICIOUS else None
        if trusted is not None:
            # a known organisation's own notification reads like its imitations; the
            # gateway vouched for the sender, so only another signal can make it suspicious
            points = SUSPICIOUS - 1
            found.append(sig.Signal("sig_trusted_sender", 0, (("domain", trusted),)))
        if points and top:
            named = ("p", f"{prob:.2f}"), ("words", ", ".join(top[:3]))
            found.append(sig.Signal("sig_text_model", points, named))
        elif points:
            # no known word at all: what the model learnt of messages that are only
            # pictures and links (or empty), said as such
            found.append(sig.Signal("sig_text_model_empty", points, (("p", f"{prob:.2f}"),)))
    if any(d.startswith("MIME nesting deeper") for d in mail.defects):
        # no mail client writes that: a message built to make parsers give up
        depth = ("depth", str(MAX_MIME_DEPTH))
        found.append(sig.Signal("sig_mime_nesting", SUSPICIOUS, (depth,)))
    if mail.defects and any("truncated" in d or "more than" in d for d in mail.defects):
        found.append(sig.Signal("sig_defects", 0, (("what", "; ".join(mail.defects)[:120]),)))
    found.sort(key=lambda s: -s.points)
    score = min(100, sum(s.points for s in found))
    messages = tuple(reason_message(s) for s in found)
    reasons = tuple(str(render(m, lang)) for m in messages)
    return MailVerdict(
        score=score,
        verdict=verdict_of(score),
        reasons=reasons,
        message_id=mail.message_id,
        signals=tuple(s.key for s in found),
        messages=messages,
    )


def _unreadable(error: str, lang: Lang) -> MailVerdict:
    return MailVerdict(
        score=SUSPICIOUS,
        verdict=Verdict.SUSPICIOUS,
        reasons=(t("sig_unparseable", lang, error=error),),
        signals=("sig_unparseable",),
        messages=(msg("sig_unparseable", error=error),),
    )


def score_message(
    raw: bytes,
    hospital: Hospital | None = None,
    *,
    lang: Lang = "fr",
    seen_domains: frozenset[str] | None = None,
) -> MailVerdict:
    """Score one raw message (RFC 5322 bytes, or an Outlook `.msg`); never raises on
    hostile input: what cannot be read is suspicious, with the reason."""
    from rempart.mail.outlook import OutlookMsgError, is_outlook_msg, msg_to_mime

    try:
        if is_outlook_msg(raw):
            raw = msg_to_mime(raw)
        mail = parse_message(raw)
    except OutlookMsgError as exc:
        return _unreadable(f".msg: {exc}", lang)
    except Exception as exc:  # the parser is lenient; this is the last guard
        return _unreadable(type(exc).__name__, lang)
    return score_parsed(mail, hospital, lang=lang, seen_domains=seen_domains)
