"""Third-pass signals (scam offers, internal roles, disguised brands, throw-away domains,
8-bit headers), each on a crafted positive and a crafted negative message."""

from __future__ import annotations

import pytest
from tests.mail.helpers import HOSPITAL, message

from rempart.mail.parse import parse_message
from rempart.mail.score import score_message
from rempart.mail.signals import misspelled_brands


def keys(raw: bytes) -> tuple[str, ...]:
    return score_message(raw, HOSPITAL, lang="en").signals


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("Your 200% welcome bonus is waiting", "Play now and get 50 free spins on our slots."),
        ("Elle veut vous parler", "Des femmes seules près de chez vous veulent vous rencontrer. "
         "Rencontres coquines ce soir."),
        ("Stake your XLM for 25% yields", "Staking rewards are paid every week."),
        ("Félicitations !", "Vous avez été sélectionné pour recevoir un iPhone offert."),
        ("Herzlichen Glückwunsch", "Sie haben gewonnen! Jetzt Freispiele sichern."),
    ],
)  # fmt: skip
def test_scam_offer_positive(subject: str, text: str) -> None:
    assert "sig_scam_offer" in keys(message(sender="Promo <info@deals.example>", subject=subject,
                                            text=text))  # fmt: skip


def test_scam_offer_negative() -> None:
    # the same everyday words outside the scam phrases: a slot, a winner, "you won't"
    text = (
        "Le créneau (slot) de 14 h est libre. The winner of the poster prize is Dr Martin; "
        "you won't need to register again. Sex ratio of the cohort: 0.98."
    )
    assert "sig_scam_offer" not in keys(message(text=text))
    assert "sig_scam_offer" not in keys(message())


def test_role_display_from_outside() -> None:
    outside = message(sender="Service informatique <admin@secure-mailbox.example>")
    assert "sig_role_display" in keys(outside)
    assert "sig_role_display" in keys(message(sender="System Administrator <x@mail.example>"))
    # the hospital's own IT writing from its own domain is ordinary
    assert "sig_role_display" not in keys(message(sender="Service informatique <dsi@chu-test.fr>"))
    assert "sig_role_display" not in keys(message(sender="Alice Martin <alice@mail.example>"))


def test_misspelled_brand() -> None:
    assert misspelled_brands("Scan your Iedger now") == [("Iedger", "ledger")]
    assert misspelled_brands("Micr0soft account") == [("Micr0soft", "microsoft")]
    assert misspelled_brands("Your PayPaI invoice") == [("PayPaI", "paypal")]
    assert "sig_brand_misspelled" in keys(message(subject="Scan your Iedger now"))
    # the real names, and ordinary words that hold the same letters, are not flagged
    assert misspelled_brands("Ledger, PayPal, Microsoft 365, modern, Illinois, 2024") == []
    assert "sig_brand_misspelled" not in keys(message(subject="Ledger de la pharmacie"))


def test_deep_throwaway_domain() -> None:
    deep = message(sender="Offer <a_b_12@a.b.c.d.e.f.1.mkhada.example>")
    assert "sig_deep_domain" in keys(deep)
    assert "sig_deep_domain" not in keys(message(sender="Labo <res@mail.lab.biolab-sud.fr>"))


def test_eight_bit_subject_is_read_as_utf8() -> None:
    # raw UTF-8 in headers (RFC 6532): styled letters must be seen, not replaced by U+FFFD
    styled = "𝐏𝐫𝐞𝐦𝐢𝐮𝐦 𝐒𝐨𝐮𝐧𝐝 offer"
    raw = message(subject="placeholder").replace(b"placeholder", styled.encode("utf-8"))
    mail = parse_message(raw)
    assert mail.subject == styled
    assert "sig_styled_text" in keys(raw)
    latin1 = message(subject="placeholder").replace(b"placeholder", "Réunion".encode("latin-1"))
    assert parse_message(latin1).subject == "Réunion"


def test_new_lure_phrases_need_a_way_out() -> None:
    html = (
        "<p>Ihr Streaming-Abonnement ist möglicherweise abgelaufen.</p>"
        '<a href="https://renew-now.example.net/x">Erneuern</a>'
    )
    assert "sig_lure" in keys(message(sender="Stream <info@stream.example>", html=html))
    own = html.replace("renew-now.example.net", "www.stream.example")
    assert "sig_lure" not in keys(message(sender="Stream <info@stream.example>", html=own))
