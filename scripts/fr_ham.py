"""Synthetic French hospital mail (written for Rempart) used as legitimate training examples.

The public corpora hold no French legitimate mail, so without these the model would learn
"French means phishing". They are templates filled by a seeded generator: ordinary staff
mail (meetings, rotas, training, IT notices, patient logistics, HR), some of it with words
phishing also uses ("compte", "mot de passe", "cliquez"), so those words alone are no clue.
"""

from __future__ import annotations

import random

SUBJECTS = [
    "Réunion de service {jour}",
    "Planning des gardes de {mois}",
    "Compte rendu du staff",
    "Formation incendie obligatoire",
    "Maintenance du DPI {jour} soir",
    "Relève de {jour}",
    "Commande de matériel pour le bloc",
    "Rappel : entretien annuel",
    "Congés d'été",
    "Nouvelle procédure d'hygiène des mains",
    "Astreinte du week-end",
    "Résultats du CLIN",
    "Invitation : pot de départ de {prenom}",
    "Changement de salle pour la CME",
    "Mise à jour du logiciel de radiologie",
    "Travaux au bâtiment {bat}",
    "Question sur le dossier",
    "Re: transfert de patient",
    "Tr: note de la direction des soins",
    "Votre demande informatique",
    "Renouvellement du mot de passe Windows",
    "Accès au nouveau portail RH",
    "Menu du self",
    "Point qualité et certification",
    "Exercice plan blanc {jour}",
    "Bienvenue à {prenom}",
]
OPENINGS = [
    "Bonjour,",
    "Bonjour à tous,",
    "Bonjour {prenom},",
    "Chers collègues,",
    "Salut {prenom},",
]
BODIES = [
    "La réunion de service aura lieu {jour} à {heure} en salle {salle} du bâtiment {bat}.",
    "Vous trouverez ci-joint le planning des gardes de {mois}. Merci de signaler les erreurs "
    "au cadre de santé avant vendredi.",
    "Le dossier de soins informatisé sera indisponible {jour} de 22 h à minuit pour maintenance. "
    "Pensez à imprimer les plans de soins des patients hospitalisés.",
    "La formation incendie est obligatoire pour tout le personnel. Inscrivez-vous auprès du "
    "service formation ; plusieurs sessions sont proposées en {mois}.",
    "Le patient de la chambre {salle} sort demain matin ; l'ambulance est prévue à {heure}. "
    "Le courrier de sortie est à faire signer par le médecin.",
    "Comme chaque année, votre mot de passe Windows doit être changé. Vous pouvez le faire "
    "depuis votre poste avec Ctrl+Alt+Suppr ; le service informatique ne vous demandera "
    "jamais votre mot de passe par courriel.",
    "Votre compte sur le portail RH est créé. Connectez-vous depuis l'intranet, rubrique "
    "Ressources humaines, avec vos identifiants habituels.",
    "Nous avons bien reçu votre demande auprès du support informatique. Un technicien passera "
    "dans le service {jour} après-midi.",
    "Les travaux du bâtiment {bat} commencent {jour}. L'accès se fera par l'entrée des urgences "
    "pendant deux semaines.",
    "Merci de valider les commandes de matériel avant {jour}. La pharmacie livrera le bloc "
    "opératoire en fin de semaine.",
    "Le compte rendu du staff est disponible sur le partage du service. Les points à suivre "
    "concernent les transmissions et la traçabilité des dispositifs médicaux.",
    "Pour l'exercice plan blanc, la cellule de crise se réunira à {heure}. Chaque cadre "
    "vérifie la liste de rappel de son équipe.",
    "{prenom} rejoint l'équipe de nuit à partir de lundi. Merci de lui réserver un bon accueil.",
    "Les congés d'été sont à poser avant la fin du mois. Les demandes seront validées en "
    "réunion d'encadrement.",
    "Le self propose cette semaine un menu végétarien le {jour}. Bon appétit à tous.",
    "Je vous transmets la note de la direction des soins concernant l'hygiène des mains. "
    "Cliquez sur le lien de l'intranet pour la consulter.",
    "Pouvez-vous me dire si le scanner est disponible {jour} à {heure} pour un examen urgent ?",
    "La certification approche : merci de relire les procédures qualité de votre unité et de "
    "mettre à jour les classeurs.",
]
CLOSINGS = [
    "Merci d'avance.",
    "Bonne journée.",
    "Cordialement,",
    "Bien à vous,",
    "À bientôt,",
    "Merci pour votre aide.",
    "Bonne garde.",
]
SIGNATURES = [
    "{prenom} {nom}\nCadre de santé, {service}",
    "{prenom} {nom}\nSecrétariat médical, {service}",
    "Le service informatique",
    "{prenom}\nInfirmière, {service}",
    "Dr {nom}\n{service}",
    "Direction des ressources humaines",
    "{prenom} {nom}\nPharmacie",
]
FILL = {
    "jour": ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
    "mois": ["janvier", "mars", "mai", "juillet", "septembre", "novembre"],
    "heure": ["8 h 30", "10 h", "14 h", "16 h 30", "18 h"],
    "salle": ["3", "12", "B204", "A1"],
    "bat": ["A", "B", "C", "Urgences", "Médecine"],
    "prenom": ["Marie", "Julien", "Sophie", "Karim", "Nathalie", "Thomas", "Claire", "Yann"],
    "nom": ["Martin", "Bernard", "Petit", "Moreau", "Leroy", "Fournier", "Girard", "Bonnet"],
    "service": [
        "cardiologie",
        "urgences",
        "pédiatrie",
        "bloc opératoire",
        "radiologie",
        "gériatrie",
    ],
}


def _fill(template: str, rng: random.Random, fill: dict[str, list[str]]) -> str:
    return template.format(**{k: rng.choice(v) for k, v in fill.items()})


def generate(
    count: int = 400,
    seed: int = 20241123,
    *,
    parts: tuple[list[str], list[str], list[str], list[str], list[str]] | None = None,
    fill: dict[str, list[str]] | None = None,
) -> list[tuple[str, str]]:
    """(subject, body) pairs of ordinary French hospital mail (or of the `parts`: subjects,
    openings, bodies, closings, signatures, filled from `fill`; see en_ham.py)."""
    subjects, openings, bodies, closings, signatures = parts or (
        SUBJECTS,
        OPENINGS,
        BODIES,
        CLOSINGS,
        SIGNATURES,
    )
    values = fill or FILL
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        body = "\n\n".join(
            [
                _fill(rng.choice(openings), rng, values),
                " ".join(_fill(b, rng, values) for b in rng.sample(bodies, rng.randint(1, 3))),
                _fill(rng.choice(closings), rng, values),
                _fill(rng.choice(signatures), rng, values),
            ]
        )
        out.append((_fill(rng.choice(subjects), rng, values), body))
    return out
