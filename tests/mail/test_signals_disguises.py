"""Third-pass signals (scam offers, internal roles, disguised brands, throw-away domains,
8-bit headers), each on a crafted positive and a crafted negative message."""

from __future__ import annotations

import pytest
from tests.mail.helpers import HOSPITAL, message

from rempart.mail.parse import parse_message, read_html
from rempart.mail.score import MODEL_BASE, MODEL_FLOOR, model_points, score_message
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


def test_html_alt_text_is_read_and_hidden_text_counted() -> None:
    html = (
        '<div>Offre <img src="cid:1" alt="Claim your prize now"> '
        '<span style="display:none">filler words for filters</span>'
        '<p style="font-size:0.8em">small but visible</p>'
        '<div style="font-size:0px">zero</div><p hidden>gone</p></div>'
    )
    facts = read_html(html)
    assert "Claim your prize now" in facts.text  # what an image-blocked reader sees
    assert "small but visible" in facts.text
    # hidden text stays in the text (a hidden preheader is what the inbox list shows) but
    # is counted: "filler words for filters" + "zero" + "gone"
    assert facts.hidden_chars == len("filler words for filters") + len("zero") + len("gone")
    assert read_html("<p>Bonjour <b>à tous</b></p>").hidden_chars == 0


def test_model_points_band() -> None:
    # nothing under the floor, the base at the floor, 40 (suspicious alone) at p_suspicious
    assert model_points(MODEL_FLOOR - 0.01, 0.95) == 0
    assert model_points(MODEL_FLOOR, 0.95) == MODEL_BASE
    assert MODEL_BASE < model_points(0.9, 0.95) < 40
    assert model_points(0.95, 0.95) == 40
    assert model_points(1.0, 0.95) == 65
