"""French first, English too: message catalogue for the CLI and reports.

Keys are short English identifiers; `t(key, lang, **values)` formats the message. A key
missing in a language falls back to French, then to the key itself, so nothing crashes on
a missing translation (a test keeps the two catalogues in step).
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["fr", "en"]
LANGS: tuple[Lang, ...] = ("fr", "en")

CATALOG: dict[str, dict[Lang, str]] = {}


def add(key: str, fr: str, en: str) -> None:
    """Register one message; modules call this at import for their own strings.

    A key registered twice with other wording is a bug (one module would silently change
    another's text), so it raises.
    """
    entry: dict[Lang, str] = {"fr": fr, "en": en}
    if key in CATALOG and CATALOG[key] != entry:
        raise ValueError(f"message {key!r} registered twice with different texts")
    CATALOG[key] = entry


def t(key: str, lang: Lang = "fr", **values: object) -> str:
    entry = CATALOG.get(key)
    text = key if entry is None else entry.get(lang) or entry["fr"]
    return text.format(**values) if values else text


for _key, _fr, _en in (
    ("files", "fichiers", "files"),
    ("records", "enregistrements", "records"),
    ("rejected", "rejetés", "rejected"),
    ("event_class", "classe d'événements", "event class"),
    ("status", "état", "status"),
    ("source", "source", "source"),
    ("reason", "motif", "reason"),
    ("file", "fichier", "file"),
    ("total", "total", "total"),
    ("ingesting", "Ingestion", "Ingesting"),
    ("ingest_title", "Ingestion", "Ingestion"),
    ("reject_reasons", "Motifs de rejet", "Rejection reasons"),
    ("ingested", "ingéré", "ingested"),
    ("already ingested", "déjà ingéré", "already ingested"),
    ("unknown format", "format inconnu", "unknown format"),
    ("failed", "échec", "failed"),
    ("rewritten", "ingéré depuis une copie réalignée", "ingested from a realigned copy"),
    (
        "grown",
        "fichier agrandi : {new} nouveaux enregistrements, {old} déjà ingérés",
        "grown file: {new} new records, {old} already ingested",
    ),
    ("patient_zero", "Patient zéro", "Patient zero"),
    ("entry_email", "Courriel d'entrée", "Entry email"),
    ("recipients", "destinataire(s)", "recipient(s)"),
    ("per_zone", "Par bâtiment / zone", "Per building / zone"),
    ("zone", "Zone", "Zone"),
    ("covered", "couverts", "covered"),
    ("extras", "en trop", "extras"),
    ("plan_title", "Plan de confinement", "Containment plan"),
    ("care_impact", "Impact sur les soins", "Care impact"),
):
    add(_key, _fr, _en)
