"""Authenticated senders and brand families: real notifications are not phishing, and a
forged header does not make phishing a notification."""

from __future__ import annotations

import pytest
from tests.mail.helpers import HOSPITAL, SureModel, message

from rempart.mail.parse import parse_message
from rempart.mail.score import score_message
from rempart.mail.senders import authenticated_from, authserv_id, family, trusted_sender
from rempart.model import Hospital
from rempart.model.hospital import HospitalInfo

ALERT = (
    "Unusual sign-in activity. We detected something unusual about a recent sign-in to your "
    "account. If you're not sure this was you, a malicious user might have your password. "
    "Please review your recent activity and verify your account. Click here to secure your "
    "account."
)
GATEWAY = "mx.chu-test.fr"


@pytest.fixture
def phishy_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """A text model for which every text reads as phishing (p = 0.99): these tests are
    about what authentication changes, whatever the trained model makes of the alert."""
    model = SureModel({}, 5.0, {"p_suspicious": 0.9})
    monkeypatch.setattr("rempart.mail.score.default_model", lambda: model)


def auth(domain: str, dmarc: str = "pass", authserv: str = GATEWAY) -> str:
    return (
        f"{authserv}; spf=pass smtp.mailfrom={domain}; dkim=pass header.d={domain}; "
        f"dmarc={dmarc} header.from={domain}"
    )


def alert(sender: str, domain: str, *headers: str, href: str | None = None) -> bytes:
    link = href or f"https://account.live.com/activity?d={domain}"
    raw = message(
        sender=sender,
        subject="Microsoft account security alert",
        html=f"<p>{ALERT}</p><a href='{link}'>Review recent activity</a>",
    )
    # the topmost Authentication-Results is the last hop's: put them before the rest
    return b"".join(f"Authentication-Results: {h}\r\n".encode() for h in headers) + raw


@pytest.mark.usefixtures("phishy_text")
def test_known_notifier_authenticated_is_not_suspicious_on_text_alone() -> None:
    raw = alert("Microsoft <account-security-noreply@accountprotection.microsoft.com>",
                "accountprotection.microsoft.com", auth("accountprotection.microsoft.com"))  # fmt: skip
    v = score_message(raw, HOSPITAL)
    assert v.verdict == "clean", v.reasons
    assert "sig_trusted_sender" in v.signals
    # the link to live.com is Microsoft's own: no lure "to someone else"
    assert "sig_lure" not in v.signals
    # the same text without the gateway's word for it is phishing
    bare = score_message(
        alert("Microsoft <account-security-noreply@accountprotection.microsoft.com>",
              "accountprotection.microsoft.com"),
        HOSPITAL,
    )  # fmt: skip
    assert bare.flagged and "sig_trusted_sender" not in bare.signals


@pytest.mark.parametrize(
    ("sender", "headers", "href"),
    [
        # a look-alike domain that authenticates itself: not a known notifier
        ("Microsoft <security@microsoft-account-verify.com>", (auth("microsoft-account-verify.com"),), None),
        # DMARC failed at the gateway
        ("Microsoft <security@microsoft.com>", (auth("microsoft.com", "fail"),), None),
        # a pass forged below the gateway's fail: only the topmost header is the gateway's
        ("Microsoft <security@microsoft.com>", (auth("microsoft.com", "fail"), auth("microsoft.com")), None),
        # authenticated for another domain than the From
        ("Microsoft <security@microsoft.com>", (auth("sender.example"),), None),
        # genuinely from Microsoft, but the link leads elsewhere (a way out still counts)
        ("Microsoft <security@microsoft.com>", (auth("microsoft.com"),), "https://secure-login.example.net/x"),
    ],
)  # fmt: skip
@pytest.mark.usefixtures("phishy_text")
def test_authentication_does_not_launder_phishing(
    sender: str, headers: tuple[str, ...], href: str | None
) -> None:
    v = score_message(alert(sender, "microsoft.com", *headers, href=href), HOSPITAL)
    assert v.flagged, v.reasons


@pytest.mark.usefixtures("phishy_text")
def test_only_the_gateways_authserv_id_is_believed() -> None:
    forged = alert("Microsoft <security@microsoft.com>", "microsoft.com",
                   auth("microsoft.com", authserv="mx.attacker.example"))  # fmt: skip
    mail = parse_message(forged)
    assert authenticated_from(mail) == "microsoft.com"  # unset: the topmost header
    assert authenticated_from(mail, (GATEWAY,)) is None
    declared = Hospital(hospital=HospitalInfo(name="CHU", authserv_ids=(GATEWAY,)))
    assert score_message(forged, declared).flagged
    real = alert("Microsoft <security@microsoft.com>", "microsoft.com", auth("microsoft.com"),
                 auth("microsoft.com", "fail", authserv="mx.attacker.example"))  # fmt: skip
    assert not score_message(real, declared).flagged


def test_arc_copies_and_dkim_alignment() -> None:
    arc = parse_message(
        b"ARC-Authentication-Results: i=1; mx.google.com; dmarc=pass header.from=github.com\r\n"
        + message(sender="GitHub <noreply@github.com>")
    )
    assert authenticated_from(arc) is None  # any hop may have written an ARC copy
    dkim = parse_message(
        b"Authentication-Results: mx.chu-test.fr; dkim=pass header.d=github.com\r\n"
        + message(sender="GitHub <noreply@github.com>")
    )
    assert authenticated_from(dkim) == "github.com"
    other = parse_message(
        b"Authentication-Results: mx.chu-test.fr; dkim=pass header.d=mailer.example\r\n"
        + message(sender="GitHub <noreply@github.com>")
    )
    assert authenticated_from(other) is None
    assert authserv_id("spf=pass (sender IP is 1.2.3.4) smtp.mailfrom=x.fr") is None
    assert authserv_id("mx.chu-test.fr 1; dmarc=pass") == "mx.chu-test.fr"


def test_declared_trusted_senders_and_freemail() -> None:
    vendor = parse_message(
        f"Authentication-Results: {auth('editeur-dpi.fr')}\r\n".encode()
        + message(sender="Support <support@editeur-dpi.fr>")
    )
    assert trusted_sender(vendor, HOSPITAL) is None
    declared = Hospital(hospital=HospitalInfo(name="CHU", trusted_senders=("Editeur-DPI.fr.",)))
    assert trusted_sender(vendor, declared) == "editeur-dpi.fr"
    # anyone can open a Gmail account: authenticated gmail.com vouches for nobody
    gmail = parse_message(
        f"Authentication-Results: {auth('gmail.com')}\r\n".encode()
        + message(sender="Direction <direction.chu@gmail.com>")
    )
    assert authenticated_from(gmail) == "gmail.com" and trusted_sender(gmail) is None
    with pytest.raises(ValueError, match="not a domain name"):
        HospitalInfo(name="CHU", trusted_senders=("support@editeur-dpi.fr",))


def test_brand_families() -> None:
    assert "live.com" in family("accountprotection.microsoft.com")
    assert family("chu-test.fr") == {"chu-test.fr"}
    ameli = message(sender="Ameli <ne-pas-repondre@assurance-maladie.fr>")
    assert "sig_brand_display" not in score_message(ameli, HOSPITAL).signals
    fake = message(sender="Ameli <remboursement@assurance-maladie-fr.info>")
    assert "sig_brand_display" in score_message(fake, HOSPITAL).signals


@pytest.mark.parametrize(
    ("sender", "subject", "text", "href"),
    [
        ("GitHub <noreply@github.com>", "[GitHub] A new public key was added to your account",
         "The following SSH key was added to your account: laptop. If you believe this key was "
         "added in error, you can remove the key and disable access at the following location.",
         "https://github.com/settings/keys"),
        ("Zoom <no-reply@zoom.us>", "Please activate your Zoom account",
         "Welcome to Zoom! To activate your account please click the button below to verify "
         "your email address. If the button above does not work, paste this into your browser.",
         "https://zoom.us/activate?code=xyz"),
        ("Ameli <ne-pas-repondre@assurance-maladie.fr>",
         "Un nouveau document est disponible dans votre compte ameli",
         "Un nouveau document est disponible dans votre espace personnel : votre relevé de "
         "remboursements. Connectez-vous à votre compte ameli pour le consulter.",
         "https://assure.ameli.fr"),
    ],
)  # fmt: skip
def test_real_notifications_are_clean(sender: str, subject: str, text: str, href: str) -> None:
    domain = sender.rsplit("@", 1)[1].rstrip(">")
    raw = message(sender=sender, subject=subject, text=f"{text}\n{href}",
                  html=f"<p>{text}</p><a href='{href}'>{href}</a>")  # fmt: skip
    signed = f"Authentication-Results: {auth(domain)}\r\n".encode() + raw
    v = score_message(signed, HOSPITAL)
    assert v.verdict == "clean", v.reasons
