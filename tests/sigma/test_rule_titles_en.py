"""Rempart's own rules are titled in French (`title`) and in English (`title_en`): the English
one is what `--lang en` shows, SigmaHQ's rules keep their (English) title in both."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from rempart.sigma.engine import load_rules
from rempart.sigma.levels import builtin_rules_dir

# accents and words that only French titles have (a simple check, not a language detector)
_FRENCH = re.compile(
    r"[àâçéèêëîïôûùüÿœ«»]|\b(?:de|du|des|le|la|les|un|une|et|ou|par|sur|dans|depuis|pour|"
    r"avec|sans|compte|connexion|règle|modifiée?s?|créée?s?)\b",
    re.IGNORECASE,
)


def _documents() -> list[tuple[str, dict[str, object]]]:
    out = []
    for path in sorted(builtin_rules_dir().glob("*.yml")):
        for doc in yaml.safe_load_all(path.read_text("utf-8")):
            if isinstance(doc, dict):
                out.append((path.name, doc))
    return out


def test_every_rempart_rule_has_an_english_title() -> None:
    docs = _documents()
    assert len(docs) >= 150  # rules and correlations
    bad = []
    for name, doc in docs:
        fr, en = str(doc.get("title") or ""), str(doc.get("title_en") or "")
        if not en.strip() or en == fr or _FRENCH.search(en):
            bad.append((name, fr, en))
    assert bad == []
    # the French title stays French: the check above would tell the two apart
    assert all(_FRENCH.search(str(doc["title"])) for _, doc in docs[:20])


def test_title_en_reaches_the_compiled_rules_and_the_cache(tmp_path: Path) -> None:
    sigmahq = tmp_path / "sigmahq"
    sigmahq.mkdir()
    (sigmahq / "r.yml").write_text(
        "title: Security Eventlog Cleared\n"
        "id: 8d1a5b1c-2b9a-4a7e-9e2a-1c2d3e4f5a6b\n"
        "logsource: {product: windows, service: security}\n"
        "detection: {sel: {EventID: 1102}, condition: sel}\n"
        "level: high\n",
        encoding="utf-8",
    )
    cache = tmp_path / "cache"
    first = load_rules([builtin_rules_dir(), sigmahq], cache_dir=cache)
    again = load_rules([builtin_rules_dir(), sigmahq], cache_dir=cache)  # from the cache
    per_file = load_rules([builtin_rules_dir()], cache_dir=cache)  # from sigma-files.json
    for rs in (first, again):
        theirs = [r for r in rs.rules if r.path.startswith(str(sigmahq))]
        assert [r.title_en for r in theirs] == [""]  # SigmaHQ's title is English already
    for rs in (first, again, per_file):
        ours = [r for r in (*rs.rules, *rs.correlations) if "rempart_" in Path(r.path).name]
        assert len(ours) >= 150
        assert all(r.title_en and r.title_en != r.title for r in ours)
    cleared = next(r for r in again.rules if r.title == "Journal d'événements effacé")
    assert cleared.title_en == "Event Log Cleared"
