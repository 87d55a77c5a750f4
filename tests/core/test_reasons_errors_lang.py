"""Reject reasons, errors and crisis-log texts follow the reader's language.

Reject reasons are stored as their English wording (stable: older workspaces and the tests
of sources read the same text); `render_reason` finds the key back, with its values, so a
French reader sees French. Errors carry a key: `str()` is English, `message(lang)` the
user's language. Automatic crisis-log entries keep the wording they had (evidence).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import rempart
from rempart.app.crisis import crisis_text
from rempart.core.errors import ConfigError, Location, ModelError, SourceError
from rempart.core.i18n import CATALOG, placeholders, render_reason, t
from rempart.sources.base import IMPLAUSIBLE_TIME
from rempart.sources.batches import _CAST_REASONS, _CSV_REASONS
from rempart.sources.zeek_layout import LAYOUT_CHANGED

SOURCES = Path(rempart.__file__).parent / "sources"
_REJECT_LITERAL = re.compile(r"""ctx\.reject\(\s*\w+,\s*"([^"{]+)"\s*\)""")
_SQL_REASON = re.compile(r"""THEN '([a-zA-Z][^'{]* [^'{]*)'""")


def _literal_reasons() -> set[str]:
    found = {IMPLAUSIBLE_TIME, LAYOUT_CHANGED, *_CSV_REASONS.values(), *_CAST_REASONS.values()}
    for path in SOURCES.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        found |= set(_REJECT_LITERAL.findall(text))
        found |= {r for r in _SQL_REASON.findall(text) if "_reject" in text or "reject" in text}
    return found


def test_every_fixed_reason_of_the_sources_has_a_french_wording() -> None:
    reasons = _literal_reasons()
    assert len(reasons) > 30
    untranslated = sorted(r for r in reasons if render_reason(r, "fr") == r)
    assert untranslated == []
    assert all(render_reason(r, "en") == r for r in reasons)


@pytest.mark.parametrize("key", sorted(k for k in CATALOG if k.startswith("reject.")))
def test_each_reason_key_round_trips_from_its_english_wording(key: str) -> None:
    values = {name: f"v{i}x" for i, name in enumerate(sorted(placeholders(CATALOG[key]["en"])))}
    stored = t(key, "en", **values)
    assert render_reason(stored, "fr") == t(key, "fr", **values)
    assert render_reason(stored, "en") == stored


def test_an_unknown_reason_is_shown_as_stored() -> None:
    assert render_reason("plugin says: odd line", "fr") == "plugin says: odd line"


def test_errors_render_in_the_chosen_language_and_keep_their_place() -> None:
    err = ConfigError(key="error.not_found", params={"paths": "/x/y.log"})
    assert str(err) == "not found: /x/y.log"
    assert err.message("fr") == "introuvable : /x/y.log"
    assert ConfigError("plain text").message("fr") == "plain text"
    src = SourceError("/x/a.log", key="reject.gzip_truncated", params={"offset": 12})
    assert src.message("fr").startswith("/x/a.log: flux gzip tronqué")
    model = ModelError(
        [(Location("h.yaml", 6), "zones.0.cidrs: Value error, not a CIDR network: '10.0.0.0/33'")]
    )
    fr = model.message("fr")
    assert "h.yaml:6: zones.0.cidrs : pas un réseau CIDR : '10.0.0.0/33'" in fr
    assert "h.yaml:6: zones.0.cidrs: Value error" in model.message("en")


def test_crisis_entries_keep_the_wording_they_had() -> None:
    """An automatic entry is evidence: its text (hashed) is the one written before the
    catalogue carried it."""
    assert (
        crisis_text("crisis.plan_retained", plan="p1", incident="INC-1")
        == "Plan p1 retenu pour INC-1"
    )
    assert (
        crisis_text("crisis.aware", stamp="2026-01-01T00:00:00Z", case="INC-1")
        == "Prise de connaissance d'une violation de données personnelles : "
        "2026-01-01T00:00:00Z (INC-1)"
    )
    assert crisis_text("crisis.plan_export", fmt="json", plan="p1", out="/o") == (
        "Export json du plan p1 écrit : /o"
    )
    assert crisis_text("crisis.signature", seq=4) == "Signature Ed25519 de l'entrée n° 4"
    assert crisis_text("crisis.situation", digest="ab", n=3) == (
        "Point de situation émis (empreinte ab…, 3 entrées)"
    )
