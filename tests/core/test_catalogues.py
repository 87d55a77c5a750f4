"""The message catalogues (core/locale/*.yaml): complete, consistent, and every key the code
uses exists."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import rempart
import rempart.cli  # registers the CLI messages (still code, for now)
from rempart.contain.actions import Action
from rempart.contain.impact import Why
from rempart.core.i18n import (
    CATALOG,
    LANGS,
    CatalogError,
    load_catalog_text,
    placeholders,
    render_finding,
    t,
    texts,
)

SRC = Path(rempart.__file__).parent
# literal keys in code: t("..."), msg("..."), title_key="...", reason_key="..." and the keyed
# families below (keys built with an f-string)
_LITERAL = re.compile(
    r"""(?:(?:\bt|\bmsg)\s*\(|_key\s*=|\bkey=)\s*\n?\s*["']([\w .-]+)["']\s*[,)]"""
)


def test_every_key_has_both_languages_and_the_same_placeholders() -> None:
    assert len(CATALOG) > 300
    for key, entry in CATALOG.items():
        assert set(entry) == set(LANGS), key
        assert entry["fr"].strip() and entry["en"].strip(), key
        assert placeholders(entry["fr"]) == placeholders(entry["en"]), key


def test_every_literal_key_in_code_exists() -> None:
    used = set()
    for path in SRC.rglob("*.py"):
        used |= set(_LITERAL.findall(path.read_text(encoding="utf-8")))
    assert len(used) > 100
    missing = sorted(k for k in used if k not in CATALOG)
    assert not missing


def test_every_built_key_exists() -> None:
    from rempart.detect.mail import intrusion
    from rempart.detect.network import policy

    built = [f"net.scan.{k}.title" for k in ("horizontal", "vertical", "block")]
    built += [f"net.scan.kind.{k}" for k in ("horizontal", "vertical", "block")]
    built += [f"net.outbound.{k}.{p}" for k in ("spam", "flood") for p in ("title", "reason")]
    built += [f"net.policy.{key}" for _, key in policy._TEXT.values()]
    built += [f"impact.why.{w.value}" for w in Why]
    built += [f"mail.log.{name}" for name in (*intrusion._LOG_LABELS, "email")]
    kinds = [a.model_fields["kind"].default for a in Action.__origin__.__args__]  # type: ignore[attr-defined]
    built += [f"action.{k}.{p}" for k in kinds for p in ("title", "blocks", "keeps")]
    assert len(kinds) == 10
    plans = ("isolate", "isolate-keep-vital", "block-lateral", "contain-building", "quarantine",
             "cut-egress", "lateral-egress", "full")  # fmt: skip
    built += [f"contain.plan.{p}.title" for p in (*plans, "do-nothing")]
    assert [k for k in built if k not in CATALOG] == []


def test_a_catalogue_with_a_missing_language_or_placeholder_is_refused() -> None:
    with pytest.raises(CatalogError, match="exactly the keys fr and en"):
        load_catalog_text("a: {fr: un}", "x.yaml")
    with pytest.raises(CatalogError, match="placeholders differ"):
        load_catalog_text('a: {fr: "{n} postes", en: "hosts"}', "x.yaml")
    with pytest.raises(CatalogError, match="no en text"):
        load_catalog_text('a: {fr: "un", en: ""}', "x.yaml")
    assert load_catalog_text('a: {fr: "{n} postes", en: "{n} hosts"}', "x.yaml") == {
        "a": {"fr": "{n} postes", "en": "{n} hosts"}
    }


def test_nested_messages_and_lists_render_per_language() -> None:
    reasons = [
        {"key": "sig_points", "params": {"reason": {"key": "sig_dmarc_fail"}, "points": 35}},
        {"key": "sig_dkim_fail", "params": {}},
    ]
    assert t("mail.phishing.reason", "en", score=40, reasons=reasons) == (
        "Score 40/100: DMARC failed (+35); DKIM signature invalid"
    )
    assert t("mail.phishing.reason", "fr", score=40, reasons=reasons) == (
        "Score 40/100 : DMARC en échec (+35) ; signature DKIM invalide"
    )


def test_render_finding_reads_keys_or_falls_back_to_the_stored_text() -> None:
    keyed = {
        "title": "ignored",
        "reason": "ignored",
        "title_key": "sigma.hit.title",
        "reason_key": "sigma.hit.reason",
        "params": '{"rule_title": "PsExec", "rule_id": "r1", "level": "high", '
        '"count": 2, "host": "pc1"}',
    }
    assert render_finding(keyed, "en") == (
        "PsExec",
        "Sigma rule 'PsExec' (r1) matched 2 event(s) on pc1.",
    )
    assert render_finding(keyed, "fr")[1].startswith("La règle Sigma « PsExec »")
    old = {"title": "lateral spread", "reason": "texte", "title_key": None, "params": None}
    assert render_finding(old, "en") == ("lateral spread", "texte")
    # a value with its own translation (the title of one of Rempart's Sigma rules)
    both = dict(keyed, params=json.dumps({"rule_title": texts("Journal effacé", "Log Cleared"),
                "rule_id": "r1", "level": "high", "count": 1, "host": "pc1"}))  # fmt: skip
    assert render_finding(both, "en")[0] == "Log Cleared"
    assert render_finding(both, "fr") == (
        "Journal effacé",
        "La règle Sigma « Journal effacé » (r1) a reconnu 1 événement(s) sur pc1.",
    )
    assert t("sigma.hit.title", "en", rule_title=texts("Seul")) == "Seul"


# French typography: a (non-breaking) space before : ; ? !, and « » quotes. English has none.
_FRENCH_TYPOGRAPHY = re.compile(r"[ \u00a0\u202f][:;?!](?:\s|$)|[«»\u00a0\u202f]")


def test_english_texts_have_english_typography() -> None:
    """No English text puts a space before ':;?!' or quotes with « » (a French habit that
    had leaked into English output: "kind : scan"); French ones may and do."""
    bad = {k: e["en"] for k, e in CATALOG.items() if _FRENCH_TYPOGRAPHY.search(e["en"])}
    assert bad == {}
    assert any(_FRENCH_TYPOGRAPHY.search(e["fr"]) for e in CATALOG.values())


def test_typography_helpers_follow_the_language() -> None:
    from rempart.core.i18n import joined, label, quoted

    assert label("Zone", "fr") == "Zone : " and label("Zone", "en") == "Zone: "
    assert quoted("x", "fr") == "« x »" and quoted("x", "en") == "“x”"
    assert t("contain.reason.zones", "en", zones=joined(["a", "b"])) == "zones affected: a; b"
    assert t("contain.reason.zones", "fr", zones=joined(["a", "b"])) == "zones touchées : a ; b"


def test_planner_reasons_are_keys_rendered_per_language() -> None:
    """Every reason the planner gives is a catalogue key (rendered when shown), never a
    French sentence; a reason a person typed is shown as typed."""
    from rempart.contain import BlockProtocolsBetweenZones, HostRef, QuarantineHosts

    code = (SRC / "contain" / "planner.py").read_text(encoding="utf-8")
    keys = set(re.findall(r"""["'](contain\.reason\.[\w.]+)["']""", code))
    assert len(keys) >= 10 and keys <= set(CATALOG)
    assert not re.search(r"reason=f?[\"'][^\"']*[éèà]", code)
    q = QuarantineHosts(
        hosts=(HostRef(ip="10.0.0.1"),),
        reason="contain.reason.quarantine",
        reason_params=(("n", "3"),),
    )
    assert q.reason_in("en") == "3 infected or suspected machine(s)"
    assert q.reason_in("fr") == "3 poste(s) infecté(s) ou suspect(s)"
    typed = BlockProtocolsBetweenZones(protocols=("smb",), reason="décision de la cellule")
    assert typed.reason_in("en") == "décision de la cellule"
