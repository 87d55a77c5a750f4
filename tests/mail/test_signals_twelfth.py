"""The twelfth pass of issue 22 point 7, each rule on a crafted positive and negative
message: crypto balances named by amount, fake security scans, a web page dropped on free
hosting or cloud storage, subjects whose words are joined by underscores, "has been shared
with you", sex and romance offers weighing more than a shop's, and the text model reading a
whole HTML body flattened into one line that names a corpus word."""

from __future__ import annotations

import pytest
from tests.mail.helpers import message

from rempart.mail.score import score_message
from rempart.mail.textmodel import words_of


def keys(raw: bytes) -> tuple[str, ...]:
    return score_message(raw, lang="en").signals


def offer_points(raw: bytes) -> int:
    return int(
        next(
            m["params"]["points"]
            for m in score_message(raw, lang="en").messages
            if "sig_scam_offer" in str(m)
        )
    )


@pytest.mark.parametrize(
    "text",
    [
        "Identifiant : www.example.blogspot.fr - 1.343 BTC BINANCE",
        "Confirm the receipt of 0 virtual assets to your account.",
        "Votre solde est prêt à être retiré : connectez-vous pour le transfert.",
    ],
)
def test_crypto_balance_wording(text: str) -> None:
    v = score_message(message(sender="Site <wordpress@site.example.fr>", text=text), lang="en")
    assert "sig_scam_offer" in v.signals
    assert "crypto_balance" in str(next(m for m in v.messages if "sig_scam_offer" in str(m)))


def test_fake_security_scan() -> None:
    raw = message(text="Several vulnerabilities were reported. SCAN YOUR DEVICE NOW with our tool.")
    assert "sig_scam_offer" in keys(raw)


def test_ordinary_it_and_finance_mail_is_no_offer() -> None:
    raw = message(
        text="Bonjour, le scanner du service est en panne ; le solde du budget 2026 est "
        "disponible dans le tableau de bord. Merci."
    )
    assert "sig_scam_offer" not in keys(raw)


def test_web_page_on_cloud_storage() -> None:
    page = message(
        html='<p><a href="https://storage.googleapis.com/bucket/x/login.html#a">Open</a></p>'
    )
    assert "sig_link_hosted_page" in keys(page)
    assert "sig_link_hosting" not in keys(page)
    site = message(html='<p><a href="https://app.netlify.app/docs/start">Docs</a></p>')
    assert "sig_link_hosting" in keys(site)
    assert "sig_link_hosted_page" not in keys(site)
    own = message(html='<p><a href="https://www.chu-test.fr/planning.html">Planning</a></p>')
    assert not {"sig_link_hosting", "sig_link_hosted_page"} & set(keys(own))


@pytest.mark.parametrize(
    ("subject", "hit"),
    [
        ("_Welcome_to_Our_Survey_Zone_", True),
        ("Try_KETO_Today!", True),
        ("Scan_2026_10", False),
        ("rapport_final.docx", False),
        ("Message from KM_C258", False),
        ("Réunion de service jeudi", False),
    ],
)
def test_underscore_joined_subject(subject: str, hit: bool) -> None:
    assert ("sig_subject_underscores" in keys(message(subject=subject))) is hit


def test_has_been_shared_with_you_is_a_lure_with_a_link_elsewhere() -> None:
    html = (
        "<p>A new contract document has been shared with you.</p>"
        '<p><a href="https://files.storage-host.ru/doc.htm">View Document</a></p>'
    )
    text = "A new contract document has been shared with you. View it online."
    raw = message(sender="HR <hr@geropharma-test.com>", text=text, html=html)
    assert "sig_lure" in keys(raw)


def test_sex_and_romance_offers_weigh_more_than_a_shops_jackpot() -> None:
    romance = message(text="Hi, I like you very much. Reply to me.")
    jackpot = message(text="Our summer jackpot is back in store this week.")
    assert offer_points(romance) > offer_points(jackpot)


def test_text_model_reads_a_one_line_body_that_names_a_corpus_word() -> None:
    body = "Herzlichen Glückwunsch phishing@pot " + " ".join(
        ["Sie sind einer der Finalisten im Gewinnspiel, jetzt teilnehmen und gewinnen"] * 5
    )
    words = words_of("Gewinnspiel", body)
    assert "finalisten" in words
    assert "pot" not in words
    short = "Mailing list footer naming sourceforge\nBonjour la réunion est jeudi"
    assert "footer" not in words_of("", short)
    assert "jeudi" in words_of("", short)
