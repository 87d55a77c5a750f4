"""The second pass of issue 22 point 7, each rule on a crafted positive and negative
message: links through a search engine's redirector, affiliate-network and IP-logger
links, machine-named mailboxes, a brand spelt in the mailbox name, and the wording of
advance-fee letters, romance bait, pharmacy offers, fake renewals and survey prizes."""

from __future__ import annotations

import pytest
from tests.mail.helpers import message

from rempart.mail.score import score_message
from rempart.mail.signals import machine_name


def keys(raw: bytes) -> tuple[str, ...]:
    return score_message(raw, lang="en").signals


def html_link(href: str, label: str = "Voir l'offre") -> str:
    return f'<p>Bonjour, découvrez notre offre.</p><p><a href="{href}">{label}</a></p>'


@pytest.mark.parametrize(
    "href",
    [
        "https://www.google.co.uk/amp/s/evil-offers.info/abc",
        "https://www.google.com/url?sa=t&url=https://evil-offers.info/x",
    ],
)
def test_link_through_a_search_engine_redirector_to_another_site(href: str) -> None:
    raw = message(sender="Promo <promo@shop-example.fr>", html=html_link(href))
    assert "sig_link_redirect" in keys(raw)


def test_search_engine_link_to_itself_is_no_redirect() -> None:
    raw = message(html=html_link("https://www.google.com/amp/s/www.google.com/maps"))
    assert "sig_link_redirect" not in keys(raw)


def test_affiliate_network_link() -> None:
    raw = message(html=html_link("https://offers.example/?a=2395&oc=15380&c=42584&m=3&s1=x"))
    assert "sig_link_affiliate" in keys(raw)
    plain = message(html=html_link("https://shop.example/?utm_source=news&utm_campaign=a"))
    assert "sig_link_affiliate" not in keys(plain)


def test_ip_logger_link() -> None:
    assert "sig_link_iplogger" in keys(message(html=html_link("https://grabify.link/91KW3N")))


@pytest.mark.parametrize("local", ["qsfxjtwk", "namcchxxz", "lgknzhdjitj"])
def test_machine_named_mailboxes(local: str) -> None:
    assert machine_name(local)
    raw = message(sender=f"Offers <{local}@deck.example.com>")
    assert "sig_machine_sender" in keys(raw)


@pytest.mark.parametrize(
    "local", ["alice.martin", "jschmidt", "newsletter", "mcmaster", "bmcnett2", "noreply"]
)
def test_people_and_roles_are_not_machine_named(local: str) -> None:
    assert not machine_name(local)


def test_brand_spelt_in_the_mailbox_name() -> None:
    raw = message(sender="Aide <mon.compte.formation@ranocchi.example.it>")
    assert "sig_brand_display" in keys(raw)
    own = message(sender="Service <contact@moncompteformation.gouv.fr>")
    assert "sig_brand_display" not in keys(own)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Good day. Would you be able to handle a project for us? Contact me on email "
         "for more details.", "advance_fee"),
        ("Hi, I like you very much. Would you like to have a chat with me?", "romance"),
        ("Men drugs shop: FDA-approved meds, no prescription needed.", "pharmacy"),
        ("Your Antivirus subscription for Windows has expired. Your device is currently "
         "unprotected.", "fake_renewal"),
        ("Herzlichen Glückwunsch, Sie sind einer der Finalisten! Nehmen Sie an unserer "
         "Umfrage teil.", "prize"),
    ],
)  # fmt: skip
def test_scam_wording(text: str, kind: str) -> None:
    v = score_message(message(sender="X <info@example.com>", text=text), lang="en")
    assert "sig_scam_offer" in v.signals
    offer = next(m for m in v.messages if "sig_scam_offer" in str(m))
    assert kind in str(offer)


def test_two_kinds_of_offer_weigh_more_than_one() -> None:
    one = message(text="Claim your prize today, the draw is closed.")
    two = message(text="Claim your prize today. Online pharmacy, no prescription needed.")
    points = {
        raw: next(
            m["params"]["points"]
            for m in score_message(raw, lang="en").messages
            if "sig_scam_offer" in str(m)
        )
        for raw in (one, two)
    }
    assert points[two] > points[one]


def test_ordinary_mail_has_none_of_these() -> None:
    raw = message(
        text="Bonjour, la formation sur le dossier patient aura lieu jeudi. Une enquête de "
        "satisfaction vous sera envoyée ensuite. Merci de votre participation."
    )
    found = set(keys(raw))
    new = {"sig_scam_offer", "sig_link_redirect", "sig_link_affiliate", "sig_machine_sender"}
    assert not found & new
