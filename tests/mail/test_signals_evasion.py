"""Ninth-pass signals: what a browser shows but a naive parser missed (raw-text elements,
an unclosed head), Unicode link hosts, impossible From domains, invisible characters inside
words, servers named after their IP, unauthenticated senders, and lure wording that points
to free mail. Each on a crafted positive and a crafted negative message."""

from __future__ import annotations

import pytest
from tests.mail.helpers import HOSPITAL, message

from rempart.mail.parse import parse_message, read_html
from rempart.mail.score import score_message


def keys(raw: bytes) -> tuple[str, ...]:
    return score_message(raw, HOSPITAL, lang="en").signals


def test_noframes_does_not_hide_the_rest_of_the_message() -> None:
    # "<noframes><style></noframes>": a browser reads noframes as raw text, so the <style>
    # inside it opens nothing and the link below is shown; so must Rempart read it
    html = (
        "<noframes><xml><style></xml></noframes>"
        '<a href="https://pay.example.net/x">Pay now</a><p>Bespaar honderden euro</p>'
        "<style>p{color:red}</style>"
    )
    facts = read_html(html)
    assert [link.href for link in facts.links] == ["https://pay.example.net/x"]
    assert "Bespaar honderden euro" in facts.text
    # script and style still hide their content, and noembed / iframe hold no shown text
    hidden = read_html("<script>var a='<a href=\"https://x.example\">x</a>'</script>"
                       "<noembed>alt</noembed><iframe>frame</iframe><p>shown</p>")  # fmt: skip
    assert hidden.links == () and hidden.text == "shown"


def test_unclosed_head_does_not_hide_the_body() -> None:
    html = '<html><head><title>Lettre</title><body><a href="https://a.example/b">lire</a> texte'
    facts = read_html(html)
    assert "texte" in facts.text and "Lettre" not in facts.text
    assert [link.href for link in facts.links] == ["https://a.example/b"]


def test_unicode_link_host_counts_as_punycode() -> None:
    raw = message(html='<a href="http://\u00f0mge\u0178gh.21cifm.example/r.php">x</a>')
    assert "sig_link_punycode" in keys(raw)
    assert "sig_link_punycode" not in keys(message(html='<a href="https://www.ameli.fr">x</a>'))


def test_from_domain_no_dns_can_hold_is_malformed() -> None:
    bad = parse_message(message(sender="TV <tv@'tv-offer.autoworks.example>"))
    assert bad.from_malformed
    assert "sig_from_malformed" in keys(message(sender="TV <tv@'tv-offer.autoworks.example>"))
    assert "sig_from_malformed" in keys(message(sender="TV <tv@-x.example>"))
    for good in ("Labo <res@biolab-sud.fr>", "Mairie <contact@münchen.example>",
                 "Relais <postmaster@[192.0.2.1]>"):  # fmt: skip
        assert not parse_message(message(sender=good)).from_malformed, good


def test_invisible_characters_inside_words() -> None:
    zw = "\u200c"
    text = f"Claim your Li{zw}do air{zw}drop, con{zw}nect your wal{zw}let today."
    assert "sig_styled_text" in keys(message(text=text))
    # a newsletter's hidden preheader padding ("&zwnj;&nbsp;") sits between spaces, and
    # Persian joins its own letters with the same character
    pad = "Votre lettre de novembre " + f"{zw}\u00a0" * 40
    assert "sig_styled_text" not in keys(message(text=pad))
    assert "sig_styled_text" not in keys(
        message(text=f"\u0645\u06cc{zw}\u062e\u0648\u0627\u0647\u0645 " * 5)
    )


@pytest.mark.parametrize(
    "host",
    ["srvzjpdn.20.196.139.106.static.hostiran.example", "ec2-3-8-1-250.compute.example.com"],
)
def test_link_to_a_server_named_after_its_ip(host: str) -> None:
    assert "sig_link_ip_name" in keys(message(html=f'<a href="http://{host}/x">Jetzt</a>'))


def test_link_ip_name_negative() -> None:
    for host in ("www.chu-test.fr", "cdn-2024-11-23.example.com", "v1-2-3.api.example.com"):
        assert "sig_link_ip_name" not in keys(message(html=f'<a href="https://{host}/">x</a>'))
    # a bare address is the stronger sig_link_ip, not both
    ks = keys(message(html='<a href="http://192.0.2.7/x">x</a>'))
    assert "sig_link_ip" in ks and "sig_link_ip_name" not in ks


def test_unauthenticated_sender() -> None:
    none = {"Authentication-Results": "mx.chu-test.fr; spf=none smtp.mailfrom=shop.example;"
            " dkim=none (message not signed); dmarc=none header.from=shop.example"}  # fmt: skip
    assert "sig_unauthenticated" in keys(message(headers=none))
    signed = {"Authentication-Results": "mx.chu-test.fr; spf=none smtp.mailfrom=shop.example;"
              " dkim=pass header.d=shop.example; dmarc=pass"}  # fmt: skip
    assert "sig_unauthenticated" not in keys(message(headers=signed))
    # internal mail that no gateway checked records nothing: not "unauthenticated"
    assert "sig_unauthenticated" not in keys(message())


def test_private_names_are_not_unknown_extensions() -> None:
    assert "sig_unknown_tld" in keys(message(sender="Colis <c@skyfon.eu-new>"))
    for dom in ("supervision.chu.local", "glpi.chu-test.intra", "app.hopital.internal"):
        assert "sig_unknown_tld" not in keys(message(sender=f"Supervision <nagios@{dom}>")), dom


@pytest.mark.parametrize(
    ("part", "body", "elsewhere"),
    [
        # an advance-fee formula whose way out is a free-mail address written in the text
        ("text", "We discovered that you have unclaimed funds. Get back to me for more"
         " details: ambassador.office020@gmail.com", "ambassador.office020@gmail.com"),
        # a parcel lure whose way out is a link to another organisation
        ("html", "<p>Your package will be sent back. To submit a redelivery click below.</p>"
         '<a href="https://parcel-help.example.net/x">Review</a>', "parcel-help.example.net"),
    ],
)  # fmt: skip
def test_new_lure_wording_needs_a_way_out(part: str, body: str, elsewhere: str) -> None:
    sender = "Service <office@sender.example>"
    assert "sig_lure" in keys(message(sender=sender, **{part: body}))
    # the same wording with no way out to someone else is not a lure
    own = body.replace(elsewhere, "office@sender.example" if part == "text" else "sender.example")
    assert "sig_lure" not in keys(message(sender=sender, **{part: own}))


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("Geniet van daten", "Ontmoet charmante Russische schoonheden vandaag."),
        ("Online work", "ONLINE WORK! FIRST PAYMENT WITHIN 60 MINUTES!"),
        ("Job", "Earn $350 per day from your phone."),
    ],
)
def test_new_scam_offers(subject: str, text: str) -> None:
    assert "sig_scam_offer" in keys(
        message(sender="X <x@promo.example>", subject=subject, text=text)
    )


def test_new_scam_offers_negative() -> None:
    text = ("Le poste de nuit est rémunéré selon la grille ; première paie le 28. "
            "Russian and Ukrainian patients: interpreters on call.")  # fmt: skip
    assert "sig_scam_offer" not in keys(message(text=text))


def test_ingest_reads_past_noframes_too() -> None:
    from rempart.sources.email_mime import html_to_text

    text, links = html_to_text(
        '<noframes><style></noframes><a href="https://pay.example.net/x">Payer</a> ici'
    )
    assert links == ["https://pay.example.net/x"] and text == "Payer ici"


@pytest.mark.parametrize(
    "hostile",
    ["<div" * 80_000, "<!--" * 80_000, "<a " * 100_000, "</div" * 80_000, "<![CDATA[" * 40_000],
)
def test_unclosed_constructs_end_with_the_document(hostile: str) -> None:
    # HTMLParser.close() spent 35 to 42 s on 320 KB of these (CPython gh-135462); what
    # never closes runs to the end of the document and is dropped, as a browser drops it
    from rempart.sources.email_mime import html_to_text

    facts = read_html("<p>Bonjour</p>" + hostile)
    assert facts.text == "Bonjour" and facts.links == ()
    assert html_to_text("<p>Bonjour</p>" + hostile) == ("Bonjour", [])


def test_what_close_used_to_flush_is_still_read() -> None:
    # text held back for a character reference cut at the end, and xmp's unclosed raw text
    assert read_html("<p>Tom &amp; Jerry &am").text == "Tom & Jerry &am"
    assert read_html("<xmp>raw <b>bold").text == "raw <b>bold"
    assert read_html("<p>a</p><style>p{color:red}").text == "a"
    assert read_html("visible <!-- never closed").text == "visible"
