"""Whole legitimate messages a French hospital receives (written for Rempart, seeded): the
legitimate side of the mail scorer's training pool beside the 2002 SpamAssassin ham.

fr_ham.py, en_ham.py and notif_ham.py write (subject, body) pairs for the text model; this
script writes whole RFC 5322 messages, so the signals (sender, Reply-To, links,
attachments, display names) are tried on legitimate mail too, not only the words:

- internal mail of the hospital (fr_ham), mail of suppliers and partners (en_ham);
- service notifications (notif_ham) and the kinds below, each from the organisation's
  own domain, its links to that domain, a sister domain or its mailing service;
- hospital notifications: planning, pharmacy, laboratory result notices, IT service desk
  and GLPI tickets, HR, appointment reminders of a booking service, supplier invoices;
- newsletters of health agencies, learned societies and suppliers, with an unsubscribe
  link, a display name naming the brand, sometimes a Reply-To on a sister domain;
- an intranet shortcut (`.url` pointing to https) or a PDF attached now and then.

Nothing here copies a corpus message; the headers are the ones a sender writes (no relay,
no Message-ID), like the neutralised corpus messages of mail_pool.py.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from en_ham import generate as generate_en
from fr_ham import generate as generate_fr
from notif_ham import generate as generate_notif

SEED = 20261206
# Click trackers of mailing services that organisations send their notifications through
ESP_CLICK = (
    "https://u{n}.ct.sendgrid.net/ls/click?upn={n}",
    "https://click.pstmrk.it/3s/{n}",
    "https://mandrillapp.com/track/click/{n}?u={url}",
    "https://links.e.mailjet.com/c/{n}",
    "https://t.sidekickopen.com/s/{n}",
)
HOSPITALS = ("chu-exemple.fr", "ch-valdeloire.fr", "ghu-nord.fr", "hopital-saint-luc.fr")
FIRST = ("Marie", "Julien", "Sophie", "Karim", "Nathalie", "Thomas", "Claire", "Yann",
         "Fatou", "Pierre", "Inès", "Hugo", "Camille", "Mehdi", "Lucie", "Antoine")  # fmt: skip
LAST = ("Martin", "Bernard", "Petit", "Moreau", "Leroy", "Fournier", "Girard", "Bonnet",
        "Diallo", "Nguyen", "Lambert", "Rousseau", "Benali", "Faure", "Mercier")  # fmt: skip
SUPPLIERS = (
    ("Medisupply Europe", "medisupply.eu"),
    ("BioLab Diagnostics", "biolab-diagnostics.com"),
    ("Orthomed", "orthomed.fr"),
    ("Pharmadis", "pharmadis.fr"),
    ("Radiotech Systems", "radiotech-systems.com"),
    ("Hygiène Pro", "hygienepro.fr"),
)
# (display name, From domain, link domains: its own, a sister domain, its mailing service)
SERVICES = {
    "Doctolib": ("doctolib.fr", ("doctolib.fr", "doctolib.com", "info.doctolib.fr")),
    "Zoom": ("zoom.us", ("zoom.us", "zoom.com")),
    "Microsoft 365": ("microsoft.com", ("microsoft.com", "office.com", "aka.ms")),
    "Google": ("google.com", ("google.com", "accounts.google.com", "support.google.com")),
    "LinkedIn": ("linkedin.com", ("linkedin.com", "lnkd.in")),
    "DocuSign": ("docusign.net", ("docusign.net", "docusign.com")),
    "ameli": ("assurance-maladie.fr", ("ameli.fr", "assurance-maladie.fr")),
    "Teams": ("microsoft.com", ("teams.microsoft.com", "microsoft.com")),
    "Webex": ("webex.com", ("webex.com", "cisco.com")),
    "GitHub": ("github.com", ("github.com", "docs.github.com")),
}
AGENCIES = (
    ("HAS - Haute Autorité de santé", "has-sante.fr", "has-sante.fr", "lettre.has-sante.fr"),
    ("ANSM", "ansm.sante.fr", "ansm.sante.fr", "info.ansm.sante.fr"),
    ("Santé publique France", "santepubliquefrance.fr", "santepubliquefrance.fr",
     "newsletters.santepubliquefrance.fr"),
    ("ARS Île-de-France", "ars.sante.fr", "iledefrance.ars.sante.fr", "ars.sante.fr"),
    ("FHF", "fhf.fr", "fhf.fr", "mailing.fhf.fr"),
    ("ANAP", "anap.fr", "anap.fr", "news.anap.fr"),
    ("Agence du Numérique en Santé", "esante.gouv.fr", "esante.gouv.fr", "ans.sendibt2.com"),
    ("CERT Santé", "cert.sante.gouv.fr", "cyberveille.esante.gouv.fr", "esante.gouv.fr"),
    ("Société française d'anesthésie", "sfar.org", "sfar.org", "sfar.mj.am"),
    ("Elsevier Masson", "elsevier.com", "elsevier.com", "em-consulte.com"),
    ("Orange Business", "orange-business.com", "orange-business.com", "orange.fr"),
    ("Amazon Business", "amazon.fr", "amazon.fr", "amazon.com"),
    ("La Poste Pro", "laposte.fr", "laposte.fr", "laposte.net"),
    ("Dropbox", "dropbox.com", "dropbox.com", "dropboxmail.com"),
    ("Doctolib Pro", "doctolib.fr", "doctolib.com", "info.doctolib.fr"),
    ("Webinaires Microsoft 365 | Numeric Santé", "numeric-sante.fr", "numeric-sante.fr",
     "numeric-sante.mj.am"),
    ("Les offres Amazon Business de Medisupply", "medisupply.eu", "medisupply.eu",
     "medisupply.eu"),
    ("Formations Google Workspace – Campus Santé", "campus-sante.fr", "campus-sante.com",
     "campus-sante.fr"),
    ("Mutuelle Nationale Hospitalière", "mnh.fr", "mnh.fr", "e.mnh.fr"),
    ("Hospimedia", "hospimedia.fr", "hospimedia.fr", "newsletter.hospimedia.fr"),
)  # fmt: skip
NEWS_SUBJECTS = (
    "La lettre de {org} – {mois}",
    "{org} : l'essentiel du mois de {mois}",
    "Nouveautés {mois} : recommandations et outils",
    "Webinaire : {theme} ({jour})",
    "Alerte : {theme}",
    "Your {org} update for {month}",
    "New guidance on {theme_en}",
    "Save the date: {theme_en} webinar",
    "Offre spéciale établissements de santé",
    "Rappel : enquête sur {theme}",
)
NEWS_PARAS = (
    "Au sommaire : {theme}, les nouvelles recommandations de bonne pratique et l'agenda des "
    "prochains webinaires.",
    "Retrouvez la synthèse et les outils de mise en œuvre sur notre site.",
    "Les inscriptions au webinaire du {jour} sont ouvertes ; le nombre de places est limité.",
    "Publication : {theme}. Le document complet est en ligne, ainsi que sa fiche de synthèse.",
    "Cette lettre vous est adressée parce que vous êtes abonné à nos informations. Pour ne "
    "plus la recevoir, cliquez sur le lien de désinscription.",
    "Vous recevez ce courriel car vous êtes inscrit à la lettre d'information. "
    "Se désabonner | Gérer mes préférences",
    "In this issue: {theme_en}, new tools for your teams and upcoming events.",
    "Read the full report and download the toolkit from our website.",
    "You are receiving this email because you subscribed to our newsletter. Unsubscribe "
    "or update your preferences at any time.",
    "Découvrez notre offre réservée aux établissements de santé : remise de 15 % sur les "
    "consommables jusqu'au {jour}. Voir l'offre.",
    "Mise en garde : une campagne d'hameçonnage usurpe l'identité d'organismes de santé. "
    "Ne communiquez jamais vos identifiants ; vérifiez l'adresse de l'expéditeur.",
    "Security bulletin: vulnerabilities affect several VPN appliances. Apply the vendor "
    "updates and review the indicators published on our portal.",
)
THEMES = ("la prévention des infections", "la cybersécurité des établissements",
          "la vaccination antigrippale", "la qualité des soins", "le dossier médical partagé",
          "la sécurité du médicament", "les ruptures d'approvisionnement")  # fmt: skip
THEMES_EN = ("infection prevention", "hospital cybersecurity", "medication safety",
             "patient experience", "supply shortages")  # fmt: skip
# Hospital notifications: (sender local part, display, subject, body, link path)
HOSP_NOTIFS = (
    ("planning", "Planning du personnel", "Votre planning de {mois} est publié",
     "Bonjour {prenom},\n\nVotre planning de {mois} est disponible dans l'application de "
     "gestion des temps. Consultez-le et signalez toute anomalie à votre cadre avant le {jour}."
     "\n\nCeci est un message automatique.", "/planning"),
    ("pharmacie", "Pharmacie à usage intérieur", "Commande {ref} : livraison prévue {jour}",
     "La commande {ref} de votre unité sera livrée {jour}. Les produits en rupture sont "
     "remplacés par leurs équivalents listés sur la fiche jointe.\n\nPharmacie", "/pui"),
    ("laboratoire", "Laboratoire de biologie", "Résultats disponibles - demande {ref}",
     "Les résultats de la demande {ref} sont validés et disponibles dans le serveur de "
     "résultats. Connectez-vous avec vos identifiants habituels pour les consulter.\n\n"
     "Laboratoire de biologie médicale", "/resultats"),
    ("glpi", "Support informatique", "[GLPI #{ref}] Nouveau suivi",
     "Un nouveau suivi a été ajouté au ticket #{ref} « {theme_it} ».\n\nStatut : en cours\n"
     "Technicien : {prenom} {nom}\n\nPour répondre, utilisez le lien vers le ticket ou "
     "répondez à ce courriel.", "/glpi/front/ticket.form.php?id=1"),
    ("glpi", "Support informatique", "[GLPI #{ref}] Ticket résolu",
     "Le ticket #{ref} « {theme_it} » est résolu. Si le problème persiste, vous pouvez le "
     "rouvrir depuis le portail. Merci de répondre à l'enquête de satisfaction.", "/glpi"),
    ("servicedesk", "Service desk DSI", "Votre mot de passe expire dans {n} jours",
     "Bonjour,\n\nLe mot de passe de votre session Windows expire dans {n} jours. Changez-le "
     "depuis votre poste (Ctrl+Alt+Suppr, Modifier le mot de passe). La DSI ne vous "
     "demandera jamais votre mot de passe par courriel.", "/dsi/faq"),
    ("servicedesk", "Service desk DSI", "Maintenance de la messagerie {jour}",
     "La messagerie sera indisponible {jour} de 20 h à 22 h pour une mise à jour de sécurité. "
     "Aucune action n'est requise de votre part.", "/dsi/actualites"),
    ("drh", "Direction des ressources humaines", "Votre bulletin de paie de {mois}",
     "Votre bulletin de paie de {mois} est disponible dans votre coffre-fort numérique. "
     "Connectez-vous à l'espace RH pour le télécharger.", "/rh"),
    ("drh", "Direction des ressources humaines", "Campagne d'entretiens professionnels",
     "La campagne d'entretiens annuels s'ouvre le {jour}. Votre cadre vous proposera un "
     "créneau ; le formulaire est sur l'intranet.", "/rh/entretiens"),
    ("formation", "Service formation", "Inscription confirmée : {theme_form}",
     "Votre inscription à la formation « {theme_form} » du {jour} est confirmée. Une "
     "attestation vous sera remise à l'issue de la session.", "/formation"),
    ("qualite", "Cellule qualité", "Déclaration d'événement indésirable {ref}",
     "Votre déclaration {ref} a été enregistrée et transmise au gestionnaire de risques. "
     "Vous serez informé(e) des suites données.", "/qualite"),
)  # fmt: skip
THEMES_IT = ("Imprimante du poste de soins", "Accès au DPI", "Écran du bloc 3",
             "Création de compte", "Scanner réseau")  # fmt: skip
THEMES_FORM = ("Gestes et soins d'urgence", "Sécurité incendie", "Hygiène des mains",
               "Cybersécurité : reconnaître l'hameçonnage")  # fmt: skip
APPOINT = (
    "Rappel : votre rendez-vous du {jour} à {heure}",
    "Bonjour {prenom} {nom},\n\nNous vous rappelons votre rendez-vous avec le Dr {nom2} le "
    "{jour} à {heure}, {lieu}.\n\nEn cas d'empêchement, pensez à annuler ou déplacer votre "
    "rendez-vous pour libérer le créneau.\n\nGérer mon rendez-vous",
)
INVOICE = (
    "Facture {ref} - {supplier}",
    "Madame, Monsieur,\n\nVeuillez trouver ci-joint la facture {ref} d'un montant de "
    "{amount} € TTC relative à la commande {ref2}. Règlement à 30 jours par virement, selon "
    "les conditions du marché.\n\nVous pouvez aussi la consulter dans votre espace client.\n\n"
    "Service comptabilité\n{supplier}",
)
FILL = {
    "mois": ("janvier", "mars", "mai", "juillet", "septembre", "novembre"),
    "jour": ("lundi 6", "mardi 14", "jeudi 9", "vendredi 24", "mercredi 2"),
    "heure": ("8 h 30", "10 h 15", "14 h", "16 h 45"),
    "month": ("January", "March", "June", "October"),
    "lieu": ("Centre médical des Lilas", "Cabinet du Dr Faure", "Hôpital de jour, niveau 2"),
}


def _pick(rng: random.Random, values: tuple[str, ...]) -> str:
    return values[rng.randrange(len(values))]


def values_of(rng: random.Random, extra: dict[str, str] | None = None) -> dict[str, str]:
    """One message's values: its subject and body say the same date, number, name."""
    values = {k: _pick(rng, v) for k, v in FILL.items()}
    values.update(
        prenom=_pick(rng, FIRST),
        nom=_pick(rng, LAST),
        nom2=_pick(rng, LAST),
        ref=str(rng.randint(10_000, 999_999)),
        ref2=f"BC-{rng.randint(1000, 9999)}",
        n=str(rng.choice((3, 5, 7, 10))),
        amount=f"{rng.randint(40, 25_000):,}".replace(",", " ") + f",{rng.randint(0, 99):02d}",
        theme=_pick(rng, THEMES),
        theme_en=_pick(rng, THEMES_EN),
        theme_it=_pick(rng, THEMES_IT),
        theme_form=_pick(rng, THEMES_FORM),
        org="",
        supplier="",
    )
    values.update(extra or {})
    return values


_START = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)


def _message(
    rng: random.Random,
    *,
    display: str,
    sender: str,
    to: str,
    subject: str,
    text: str,
    links: list[tuple[str, str]] | None = None,
    reply_to: str | None = None,
    html: bool | None = None,
    attachment: tuple[str, str, bytes] | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = formataddr((display, sender)) if display else sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(_START + timedelta(minutes=rng.randint(0, 500_000)))
    if reply_to:
        msg["Reply-To"] = reply_to
    links = links or []
    plain = text + "".join(f"\n{label} : {url}" for label, url in links)
    msg.set_content(plain)
    if html if html is not None else rng.random() < 0.6:
        paras = "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in text.split("\n\n"))
        anchors = "".join(f'<p><a href="{url}">{label}</a></p>' for label, url in links)
        msg.add_alternative(
            f'<html><body><div style="font-family:Arial">{paras}{anchors}</div></body></html>',
            subtype="html",
        )
    if attachment:
        name, ctype, data = attachment
        maintype, subtype = ctype.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def _person(rng: random.Random, domain: str) -> tuple[str, str]:
    first, last = _pick(rng, FIRST), _pick(rng, LAST)
    local = f"{first[0]}.{last}".lower().replace("è", "e").replace("é", "e").replace("î", "i")
    return f"{first} {last}", f"{local}@{domain}"


def _url_shortcut(target: str) -> tuple[str, str, bytes]:
    data = f"[InternetShortcut]\r\nURL={target}\r\n".encode()
    return ("Lien intranet.url", "application/octet-stream", data)


def _pdf() -> tuple[str, str, bytes]:
    body = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    return ("document.pdf", "application/pdf", body)


def internal(count: int, rng: random.Random) -> Iterator[bytes]:
    """Staff mail inside the hospital (fr_ham's texts)."""
    for subject, body in generate_fr(count, seed=SEED):
        dom = _pick(rng, HOSPITALS)
        name, addr = _person(rng, dom)
        link = [("Intranet", f"https://intranet.{dom}/actualites")] if rng.random() < 0.3 else []
        att = _url_shortcut(f"https://intranet.{dom}/docs") if rng.random() < 0.05 else None
        yield _message(rng, display=name, sender=addr, to=f"service@{dom}", subject=subject,
                       text=body, links=link, attachment=att)  # fmt: skip


def business(count: int, rng: random.Random) -> Iterator[bytes]:
    """Suppliers, journals and partners abroad (en_ham's texts)."""
    for subject, body in generate_en(count, seed=SEED + 1):
        org, dom = _pick(rng, SUPPLIERS)
        name, addr = _person(rng, dom)
        links = [("Website", f"https://www.{dom}/")] if rng.random() < 0.4 else []
        att = _pdf() if rng.random() < 0.2 else None
        hosp = _pick(rng, HOSPITALS)
        yield _message(rng, display=f"{name} ({org})", sender=addr, to=f"achats@{hosp}",
                       subject=subject, text=body, links=links, attachment=att)  # fmt: skip


def notifications(count: int, rng: random.Random) -> Iterator[bytes]:
    """Service notifications (notif_ham's texts) from the service's own domains."""
    for subject, body in generate_notif(count, seed=SEED + 2):
        display = next((s for s in SERVICES if s in subject or s in body), None)
        display = display or _pick(rng, tuple(SERVICES))
        dom, link_doms = SERVICES[display]
        local = _pick(rng, ("no-reply", "noreply", "notifications", "info"))
        link_dom = _pick(rng, link_doms)
        page = f"https://{link_dom}/account/{rng.randint(1000, 9999)}"
        if rng.random() < 0.3:  # through the click tracker of its mailing service
            page = _pick(rng, ESP_CLICK).format(n=rng.randint(10**5, 10**8), url=page)
        links = [("Ouvrir", page)]
        hosp = _pick(rng, HOSPITALS)
        yield _message(rng, display=display, sender=f"{local}@{dom}", to=f"secretariat@{hosp}",
                       subject=subject, text=body, links=links)  # fmt: skip


def hospital_notifications(count: int, rng: random.Random) -> Iterator[bytes]:
    """Planning, pharmacy, laboratory, GLPI, service desk, HR, training, quality."""
    for _ in range(count):
        local, display, subject, body, path = HOSP_NOTIFS[rng.randrange(len(HOSP_NOTIFS))]
        dom = _pick(rng, HOSPITALS)
        host = _pick(rng, ("intranet", "glpi", "portail", "apps"))
        v = values_of(rng)
        links = [("Consulter", f"https://{host}.{dom}{path}")]
        yield _message(rng, display=display, sender=f"{local}@{dom}",
                       to=f"{_person(rng, dom)[1]}", subject=subject.format(**v),
                       text=body.format(**v), links=links)  # fmt: skip


def appointments(count: int, rng: random.Random) -> Iterator[bytes]:
    """Appointment reminders of a booking service."""
    for _ in range(count):
        dom = _pick(rng, ("doctolib.fr", "maiia.com", "keldoc.com"))
        name = {"doctolib.fr": "Doctolib", "maiia.com": "Maiia", "keldoc.com": "Keldoc"}[dom]
        page = f"https://www.{dom}/appointments/{rng.randint(1, 10**6)}"
        links = [("Gérer mon rendez-vous", page)]
        yield _message(rng, display=name, sender=f"no-reply@{dom}", to="patient@orange.fr",
                       subject=APPOINT[0].format(**(v := values_of(rng))),
                       text=APPOINT[1].format(**v),
                       links=links, html=True)  # fmt: skip


def invoices(count: int, rng: random.Random) -> Iterator[bytes]:
    """Supplier invoices with the supplier's own customer-area link and a PDF."""
    for _ in range(count):
        org, dom = _pick(rng, SUPPLIERS)
        extra = {"supplier": org}
        links = [("Espace client", f"https://client.{dom}/factures")]
        hosp = _pick(rng, HOSPITALS)
        v = values_of(rng, extra)
        yield _message(rng, display=f"{org} Comptabilité", sender=f"factures@{dom}",
                       to=f"fournisseurs@{hosp}", subject=INVOICE[0].format(**v),
                       text=INVOICE[1].format(**v), links=links,
                       attachment=_pdf())  # fmt: skip


def newsletters(count: int, rng: random.Random) -> Iterator[bytes]:
    """Newsletters of agencies, societies and suppliers: the brand in the display name,
    links to the site and its mailing service, an unsubscribe link, sometimes a Reply-To
    on a sister domain."""
    for _ in range(count):
        org, dom, site, mailer = AGENCIES[rng.randrange(len(AGENCIES))]
        extra = {"org": org.split(" - ")[0]}
        v = values_of(rng, extra)
        paras = [p.format(**v) for p in rng.sample(NEWS_PARAS, rng.randint(2, 4))]
        text = "\n\n".join(paras)
        track = f"https://{mailer}/c/{rng.randint(10**5, 10**7)}"
        links = [
            ("Lire la suite", f"{track}?u=https://{site}/actualites"),
            (f"www.{site}", f"https://{site}/"),
            ("Se désabonner", f"https://{mailer}/unsubscribe/{rng.randint(10**5, 10**7)}"),
        ]
        local = _pick(rng, ("newsletter", "lettre", "info", "communication", "news"))
        reply = None
        if rng.random() < 0.3:
            reply = f"contact@{_pick(rng, (site, mailer, dom, site.rsplit('.', 1)[0] + '.com'))}"
        hosp = _pick(rng, HOSPITALS)
        yield _message(rng, display=org, sender=f"{local}@{dom}", to=f"direction@{hosp}",
                       subject=_pick(rng, NEWS_SUBJECTS).format(**v), text=text,
                       links=links, reply_to=reply, html=True)  # fmt: skip


KINDS = {
    "internal": (internal, 400),
    "business": (business, 300),
    "notif": (notifications, 200),
    "hospital": (hospital_notifications, 250),
    "appointment": (appointments, 60),
    "invoice": (invoices, 80),
    "newsletter": (newsletters, 250),
}


def generate_all() -> list[tuple[str, int, bytes]]:
    """(kind, number, raw message) for every kind, seeded."""
    out: list[tuple[str, int, bytes]] = []
    for kind, (make, count) in KINDS.items():
        rng = random.Random(f"{SEED}-{kind}")
        out.extend((kind, i, raw) for i, raw in enumerate(make(count, rng)))
    return out


if __name__ == "__main__":
    import sys

    step = max(1, int(sys.argv[1]) if len(sys.argv) > 1 else 200)
    for kind, i, raw in generate_all()[::step]:
        print(f"===== {kind} {i}\n{raw.decode('utf-8', 'replace')[:1500]}")
