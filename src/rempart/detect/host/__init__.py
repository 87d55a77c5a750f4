"""Host triage: Sigma rules over the stored Windows events, then one verdict per machine.

`triage()` is the whole pipeline (ingest the files, run Rempart's rules and any SigmaHQ
directory in a few set-based queries, aggregate, judge each host). `SigmaDetector` is the same
matching as a detector writing findings (one per host and rule) into the store.
Verdicts: `compromised` when a critical rule fired or at least two distinct high rules did;
`suspicious` when any medium or high rule fired; otherwise `clean`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import ClassVar, Literal

import pyarrow as pa

from rempart.detect.base import DetectContext, Detector, Finding, Severity
from rempart.ingest.files import FileResult, expand
from rempart.ingest.windows import bulk_ingest, sync_authentication
from rempart.sigma.engine import (
    DEFAULT_STATUSES,
    EvalStats,
    RuleSet,
    builtin_rules_dir,
    evaluate,
    level_rank,
    load_rules,
)
from rempart.sources.winevent import collection_hosts
from rempart.store import Store

Verdict = Literal["compromised", "suspicious", "clean"]
MAX_REASONS = 6


@dataclass(frozen=True)
class Hit:
    """One rule on one host in one file: the first matching event and how many matched."""

    file: str
    host: str
    rule_id: str
    rule_title: str
    level: str
    time: datetime
    record_id: int | None
    count: int
    event_uid: str


@dataclass(frozen=True)
class HostVerdict:
    host: str
    verdict: Verdict
    reasons: tuple[str, ...]
    files: tuple[str, ...]


@dataclass(frozen=True)
class TriageResult:
    hits: tuple[Hit, ...]
    hosts: tuple[HostVerdict, ...]
    files: tuple[FileResult, ...]
    ruleset: RuleSet
    stats: EvalStats


def _suppressed(path: Path | None) -> set[tuple[str, str]]:
    """Suppression list: one `rule_id` or `host:rule_id` per line, `#` comments."""
    out: set[tuple[str, str]] = set()
    if path is None:
        return out
    for line in path.read_text("utf-8").splitlines():
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        host, _, rule = entry.rpartition(":")
        out.add((host or "*", rule))
    return out


_HITS_SQL = """
SELECT p.source_file AS file,
       COALESCE({host_expr}, '?') AS host,
       h.rule_id, m.title AS rule_title, m.level,
       min(p.time) AS time,
       arg_min(p.record_id, p.time) AS record_id,
       count(*) AS count,
       arg_min(p.event_uid, p.time) AS event_uid
FROM _hits h JOIN process p USING (event_uid) JOIN _rules m USING (rule_id)
GROUP BY ALL
ORDER BY host, time, rule_id
"""


def match(
    store: Store, ruleset: RuleSet, *, folder_hosts: dict[str, str] | None = None
) -> tuple[list[Hit], EvalStats]:
    """Run the rule set over the store's Windows events; hits aggregated per file/host/rule."""
    stats = EvalStats()
    hits = evaluate(
        store.con, ruleset, where="source_format IN ('evtx', 'winevent_json')", stats=stats
    )
    meta = pa.table(
        {
            "rule_id": [r.rule_id for r in ruleset.rules]
            + [c.rule_id for c in ruleset.correlations],
            "title": [r.title for r in ruleset.rules] + [c.title for c in ruleset.correlations],
            "level": [r.level for r in ruleset.rules] + [c.level for c in ruleset.correlations],
        }
    )
    host_expr = "p.host"
    if folder_hosts:
        fh = pa.table({"fpath": list(folder_hosts), "fhost": list(folder_hosts.values())})
        store.con.register("_folder_hosts", fh)
        host_expr = "(SELECT fhost FROM _folder_hosts WHERE fpath = p.source_file)"
    store.con.register("_hits", hits)
    store.con.register(
        "_rules",
        meta.group_by("rule_id")
        .aggregate([("title", "min"), ("level", "min")])
        .rename_columns(["rule_id", "title", "level"]),
    )
    try:
        rows = store.con.sql(_HITS_SQL.format(host_expr=host_expr)).fetchall()
    finally:
        store.con.unregister("_hits")
        store.con.unregister("_rules")
    out = [
        Hit(
            str(f),
            str(h),
            str(r),
            str(t),
            str(lv),
            tm,
            None if rid is None else int(rid),
            int(n),
            str(u),
        )
        for f, h, r, t, lv, tm, rid, n, u in rows
    ]
    return out, stats


def host_files(store: Store, folder_hosts: dict[str, str] | None = None) -> dict[str, set[str]]:
    """Every host seen in the Windows events, with the files its events came from."""
    out: dict[str, set[str]] = defaultdict(set)
    rows = store.con.execute(
        "SELECT DISTINCT COALESCE(host, '?'), source_file FROM process "
        "WHERE source_format IN ('evtx', 'winevent_json')"
    ).fetchall()
    for host, f in rows:
        name = folder_hosts.get(f, host) if folder_hosts else host
        out[str(name)].add(str(f))
    return out


def judge(hits: Sequence[Hit], hosts: dict[str, set[str]]) -> list[HostVerdict]:
    """One verdict per host, with the rules that fired (worst first) as reasons."""
    per_host: dict[str, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
    for h in hits:
        per_host[h.host][(h.level, h.rule_title)] += h.count
    verdicts: list[HostVerdict] = []
    for host in sorted(set(hosts) | set(per_host)):
        fired = per_host.get(host, {})
        levels = [lv for lv, _ in fired]
        high = sum(1 for lv in levels if lv == "high")
        verdict: Verdict
        if "critical" in levels or high >= 2:
            verdict = "compromised"
        elif high or "medium" in levels:
            verdict = "suspicious"
        else:
            verdict = "clean"
        ordered = sorted(fired.items(), key=lambda kv: (-level_rank(kv[0][0]), -kv[1], kv[0][1]))
        reasons = tuple(f"{lv}: {title} ({n})" for (lv, title), n in ordered[:MAX_REASONS])
        verdicts.append(HostVerdict(host, verdict, reasons, tuple(sorted(hosts.get(host, ())))))
    return verdicts


def triage(
    paths: Sequence[Path],
    rules_dir: Path | Sequence[Path] | None = None,
    min_level: str = "medium",
    *,
    store: Store | None = None,
    statuses: frozenset[str] = DEFAULT_STATUSES,
    suppress: Path | None = None,
    hosts_from_folders: bool = False,
    builtin: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
    cache_dir: Path | None = None,
) -> TriageResult:
    """Ingest Windows logs, run Sigma rules, return hits and one verdict per host.

    `store`: where events go (default: a throw-away in-memory store). `cache_dir`: where the
    compiled rule set is kept between runs (default: none, rules are converted every time).
    """
    own = store is None
    store = store or Store.memory()
    try:
        dirs: list[Path] = [builtin_rules_dir()] if builtin else []
        if isinstance(rules_dir, Path):
            dirs.append(rules_dir)
        elif rules_dir is not None:
            dirs.extend(rules_dir)
        ruleset = load_rules(
            dirs,
            min_level=min_level,
            statuses=statuses,
            progress=(lambda i, n: progress("rules", i, n)) if progress else None,
            cache_dir=cache_dir,
        )
        files = list(expand(paths))
        results = bulk_ingest(
            store, files, (lambda i, n: progress("files", i + 1, n)) if progress else None
        )
        sync_authentication(store)
        folder_hosts: dict[str, str] = {}
        if hosts_from_folders:
            for p in paths:
                if p.is_dir():
                    folder_hosts.update(collection_hosts(p))
        hits, stats = match(store, ruleset, folder_hosts=folder_hosts or None)
        muted = _suppressed(suppress)
        if muted:
            hits = [
                h
                for h in hits
                if ("*", h.rule_id) not in muted and (h.host, h.rule_id) not in muted
            ]
        verdicts = judge(hits, host_files(store, folder_hosts or None))
        return TriageResult(tuple(hits), tuple(verdicts), tuple(results), ruleset, stats)
    finally:
        if own:
            store.close()


_SEVERITY = {
    "informational": Severity.INFO,
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
    "critical": Severity.CRITICAL,
}


class SigmaDetector(Detector):
    """Rempart's Sigma rules over the stored Windows events: one finding per host and rule."""

    NAME: ClassVar[str] = "sigma"
    VERSION: ClassVar[str] = "1"
    INPUTS: ClassVar[tuple[str, ...]] = ("process",)
    DESCRIPTION: ClassVar[str] = "Sigma rules (Rempart's own set) over Windows event logs"

    def __init__(self, rules: Sequence[Path] = (), min_level: str = "low") -> None:
        self.rules = tuple(rules)
        self.min_level = min_level

    def run(self, ctx: DetectContext) -> list[Finding]:
        ruleset = load_rules([builtin_rules_dir(), *self.rules], min_level=self.min_level)
        hits, _ = match(ctx.store, ruleset)
        grouped: dict[tuple[str, str], list[Hit]] = defaultdict(list)
        for h in hits:
            grouped[(h.host, h.rule_id)].append(h)
        tags = {r.rule_id: r.tags for r in ruleset.rules}
        findings: list[Finding] = []
        for (host, rule_id), group in sorted(grouped.items()):
            first = min(group, key=lambda h: h.time)
            attack = tuple(
                t.split(".", 1)[1].upper()
                for t in tags.get(rule_id, ())
                if t.startswith("attack.t")
            )
            n = sum(h.count for h in group)
            findings.append(
                self.finding(
                    severity=_SEVERITY.get(first.level, Severity.INFO),
                    title_key="sigma.hit.title",
                    reason_key="sigma.hit.reason",
                    params={
                        "rule_title": first.rule_title,
                        "rule_id": rule_id,
                        "level": first.level,
                        "count": n,
                        "host": host,
                    },
                    entity=host,
                    entity_type="host",
                    first_seen=first.time,
                    last_seen=max(h.time for h in group),
                    evidence_class="process",
                    evidence=tuple(h.event_uid for h in group),
                    evidence_count=n,
                    attack=attack,
                )
            )
        return findings


__all__ = [
    "Hit",
    "HostVerdict",
    "SigmaDetector",
    "TriageResult",
    "judge",
    "match",
    "triage",
]
