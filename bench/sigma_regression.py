"""SigmaHQ regression cases: does each case's rule fire on its own event? Prints the hit rate.

Usage: python bench/sigma_regression.py [SIGMA_DIR]   (default ../shared/data/sigma_rules)
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from rempart.ingest.files import ingest_file
from rempart.sigma.engine import load_rules
from rempart.sigma.levels import LEVELS
from rempart.sources import file_digest
from rempart.sources.winevent import WinJsonSource
from rempart.store import Store

RULE_DIRS = ("rules", "rules-emerging-threats", "rules-threat-hunting", "rules-compliance")
ALL_STATUSES = frozenset({"stable", "test", "experimental", "deprecated", "unsupported"})


@dataclass(frozen=True)
class RegressionResult:
    cases: int
    convertible: int
    fired: int
    missed: tuple[tuple[str, str], ...]  # (rule id, reason)
    skipped: tuple[tuple[str, str], ...]

    @property
    def rate(self) -> float:
        return self.fired / self.convertible if self.convertible else 0.0


def run(sigma_dir: Path) -> RegressionResult:
    cases: list[tuple[str, Path]] = []
    for info in sorted((sigma_dir / "regression_data").rglob("info.yml")):
        meta = yaml.safe_load(info.read_text("utf-8"))
        rule_id = str(meta["rule_metadata"][0]["id"])
        for event in sorted(info.parent.glob("*.json")):
            cases.append((rule_id, event))
    wanted = {rid for rid, _ in cases}
    dirs = [sigma_dir / d for d in RULE_DIRS if (sigma_dir / d).is_dir()]
    ruleset = load_rules(dirs, min_level=LEVELS[0], statuses=ALL_STATUSES)
    from rempart.sigma.engine import RuleSet
    from rempart.sigma.evaluate import evaluate

    subset = RuleSet(tuple(r for r in ruleset.rules if r.rule_id in wanted))
    skipped = {s.rule_id: s.reason for s in ruleset.skipped if s.rule_id in wanted}
    store = Store.memory()
    source = WinJsonSource()
    for _rid, event in cases:
        ingest_file(store, event, source=source)
    hits = evaluate(store.con, subset)
    store.con.register("_hits", hits)
    # Keyed by content digest: two cases may share the very same event file.
    fired_pairs = set(
        store.con.execute("SELECT split_part(event_uid, ':', 1), rule_id FROM _hits").fetchall()
    )
    compiled = {r.rule_id for r in subset.rules}
    fired = 0
    missed: list[tuple[str, str]] = []
    convertible = 0
    for rid, event in cases:
        if rid not in compiled:
            continue
        convertible += 1
        if (file_digest(event)[:16], rid) in fired_pairs:
            fired += 1
        else:
            missed.append((rid, str(event.relative_to(sigma_dir))))
    missing = [(rid, skipped.get(rid, "rule not found")) for rid, _ in cases if rid not in compiled]
    return RegressionResult(len(cases), convertible, fired, tuple(missed), tuple(missing))


def main() -> None:
    sigma_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/data/sigma_rules")
    start = time.perf_counter()
    res = run(sigma_dir)
    print(f"regression cases: {res.cases}; rules convertible: {res.convertible}")
    print(f"fired: {res.fired}/{res.convertible} = {100 * res.rate:.1f} %")
    for rid, reason in res.skipped:
        print(f"  not convertible {rid}: {reason}")
    for rid, where in res.missed:
        print(f"  missed {rid}: {where}")
    print(f"({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    from benchlib import loadavg

    with loadavg():
        main()
