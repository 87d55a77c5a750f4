"""Per ATT&CK tactic folder of EVTX-ATTACK-SAMPLES: share of files with at least one relevant hit.

A hit is relevant when its rule is tagged with the folder's tactic (`attack.lateral-movement`
for "Lateral Movement"); "any" counts a hit of any rule at or above --min-level. Folders with no
tactic (AutomatedTestingTools, Other) only have the "any" figure.

Usage: python bench/evtx_coverage.py [EVTX_DIR] [RULES_DIR] [MIN_LEVEL]
"""

from __future__ import annotations

import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from rempart.app.triage import triage
from rempart.store import Store

# Folder -> ATT&CK tactic tags (ATT&CK v18 split Defense Evasion into Stealth and Defense
# Impairment; SigmaHQ uses the new names, older rules the old one).
TACTICS: dict[str, tuple[str, ...]] = {
    "Command and Control": ("command-and-control",),
    "Credential Access": ("credential-access",),
    "Defense Evasion": ("defense-evasion", "stealth", "defense-impairment"),
    "Discovery": ("discovery",),
    "Execution": ("execution",),
    "Lateral Movement": ("lateral-movement",),
    "Persistence": ("persistence",),
    "Privilege Escalation": ("privilege-escalation",),
}


def main() -> None:
    evtx_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/evtx_attack_samples")
    rules = Path(sys.argv[2] if len(sys.argv) > 2 else "../shared/data/sigma_rules/rules/windows")
    level = sys.argv[3] if len(sys.argv) > 3 else "low"
    store = Store.memory()
    with tempfile.TemporaryDirectory(prefix="host-cov-") as tmp:
        res = triage([evtx_dir], rules, level, store=store, cache_dir=Path(tmp))
    tags = {r.rule_id: set(r.tags) for r in res.ruleset.rules}
    for c in res.ruleset.correlations:
        tags[c.rule_id] = set()
    per_file_any: dict[str, bool] = defaultdict(bool)
    per_file_rel: dict[str, bool] = defaultdict(bool)
    for h in res.hits:
        folder = Path(h.file).relative_to(evtx_dir).parts[0]
        per_file_any[h.file] = True
        wanted = {f"attack.{t}" for t in TACTICS.get(folder, ())}
        if wanted & tags.get(h.rule_id, set()):
            per_file_rel[h.file] = True
    files: dict[str, list[str]] = defaultdict(list)
    for f in sorted(evtx_dir.rglob("*.evtx")):
        rel = f.relative_to(evtx_dir)
        if len(rel.parts) > 1:
            files[rel.parts[0]].append(str(f))
    print(f"rules: {res.ruleset.converted} converted, min level {level}")
    print(f"{'tactic folder':24}{'files':>7}{'relevant':>10}{'any hit':>10}")
    tot = [0, 0, 0]
    for folder, fs in sorted(files.items()):
        n = len(fs)
        rel = sum(per_file_rel[f] for f in fs)
        anyh = sum(per_file_any[f] for f in fs)
        rel_s = f"{100 * rel / n:.0f} %" if folder in TACTICS else "-"
        print(f"{folder:24}{n:>7}{rel_s:>10}{100 * anyh / n:>9.0f} %")
        if folder in TACTICS:
            tot[0] += n
            tot[1] += rel
            tot[2] += anyh
    print(f"{'all tactic folders':24}{tot[0]:>7}{100 * tot[1] / tot[0]:>9.0f} %"
          f"{100 * tot[2] / tot[0]:>9.0f} %")  # fmt: skip


if __name__ == "__main__":
    from benchlib import loadavg

    with loadavg():
        main()
