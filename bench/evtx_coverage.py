"""Share of attack EVTX files with a relevant hit, for any folder tree named after ATT&CK.

Each file's expected behaviour is read from its path: a tactic name (`Credential Access`,
`TA0006-Credential Access`), a tactic id (`TA0006`) or a technique id (`T1110.xxx-Brut force`)
in any folder name. A hit is *relevant* when its rule (or correlation) is tagged with one of
those tactics, with a technique of the same base id (`attack.t1110.003` for `T1110`), or with a
technique that ATT&CK's matrix puts under the folder's tactic (`rempart.sigma.attack_tactics`,
generated from MITRE's STIX data: a rule tagged only `attack.t1558.003` is credential access);
*by tags* is the older measure without the matrix. The stricter *technique* figure asks for the
technique when the path names one. The Windows host detectors that `rempart triage` runs
(`windows_bruteforce`, `windows_ticket_forgery`) count like rules, with their findings' tags.
"any" counts a hit of any rule at or above --min-level. Files whose path names no tactic
(AutomatedTestingTools, Other, Antivirus...) only count in "any"; the totals are over files
that name one.

This works on EVTX-ATTACK-SAMPLES (one folder per tactic, `../shared/data/evtx_attack_samples`)
and on collections outside the repository with folders per tactic and technique
(EVTX-to-MITRE-Attack, hayabusa-sample-evtx): score them where they were fetched, never copy
them here. Rules are general: nothing is tuned on these files.

Usage: python bench/evtx_coverage.py [PATH ...] [--rules DIR ...] [--min-level LEVEL]
                                     [--missed] [--cache DIR]
       (the old form `evtx_coverage.py EVTX_DIR RULES_DIR LEVEL` still works)
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rempart.app.triage import TriageResult, triage
from rempart.sigma.attack_tactics import tactics_of
from rempart.sigma.levels import LEVELS
from rempart.store import Store

# Tactic names (as folder names spell them) and ids -> ATT&CK tags. ATT&CK v18 split Defense
# Evasion into Stealth and Defense Impairment; SigmaHQ uses the new names, older rules the old.
TACTIC_TAGS: dict[str, tuple[str, ...]] = {
    "reconnaissance": ("reconnaissance",),
    "resource development": ("resource-development",),
    "initial access": ("initial-access",),
    "execution": ("execution",),
    "persistence": ("persistence",),
    "privilege escalation": ("privilege-escalation",),
    "defense evasion": ("defense-evasion", "stealth", "defense-impairment"),
    "credential access": ("credential-access",),
    "discovery": ("discovery",),
    "lateral movement": ("lateral-movement",),
    "collection": ("collection",),
    "command and control": ("command-and-control",),
    "exfiltration": ("exfiltration",),
    "impact": ("impact",),
}
TACTIC_IDS: dict[str, str] = {
    "ta0043": "reconnaissance",
    "ta0042": "resource development",
    "ta0001": "initial access",
    "ta0002": "execution",
    "ta0003": "persistence",
    "ta0004": "privilege escalation",
    "ta0005": "defense evasion",
    "ta0006": "credential access",
    "ta0007": "discovery",
    "ta0008": "lateral movement",
    "ta0009": "collection",
    "ta0011": "command and control",
    "ta0010": "exfiltration",
    "ta0040": "impact",
}
_TACTIC_ID = re.compile(r"^(ta\d{4})\b")
_TECHNIQUE_ID = re.compile(r"^(t\d{4})(?:\.\w+)?\b")


def _squash(name: str) -> str:
    """`Credential Access`, `CredentialAccess`, `credential-access` -> `credentialaccess`."""
    return re.sub(r"[^a-z]", "", name.lower())


_TACTICS_SQUASHED = {_squash(k): k for k in TACTIC_TAGS}


@dataclass(frozen=True)
class Expected:
    """What a file's path says it shows: a tactic (its display name) and technique ids."""

    tactic: str | None
    techniques: frozenset[str]

    def tags(self) -> frozenset[str]:
        return frozenset(f"attack.{t}" for t in TACTIC_TAGS.get(self.tactic or "", ()))


def expected(rel: Path) -> Expected:
    """Tactic and technique from the folder names of a file's path under its collection."""
    tactic: str | None = None
    techniques: set[str] = set()
    for part in rel.parts[:-1]:
        low = part.lower().strip()
        m = _TACTIC_ID.match(low)
        if m and m.group(1) in TACTIC_IDS:
            tactic = TACTIC_IDS[m.group(1)]
            continue
        name = _squash(re.sub(r"^ta\d{4}\s*-\s*", "", low))
        if name in _TACTICS_SQUASHED:
            tactic = _TACTICS_SQUASHED[name]
            continue
        t = _TECHNIQUE_ID.match(low)
        if t:
            techniques.add(t.group(1))
    return Expected(tactic, frozenset(techniques))


def technique_bases(tags: Iterable[str]) -> set[str]:
    """`attack.t1110.003` -> `t1110`: the base technique ids a rule is tagged with."""
    out = set()
    for tag in tags:
        m = re.match(r"^attack\.(t\d{4})", tag.lower())
        if m:
            out.add(m.group(1))
    return out


@dataclass(frozen=True)
class FileScore:
    path: Path
    rel: Path
    group: str
    expected: Expected
    any_hit: bool
    relevant: bool
    technique: bool
    rules: tuple[str, ...]  # titles of the rules that fired, worst first
    by_tags: bool = False  # relevant on the rules' own tactic tags (without the matrix)


def rule_tags(res: TriageResult) -> dict[str, set[str]]:
    tags = {r.rule_id: {t.lower() for t in r.tags} for r in res.ruleset.rules}
    for c in res.ruleset.correlations:
        tags[c.rule_id] = {t.lower() for t in getattr(c, "tags", ())}
    return tags


def matrix_tags(tags: Iterable[str]) -> set[str]:
    """The tactic tags ATT&CK's matrix gives the techniques a rule is tagged with: a rule on
    `attack.t1558.003` is credential access even when its author tagged no tactic, or another."""
    out = set()
    for tag in tags:
        m = re.match(r"^attack\.(t\d{4}(?:\.\d{3})?)$", tag.lower())
        if m:
            out |= {f"attack.{tac}" for tac in tactics_of(m.group(1))}
    return out


def score(root: Path, res: TriageResult, matrix: bool = True) -> list[FileScore]:
    """One score per `.evtx` file under `root`; `matrix`: a technique's ATT&CK tactics count."""
    tags = rule_tags(res)
    # Ingest skips a file whose bytes it has already read: identical copies share their hits.
    digest = {str(f): hashlib.sha256(f.read_bytes()).hexdigest() for f in root.rglob("*.evtx")}
    by_file: dict[str, list[tuple[int, str, set[str]]]] = defaultdict(list)
    for h in res.hits:
        key = digest.get(h.file, h.file)
        t = tags.get(h.rule_id, set()) | {x.lower() for x in h.tags}
        by_file[key].append((LEVELS.index(h.level), h.rule_title, t))
    out: list[FileScore] = []
    for f in sorted(root.rglob("*.evtx")):
        rel = f.relative_to(root)
        exp = expected(rel)
        hits = by_file.get(digest[str(f)], [])
        rel_hit = tech_hit = tag_hit = False
        for _lv, _title, t in hits:
            techs = technique_bases(t)
            if exp.techniques & techs:
                rel_hit = tech_hit = tag_hit = True
            elif exp.tags() & t:
                rel_hit = tag_hit = True
                tech_hit = tech_hit or not exp.techniques
            elif matrix and exp.tags() & matrix_tags(t):
                rel_hit = True
                tech_hit = tech_hit or not exp.techniques
        group = exp.tactic.title() if exp.tactic else (rel.parts[0] if len(rel.parts) > 1 else "-")
        titles = tuple(dict.fromkeys(t for _lv, t, _ in sorted(hits, key=lambda x: -x[0])))
        out.append(FileScore(f, rel, group, exp, bool(hits), rel_hit, tech_hit, titles, tag_hit))
    return out


def report(name: str, scores: list[FileScore], missed: bool) -> tuple[int, int, int, int, int]:
    groups: dict[str, list[FileScore]] = defaultdict(list)
    for s in scores:
        groups[s.group].append(s)
    print(f"\n== {name}")
    print(f"{'group':28}{'files':>6}{'relevant':>10}{'technique':>11}{'any hit':>9}{'by tags':>9}")
    tot = [0, 0, 0, 0, 0]
    for g, ss in sorted(groups.items()):
        n = len(ss)
        rel = sum(s.relevant for s in ss)
        tech = sum(s.technique for s in ss)
        anyh = sum(s.any_hit for s in ss)
        bytag = sum(s.by_tags for s in ss)
        has_tactic = ss[0].expected.tactic is not None
        rel_s = f"{100 * rel / n:.0f} %" if has_tactic else "-"
        tech_s = f"{100 * tech / n:.0f} %" if has_tactic else "-"
        tag_s = f"{100 * bytag / n:.0f} %" if has_tactic else "-"
        print(f"{g[:27]:28}{n:>6}{rel_s:>10}{tech_s:>11}{100 * anyh / n:>7.0f} %{tag_s:>9}")
        if has_tactic:
            tot[0] += n
            tot[1] += rel
            tot[2] += tech
            tot[3] += anyh
            tot[4] += bytag
    if tot[0]:
        n = tot[0]
        print(
            f"{'files naming a tactic':28}{n:>6}{100 * tot[1] / n:>8.0f} %"
            f"{100 * tot[2] / n:>9.0f} %{100 * tot[3] / n:>7.0f} %"
            f"{100 * tot[4] / n:>7.0f} %"
            f"   ({tot[1]}/{n} relevant, {tot[2]} technique, {tot[3]} any, {tot[4]} by tags)"
        )
    if missed:
        print("-- files without a relevant hit (rules that fired, worst first)")
        for s in scores:
            if s.expected.tactic is not None and not s.relevant:
                rules = "; ".join(s.rules[:3]) or "no hit"
                print(f"   {s.rel}")
                print(f"      {rules}")
    return tot[0], tot[1], tot[2], tot[3], tot[4]


def _args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("paths", nargs="*", type=Path)
    p.add_argument("--rules", action="append", type=Path, default=None)
    p.add_argument("--min-level", default="low", choices=LEVELS)
    p.add_argument("--missed", action="store_true", help="list the files without a relevant hit")
    p.add_argument("--cache", type=Path, default=None, help="keep the compiled rules here")
    a = p.parse_args(argv)
    # the old positional form: EVTX_DIR [RULES_DIR [LEVEL]]
    if a.rules is None and len(a.paths) >= 2 and any(a.paths[1].rglob("*.yml")):
        a.rules = [a.paths[1]]
        if len(a.paths) == 3 and str(a.paths[2]) in LEVELS:
            a.min_level = str(a.paths[2])
        a.paths = a.paths[:1]
    if not a.paths:
        a.paths = [Path("../shared/data/evtx_attack_samples")]
    if a.rules is None:
        a.rules = [Path("../shared/data/sigma_rules/rules/windows")]
    return a


def main(argv: list[str]) -> None:
    a = _args(argv)
    with tempfile.TemporaryDirectory(prefix="host-cov-") as tmp:
        cache = a.cache or Path(tmp)
        for root in a.paths:
            store = Store.memory()
            try:
                res = triage([root], a.rules, a.min_level, store=store, cache_dir=cache)
            finally:
                store.close()
            scores = score(root, res)
            print(
                f"rules: {res.ruleset.converted} converted, min level {a.min_level}; "
                f"{len(scores)} files under {root}"
            )
            report(str(root), scores, a.missed)


if __name__ == "__main__":
    from benchlib import loadavg

    with loadavg():
        main(sys.argv[1:])
