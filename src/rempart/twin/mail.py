"""The twin's mailbox: ordinary hospital mail (French) and a Qbot-style phishing campaign.

Everything is built with the standard library's `email` package and written as an mbox with
explicit dates, message ids and MIME boundaries, so the same seed gives the same bytes. The
phishing attachment is a harmless zip holding a text note: bytes with the right shape, never
a payload.
"""

from __future__ import annotations

import email.policy
import io
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import numpy as np

from rempart.model.hospital import AssetKind, Hospital

__all__ = ["Phishing", "build_phishing", "write_mbox"]

_POLICY = email.policy.default.clone(linesep="\n", max_line_length=78)


@dataclass(frozen=True)
class Phishing:
    """The campaign as the ground truth records it."""

    message_id: str
    subject: str
    sender: str
    display_name: str
    reply_to: str
    recipients: tuple[str, ...]
    sent_at: datetime
    url: str
    attachment: str
    lookalike_of: str
    sender_ip: str


_INTERNAL_SUBJECTS = (
    ("Planning des gardes – semaine {w}", "Bonjour à tous,\n\nVous trouverez le planning des "
     "gardes de la semaine {w} sur le partage du service. Merci de signaler toute erreur "
     "avant jeudi.\n\nBien cordialement,\n{sig}"),
    ("Réunion de service jeudi {d}", "Bonjour,\n\nLa réunion de service aura lieu jeudi {d} à "
     "14 h en salle de staff. Ordre du jour : indicateurs, sorties, points divers.\n\n{sig}"),
    ("Commission médicale d'établissement – convocation", "Madame, Monsieur,\n\nLa prochaine "
     "CME se tiendra le {d} mars à 17 h 30 en salle du conseil.\n\nLe secrétariat de la CME"),
    ("Transmission patient chambre {room}", "Bonjour,\n\nPour info, le patient de la chambre "
     "{room} sort demain matin ; ordonnance et courrier de sortie à préparer.\n\nMerci,\n{sig}"),
    ("Maintenance informatique samedi", "Bonjour,\n\nUne maintenance du dossier patient est "
     "prévue samedi de 6 h à 8 h. Les procédures dégradées papier seront à utiliser.\n\n"
     "La DSI"),
    ("Formation hygiène des mains", "Bonjour,\n\nRappel : la formation hygiène des mains "
     "est obligatoire pour tous les soignants. Inscriptions auprès de l'EOH.\n\n{sig}"),
    ("Commande de matériel", "Bonjour,\n\nLa commande de consommables du service a été "
     "validée ; livraison prévue mercredi par la logistique.\n\n{sig}"),
    ("Congés d'été – dépôt des demandes", "Bonjour à tous,\n\nMerci de déposer vos demandes "
     "de congés d'été avant le 31 mars auprès de votre cadre.\n\n{sig}"),
)  # fmt: skip
_PARTNER_SUBJECTS = (
    ("labo-biosud", "Résultats d'analyses – dossier {n}", "Bonjour,\n\nLes résultats du "
     "dossier {n} sont disponibles sur le portail sécurisé du laboratoire.\n\n"
     "Laboratoire BioSud"),
    ("labo-occitanie", "Planning de ramassage des prélèvements", "Bonjour,\n\nLe coursier "
     "passera à 11 h et 16 h cette semaine.\n\nLaboratoire d'analyses Occitanie"),
    ("tresorerie", "Avis de paiement – mandat {n}", "Bonjour,\n\nLe mandat {n} a été pris en "
     "charge et sera réglé sous 48 heures.\n\nTrésorerie hospitalière"),
    ("hds", "Rapport mensuel de disponibilité", "Bonjour,\n\nLe rapport de disponibilité du "
     "mois de février est disponible dans votre espace client (99,98 %).\n\n"
     "L'équipe d'hébergement"),
    ("paie-externe", "Préparation de la paie de mars", "Bonjour,\n\nMerci de nous transmettre "
     "les variables de paie de mars avant le 15.\n\nVotre prestataire de paie"),
)  # fmt: skip
_NEWSLETTERS = (
    ("lettre@ars-exemple.fr", "ARS – Lettre d'information", "Lettre d'information de l'ARS "
     "– mars 2019", "Au sommaire : campagne de vaccination, appels à projets, "
     "cybersécurité des établissements de santé."),
    ("info@federation-hospitaliere-exemple.fr", "Fédération hospitalière", "Actualités de la "
     "semaine", "Les actualités de la semaine : financement, ressources humaines, "
     "numérique en santé."),
    ("newsletter@revue-soins-exemple.fr", "Revue Soins", "Votre revue de la semaine",
     "Dossier du mois : la prévention des escarres en gériatrie."),
)  # fmt: skip


def _message(
    *,
    sender: str,
    display: str,
    to: list[str],
    subject: str,
    body: str,
    when: datetime,
    message_id: str,
    auth: str,
    received_from: str,
    html: str | None = None,
) -> EmailMessage:
    msg = EmailMessage(policy=_POLICY)
    msg["Return-Path"] = f"<{sender}>"
    msg["Received"] = (
        f"from {received_from} by mx01.chu-exemple.fr with ESMTPS; {format_datetime(when)}"
    )
    msg["Authentication-Results"] = auth
    msg["From"] = f"{display} <{sender}>"
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = message_id
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
        msg.set_boundary(f"=_alt_{message_id.strip('<>').split('@')[0]}")
    return msg


def _pass(domain: str) -> str:
    return (
        f"mx01.chu-exemple.fr; spf=pass smtp.mailfrom={domain}; "
        f"dkim=pass header.d={domain}; dmarc=pass header.from={domain}"
    )


def ordinary_mail(
    hospital: Hospital, day: datetime, count: int, seed: int
) -> list[tuple[datetime, str, EmailMessage]]:
    """`count` ordinary messages of the day: internal, partners, newsletters."""
    rng = np.random.default_rng([seed, 7])
    domain = hospital.hospital.domains[0]
    staff = [a.user for a in hospital.assets if a.user and a.kind is AssetKind.WORKSTATION]
    partners = {p.id: p for p in hospital.partners}
    out: list[tuple[datetime, str, EmailMessage]] = []
    for k in range(count):
        minute = int(rng.integers(6 * 60, 19 * 60))  # 07:00–20:00 local
        when = day + timedelta(minutes=minute, seconds=int(rng.integers(60)))
        mid = f"<{day:%Y%m%d}.{k:04d}.{int(rng.integers(1 << 30)):08x}@{domain}>"
        to = [staff[int(i)] for i in rng.choice(len(staff), size=int(rng.integers(1, 4)))]
        kind = rng.random()
        if kind < 0.6:
            subj, body = _INTERNAL_SUBJECTS[int(rng.integers(len(_INTERNAL_SUBJECTS)))]
            sender = staff[int(rng.integers(len(staff)))]
            name = sender.split("@")[0].replace(".", " ").title()
            values = {"w": 11, "d": 14, "room": int(rng.integers(100, 450)), "sig": name}
            msg = _message(
                sender=sender, display=name, to=to, subject=subj.format(**values),
                body=body.format(**values), when=when, message_id=mid,
                auth=f"mx01.chu-exemple.fr; spf=pass smtp.mailfrom={domain}",
                received_from=f"exch01.{domain} (10.10.0.1)",
            )  # fmt: skip
        elif kind < 0.85:
            pid, subj, body = _PARTNER_SUBJECTS[int(rng.integers(len(_PARTNER_SUBJECTS)))]
            p = partners[pid]
            pdomain = p.domains[0] if p.domains else "partenaire.fr"
            n = f"{int(rng.integers(10000, 99999))}"
            relay = f"mail.{pdomain} ({p.addresses[0].split('/')[0]})"
            msg = _message(
                sender=f"contact@{pdomain}", display=p.name, to=to,
                subject=subj.format(n=n), body=body.format(n=n), when=when, message_id=mid,
                auth=_pass(pdomain), received_from=relay,
            )  # fmt: skip
        else:
            sender, name, subj, text = _NEWSLETTERS[int(rng.integers(len(_NEWSLETTERS)))]
            sdomain = sender.split("@")[1]
            html = f"<html><body><h1>{subj}</h1><p>{text}</p></body></html>"
            msg = _message(
                sender=sender, display=name, to=to, subject=subj,
                body=text + "\n\nSe désinscrire : https://" + sdomain + "/desinscription",
                when=when, message_id=mid, auth=_pass(sdomain),
                received_from=f"out.{sdomain} (198.51.100.{200 + k % 40})", html=html,
            )  # fmt: skip
        out.append((when, sender if kind < 0.6 else msg["Return-Path"].strip("<>"), msg))
    return out


def _fake_zip(name: str) -> bytes:
    """A harmless zip: one text note, fixed timestamps (same bytes every time)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo(name.replace(".zip", ".doc"), date_time=(2019, 3, 8, 17, 2, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(
            info,
            "Pièce jointe simulée par le jumeau numérique Rempart.\n"
            "Ce fichier ne contient aucun code : il imite la forme d'une facture piégée.\n",
        )
    return buf.getvalue()


def build_phishing(
    hospital: Hospital, recipients: list[str], sent_at: datetime
) -> tuple[Phishing, EmailMessage]:
    """The Qbot-style lure: a reply-chain invoice reminder from a lab lookalike domain."""
    lab = hospital.partner("labo-biosud")
    real = lab.domains[0]  # biosud-labo.fr
    fake = real.replace("labo", "labos")  # biosud-labos.fr: one letter more
    sender = f"facturation@{fake}"
    reply_to = "recouvrement.biosud@factures-reglement.top"
    url = "http://docs-facture-partage.top/fa/2019-0412/Facture_FA-2019-03-0412.zip"
    attachment = "Facture_FA-2019-03-0412.zip"
    subject = "RE: Facture impayée n° FA-2019-03-0412 – relance avant contentieux"
    mid = f"<{sent_at:%Y%m%d%H%M%S}.4f1c9a@{fake}>"
    sender_ip = "203.0.113.200"
    domain = hospital.hospital.domains[0]
    msg = EmailMessage(policy=_POLICY)
    msg["Return-Path"] = f"<bounce-0412@{fake}>"
    msg["Received"] = (
        f"from mail.{fake} ({sender_ip}) by mx01.{domain} with ESMTP; {format_datetime(sent_at)}"
    )
    msg["Authentication-Results"] = (
        f"mx01.{domain}; spf=fail (sender IP is {sender_ip}) smtp.mailfrom={fake}; "
        f"dkim=none; dmarc=fail (p=none dis=none) header.from={fake}"
    )
    msg["Received-SPF"] = f"fail (domain of {fake} does not designate {sender_ip} as permitted)"
    msg["From"] = f"Service facturation BioSud <{sender}>"
    msg["Reply-To"] = reply_to
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(sent_at)
    msg["Message-ID"] = mid
    msg["In-Reply-To"] = f"<20190219.0412@{real}>"
    msg["X-Mailer"] = "Microsoft Outlook 16.0"
    text = (
        "Bonjour,\n\n"
        "Sauf erreur de notre part, la facture n° FA-2019-03-0412 relative aux analyses "
        "sous-traitées de février reste impayée à ce jour.\n\n"
        "Afin d'éviter l'ouverture d'une procédure de recouvrement, merci de consulter la "
        "facture et le relevé ci-joints, également disponibles ici :\n"
        f"{url}\n\n"
        "Mot de passe de l'archive : 0412\n\n"
        "Cordialement,\n"
        "Service facturation – Laboratoire BioSud\n\n"
        "> -----Message d'origine-----\n"
        f"> De : Comptabilité fournisseurs <compta.fournisseurs@{domain}>\n"
        "> Objet : Facture FA-2019-03-0412\n"
        "> Bonjour, la facture est en cours de traitement. Cordialement.\n"
    )
    msg.set_content(text)
    html = (
        "<html><body><p>Bonjour,</p><p>Sauf erreur de notre part, la facture "
        "n° FA-2019-03-0412 reste impayée à ce jour.</p>"
        f'<p><a href="{url}">Consulter la facture FA-2019-03-0412</a></p>'
        "<p>Mot de passe de l'archive : 0412</p>"
        "<p>Cordialement,<br>Service facturation – Laboratoire BioSud</p></body></html>"
    )
    msg.add_alternative(html, subtype="html")
    msg.add_attachment(
        _fake_zip(attachment), maintype="application", subtype="zip", filename=attachment
    )
    msg.set_boundary("=_mixed_4f1c9a")
    for part in msg.iter_parts():
        if part.get_content_type() == "multipart/alternative":
            part.set_boundary("=_alt_4f1c9a")
    ph = Phishing(
        message_id=mid,
        subject=subject,
        sender=sender,
        display_name="Service facturation BioSud",
        reply_to=reply_to,
        recipients=tuple(recipients),
        sent_at=sent_at,
        url=url,
        attachment=attachment,
        lookalike_of=real,
        sender_ip=sender_ip,
    )
    return ph, msg


def write_mbox(path: Path, messages: list[tuple[datetime, str, EmailMessage]]) -> int:
    """Write messages (date, envelope sender, message) in date order as an mbox (mboxrd)."""
    messages = sorted(messages, key=lambda m: (m[0], str(m[2]["Message-ID"])))
    with path.open("wb") as fh:
        for when, sender, msg in messages:
            raw = msg.as_bytes(policy=_POLICY)
            lines = raw.split(b"\n")
            escaped = [b">" + ln if ln.lstrip(b">").startswith(b"From ") else ln for ln in lines]
            stamp = when.astimezone(UTC).strftime("%a %b %d %H:%M:%S %Y")
            fh.write(f"From {sender} {stamp}\n".encode())
            fh.write(b"\n".join(escaped).rstrip(b"\n") + b"\n\n")
    return len(messages)
