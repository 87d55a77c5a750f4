"""The general rules of issue 22 point 7, each on a crafted positive and negative message:
`.url` shortcuts judged by their target, sister-domain Reply-To, brand names in
newsletters' display names, plain credential notifications, crypto-balance and donation
scams, bait in display names."""

from __future__ import annotations

import pytest
from tests.mail.helpers import message

from rempart.mail.parse import parse_message
from rempart.mail.score import SUSPICIOUS, score_message
from rempart.mail.signals import bulk, names_sender, sister


def keys(raw: bytes) -> tuple[str, ...]:
    return score_message(raw, lang="en").signals


def shortcut(target: str) -> bytes:
    return f"[InternetShortcut]\r\nURL={target}\r\nIconIndex=0\r\n".encode()


def test_url_shortcut_to_a_web_page_is_a_link() -> None:
    raw = message(
        attachments=[
            (
                "Intranet.url",
                shortcut("https://intranet.chu-test.fr/docs"),
                "application/octet-stream",
            )
        ]
    )
    v = score_message(raw, lang="en")
    assert "att_url_link" in v.signals
    assert "att_exec_name" not in v.signals
    assert v.score < SUSPICIOUS


def test_url_shortcut_to_a_bare_site_is_a_link() -> None:
    # ".com" is also an executable extension: the host's suffix is not the target's
    raw = message(attachments=[("site.url", shortcut("https://example.com"), "text/plain")])
    assert "att_url_link" in keys(raw)


@pytest.mark.parametrize(
    "target",
    [
        "file:///C:/Windows/System32/calc.exe",
        "\\\\203.0.113.7\\share\\invoice.pdf.lnk",
        "file://203.0.113.7@80/dav/doc.hta",
        "https://cdn.example.net/update/setup.exe",
        "search-ms:query=facture&crumb=location:\\\\203.0.113.7@80\\share",
    ],
)
def test_url_shortcut_to_a_file_share_or_program_is_dangerous(target: str) -> None:
    raw = message(attachments=[("Facture.url", shortcut(target), "application/octet-stream")])
    v = score_message(raw, lang="en")
    assert "att_url_dangerous" in v.signals
    assert v.score >= SUSPICIOUS


def test_sister_domains() -> None:
    assert sister("doctolib.fr", "doctolib.com")
    assert sister("news.has-sante.fr", "has-sante.fr")
    assert sister("lettre-spf.fr", "santepubliquefrance.fr", "Santé publique France")
    assert sister("microsoft.com", "office.com")  # one brand's family
    assert not sister("doctolib.fr", "gmail.com")
    assert not sister("bank-secure.example", "evil.example.net", "Ma Banque")


def test_reply_to_on_a_sister_domain_is_not_a_mismatch() -> None:
    sister_reply = message(
        sender="Doctolib <info@doctolib.fr>", headers={"Reply-To": "contact@doctolib.com"}
    )
    assert "sig_reply_to_mismatch" not in keys(sister_reply)
    elsewhere = message(
        sender="Doctolib <info@doctolib.fr>", headers={"Reply-To": "doctolib.fr@gmail.com"}
    )
    assert "sig_reply_to_mismatch" in keys(elsewhere)


NEWSLETTER_HTML = (
    "<p>Au sommaire : les nouveautés de Microsoft 365 pour les établissements de santé.</p>"
    '<p><a href="https://www.numeric-sante.fr/webinaires">Lire la suite</a></p>'
    '<p><a href="https://numeric-sante.mj.am/unsub/123">Se désabonner</a></p>'
)


def test_brand_in_a_newsletter_display_name_is_not_impersonation() -> None:
    raw = message(
        sender="Webinaires Microsoft 365 | Numeric Santé <news@numeric-sante.fr>",
        subject="Webinaire du mois",
        html=NEWSLETTER_HTML,
    )
    mail = parse_message(raw)
    assert bulk(mail) and names_sender(mail)
    found = keys(raw)
    assert "sig_brand_display" not in found
    assert "sig_brand_newsletter" in found


def test_brand_display_name_linking_elsewhere_is_still_impersonation() -> None:
    raw = message(
        sender="Microsoft 365 <news@numeric-sante.fr>",
        subject="Votre boîte aux lettres",
        html='<p><a href="https://login-ms365.example.net/x">Se connecter</a></p>'
        '<p><a href="https://numeric-sante.mj.am/unsub/1">Se désabonner</a></p>',
    )
    assert "sig_brand_display" in keys(raw)


@pytest.mark.parametrize(
    ("sender", "subject", "text", "kind"),
    [
        (
            "Banco <notifica@banco-exemplo.com.br>",
            "Alerta",
            "Detectamos um novo acesso à sua conta. Se não foi você, acesse o link.",
            "account",
        ),
        (
            "Service client <service@banque-exemple.fr>",
            "Relevé",
            "Votre relevé de compte est disponible. Consultez-le dans votre espace.",
            "account",
        ),
        (
            "Claims <claims@assets-desk.example>",
            "Notice",
            "You have been identified as an eligible client to begin withdrawing digital "
            "assets from your account.",
            "crypto",
        ),
        (
            "Mrs Reid <reid@letters.example>",
            "My desire",
            "I am dying of cancer and I wish to donate my funds to charity homes.",
            "advance_fee",
        ),
    ],
)
def test_plain_notifications_and_scams_with_a_way_out_elsewhere(
    sender: str, subject: str, text: str, kind: str
) -> None:
    away = message(sender=sender, subject=subject, text=text + " https://x-portal.example.org/a")
    v = score_message(away, lang="en")
    assert "sig_lure" in v.signals
    assert any(m["key"] == "sig_points" and m["params"]["reason"]["params"]["kind"] == kind
               for m in v.messages if m["params"].get("reason", {}).get("key") == "sig_lure")  # fmt: skip
    # the same words linking only to the sender's own site are a real notification
    home_dom = sender.split("@")[1].rstrip(">")
    home = message(sender=sender, subject=subject, text=text + f" https://www.{home_dom}/a")
    assert "sig_lure" not in keys(home)


def test_bait_in_the_display_name() -> None:
    assert "sig_display_bait" in keys(message(sender="Night Vision Pro 50% OFF <a@offers.example>"))
    assert "sig_display_bait" in keys(message(sender="💰Your pending bonus💰 <a@b.example>"))
    assert "sig_display_bait" not in keys(message(sender="Service formation <f@chu-test.fr>"))
