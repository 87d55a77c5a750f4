"""Synthetic service notifications a hospital's staff receive (written for Rempart): an
experiment's legitimate training examples beside fr_ham.py and en_ham.py.

Real notifications (a new sign-in, an account to activate, an appointment confirmed, a
parcel on its way, a document to sign, a newsletter) use the words phishing copies; the
2002 corpora hold none. Filled by the same seeded generator as the French ones.
"""

from __future__ import annotations

from fr_ham import generate as _generate

SUBJECTS = [
    "Alerte de sécurité : nouvelle connexion",
    "Security alert: new sign-in on {device}",
    "Activez votre compte {service}",
    "Please verify your email address for {service}",
    "Confirmation de votre rendez-vous du {jour}",
    "Your appointment on {day} is confirmed",
    "Votre colis {ref} est en cours de livraison",
    "Your parcel {ref} is on its way",
    "Document à signer : {doc}",
    "Please sign: {doc}",
    "La lettre d'information de {org} – {mois}",
    "{org} newsletter – {month}",
    "Votre mot de passe a été modifié",
    "Your password was changed",
    "Nouveau document disponible dans votre espace",
    "A new document is available in your account",
    "Invitation : {meeting}",
    "Invitation: {meeting}",
    "Votre facture {ref} est disponible",
    "Your invoice {ref} is available",
]
OPENINGS = ["Bonjour,", "Bonjour {prenom},", "Hello {first},", "Hi,", "Madame, Monsieur,", ""]
BODIES = [
    "Nous avons détecté une nouvelle connexion à votre compte depuis {device}. Si c'était "
    "vous, vous n'avez rien à faire. Sinon, sécurisez votre compte depuis vos paramètres.",
    "We noticed a new sign-in to your account on {device}. If this was you, you can ignore "
    "this message. If not, review your recent activity and change your password.",
    "Merci de votre inscription à {service}. Pour activer votre compte, confirmez votre "
    "adresse électronique en cliquant sur le bouton ci-dessous. Ce lien expire dans 24 heures.",
    "Welcome to {service}! To finish setting up your account, please confirm your email "
    "address. If you did not create an account, you can safely ignore this email.",
    "Votre rendez-vous du {jour} à {heure} avec le Dr {nom} est confirmé. En cas "
    "d'empêchement, annulez-le depuis votre compte afin de libérer le créneau.",
    "Your appointment on {day} at {hour} is confirmed. You can reschedule or cancel it "
    "from your account up to 24 hours before.",
    "Votre colis {ref} sera livré {jour} entre {heure} et midi. Suivez votre livraison en "
    "temps réel depuis notre site ou l'application.",
    "Your parcel {ref} will be delivered on {day}. Track your delivery or choose another "
    "date from our website.",
    "{prenom} {nom} vous a envoyé un document à consulter et à signer : {doc}. Ouvrez le "
    "document pour le lire et le signer électroniquement.",
    "{first} {name} sent you a document to review and sign: {doc}. Open the document to "
    "read and sign it electronically.",
    "Au sommaire ce mois-ci : les nouvelles recommandations, l'agenda des formations et les "
    "résultats de l'enquête annuelle. Pour vous désabonner, cliquez ici.",
    "In this issue: new guidelines, upcoming webinars and the results of our annual survey. "
    "You are receiving this email because you subscribed. Unsubscribe or manage your "
    "preferences.",
    "Le mot de passe de votre compte a été modifié le {jour}. Si vous n'êtes pas à l'origine "
    "de cette modification, contactez immédiatement le support.",
    "The password for your account was changed on {day}. If you did not make this change, "
    "contact support right away.",
    "Un nouveau document est disponible dans votre espace personnel : {doc}. Connectez-vous "
    "pour le consulter.",
    "A new document is available in your account: {doc}. Sign in to view it.",
    "{prenom} {nom} vous invite à la réunion « {meeting} » le {jour} à {heure}. Rejoindre "
    "la réunion depuis votre agenda.",
    '{first} {name} invited you to "{meeting}" on {day} at {hour}. Join from your calendar.',
    "Votre facture {ref} d'un montant de {amount} € est disponible dans votre espace client. "
    "Elle sera prélevée le {jour}.",
    "Your invoice {ref} for {amount} EUR is available in your customer account. It will be "
    "paid by direct debit on {day}.",
]
CLOSINGS = ["Cordialement,", "L'équipe {service}", "Thanks,", "The {service} team", "—"]
SIGNATURES = [
    "{service}",
    "{org}",
    "Service client",
    "Customer support",
    "Ceci est un message automatique, merci de ne pas y répondre.",
    "This is an automated message, please do not reply.",
]
FILL = {
    "service": ["Doctolib", "Zoom", "Microsoft 365", "Google", "LinkedIn", "DocuSign",
                "ameli", "Teams", "Webex", "GitHub"],
    "org": ["la HAS", "l'ARS", "la FHF", "ANSM", "Elsevier", "the society"],
    "device": ["Windows", "iPhone", "Android", "Mac", "Chrome on Windows"],
    "doc": ["convention de stage", "contrat de maintenance", "bon de commande",
            "attestation de droits", "service agreement", "purchase order"],
    "meeting": ["Comité de pilotage", "Staff de cardiologie", "Weekly sync",
                "Project review"],
    "ref": ["XY123456789FR", "F-2026-1187", "INV-5530", "1Z999AA10123456784"],
    "amount": ["84,90", "1 250,00", "12 480,00", "39,99"],
    "jour": ["lundi 3 mars", "mardi", "jeudi 12 juin", "vendredi"],
    "mois": ["janvier", "mars", "juin", "novembre"],
    "heure": ["9 h", "10 h 30", "14 h", "16 h 15"],
    "day": ["Monday", "3 March", "Thursday", "12 June"],
    "month": ["January", "March", "June", "November"],
    "hour": ["9:00", "10:30 am", "2 pm", "4:15 pm"],
    "prenom": ["Marie", "Julien", "Sophie", "Karim"],
    "nom": ["Martin", "Bernard", "Petit", "Moreau"],
    "first": ["Anna", "James", "Laura", "Peter"],
    "name": ["Smith", "Müller", "Rossi", "Jansen"],
}  # fmt: skip


def generate(count: int = 200, seed: int = 20261125) -> list[tuple[str, str]]:
    """(subject, body) pairs of ordinary service notifications."""
    return _generate(
        count, seed, parts=(SUBJECTS, OPENINGS, BODIES, CLOSINGS, SIGNATURES), fill=FILL
    )
