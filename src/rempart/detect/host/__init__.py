"""Host triage: Sigma rules over the stored Windows events, then one verdict per machine.

`match` runs Rempart's rules and any SigmaHQ directory in a few set-based queries, `judge`
gives each host its verdict (the whole pipeline, which ingests the files first, is
`rempart.app.triage`). `SigmaDetector` is the same matching as a detector writing findings
(one per host and rule) into the store.
Verdicts: `compromised` when a critical rule fired or at least two distinct high rules did;
`suspicious` when any medium or high rule fired; otherwise `clean`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import ClassVar, Literal

import pyarrow as pa

from rempart.core.i18n import texts
from rempart.detect.base import DetectContext, Detector, Finding, Severity
from rempart.detect.host.windows_auth import WindowsBruteForce, WindowsTicketForgery
from rempart.sigma.attack_tactics import tactics_of
from rempart.sigma.engine import RuleSet, load_rules
from rempart.sigma.evaluate import EvalStats, RulePatterns, evaluate
from rempart.sigma.levels import builtin_rules_dir, level_rank
from rempart.store import Store
from rempart.store.engine import Engine

Verdict = Literal["compromised", "suspicious", "clean"]
MAX_REASONS = 6
EVENTS_KEPT = 2000  # events a hit keeps to tell whether another rule's hit saw the same ones


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
    # every event the rule matched in this file (up to EVENTS_KEPT): one event, one reason
    events: tuple[str, ...] = ()
    # ATT&CK tags (`attack.t1110.001`, `attack.credential-access`) of a detector's hit; a
    # Sigma rule's are in its rule set
    tags: tuple[str, ...] = ()
    # the rule's English title when `rule_title` is not English (Rempart's rules and
    # detectors are titled in French); "" for SigmaHQ's, English in both languages
    rule_title_en: str = ""

    def title_in(self, lang: str) -> str:
        """The rule's title to show in `lang` (its own when it has no English one)."""
        return self.rule_title_en if lang == "en" and self.rule_title_en else self.rule_title


@dataclass(frozen=True)
class HostVerdict:
    host: str
    verdict: Verdict
    reasons: tuple[str, ...]
    files: tuple[str, ...]
    # ATT&CK tactics of the hits counted (the rules' tactic tags and, through ATT&CK's matrix,
    # those of the techniques they are tagged with), in the matrix's order
    tactics: tuple[str, ...] = ()
    reasons_en: tuple[str, ...] = ()  # `reasons` with the rules' English titles

    def reasons_in(self, lang: str) -> tuple[str, ...]:
        """The reasons to show in `lang` (the French ones when there is no English)."""
        return self.reasons_en if lang == "en" and self.reasons_en else self.reasons


_HITS_SQL = """
SELECT p.source_file AS file,
       COALESCE({host_expr}, '?') AS host,
       h.rule_id, m.title AS rule_title, m.level, m.title_en AS rule_title_en,
       min(p.time) AS time,
       arg_min(p.record_id, p.time) AS record_id,
       count(*) AS count,
       arg_min(p.event_uid, p.time) AS event_uid,
       list(p.event_uid ORDER BY p.time)[1:{events_kept}] AS events
FROM _hits h JOIN process p USING (event_uid) JOIN _rules m USING (rule_id)
GROUP BY ALL
ORDER BY host, time, rule_id
"""


def _engine(store: Store | Engine) -> Engine:
    return store.engine() if isinstance(store, Store) else store


def match(
    store: Store | Engine,
    ruleset: RuleSet,
    *,
    folder_hosts: dict[str, str] | None = None,
    patterns: RulePatterns | None = None,
) -> tuple[list[Hit], EvalStats]:
    """Run the rule set over the store's Windows events; hits aggregated per file/host/rule.
    `patterns`: the rule set's `compile_patterns`, if built beforehand."""
    stats = EvalStats()
    db = _engine(store)
    hits = evaluate(
        db,
        ruleset,
        where="source_format IN ('evtx', 'winevent_json')",
        stats=stats,
        patterns=patterns,
    )
    meta = pa.table(
        {
            "rule_id": [r.rule_id for r in ruleset.rules]
            + [c.rule_id for c in ruleset.correlations],
            "title": [r.title for r in ruleset.rules] + [c.title for c in ruleset.correlations],
            "level": [r.level for r in ruleset.rules] + [c.level for c in ruleset.correlations],
            "title_en": [r.title_en for r in ruleset.rules]
            + [c.title_en for c in ruleset.correlations],
        }
    )
    host_expr = "p.host"
    if folder_hosts:
        fh = pa.table({"fpath": list(folder_hosts), "fhost": list(folder_hosts.values())})
        db.register("_folder_hosts", fh)
        host_expr = "(SELECT fhost FROM _folder_hosts WHERE fpath = p.source_file)"
    db.register("_hits", hits)
    db.register(
        "_rules",
        meta.group_by("rule_id")
        .aggregate([("title", "min"), ("level", "min"), ("title_en", "min")])
        .rename_columns(["rule_id", "title", "level", "title_en"]),
    )
    try:
        rows = db.rows(_HITS_SQL.format(host_expr=host_expr, events_kept=EVENTS_KEPT))
    finally:
        db.unregister("_hits")
        db.unregister("_rules")
        db.unregister("_folder_hosts")
    tags = {r.rule_id: tuple(t.lower() for t in r.tags) for r in ruleset.rules}
    tags.update((c.rule_id, tuple(t.lower() for t in c.tags)) for c in ruleset.correlations)
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
            tuple(str(e) for e in ev),
            tags.get(str(r), ()),
            str(te or ""),
        )
        for f, h, r, t, lv, te, tm, rid, n, u, ev in rows
    ]
    return out, stats


# The Windows host detectors `rempart triage` runs next to the Sigma rules: what a rule on one
# event cannot say (a machine's own failure rate, a SID under two names).
WINDOWS_DETECTORS: tuple[type[Detector], ...] = (WindowsBruteForce, WindowsTicketForgery)
_LEVEL = {
    Severity.INFO: "informational",
    Severity.LOW: "low",
    Severity.MEDIUM: "medium",
    Severity.HIGH: "high",
    Severity.CRITICAL: "critical",
}


def attack_tags(techniques: Sequence[str]) -> tuple[str, ...]:
    """`T1110.001` -> `attack.t1110.001` and its tactics' tags (`attack.credential-access`)."""
    out = [f"attack.{t.lower()}" for t in techniques]
    out += [f"attack.{tac}" for t in techniques for tac in tactics_of(t)]
    return tuple(dict.fromkeys(out))


def detector_hits(
    store: Store,
    *,
    folder_hosts: dict[str, str] | None = None,
    detectors: Sequence[type[Detector]] = WINDOWS_DETECTORS,
) -> list[Hit]:
    """The Windows host detectors' findings as hits, one per finding and file of its events,
    so that triage's verdicts and measures count them like a rule's."""
    ctx = DetectContext(store)
    db = ctx.engine
    findings = [f for d in detectors for f in d().run(ctx)]
    ids = sorted({e for f in findings for e in f.evidence})
    if not ids:
        return []
    db.register("_ids", pa.table({"event_uid": ids}))
    try:
        rows = db.rows(
            "SELECT event_uid, source_file, record_id, time FROM process "
            "JOIN _ids USING (event_uid)"
        )
    finally:
        db.unregister("_ids")
    where = {str(u): (str(f), None if r is None else int(r), t) for u, f, r, t in rows}
    out: list[Hit] = []
    for f in findings:
        per_file: dict[str, list[str]] = defaultdict(list)
        for e in f.evidence:
            if e in where:
                per_file[where[e][0]].append(e)
        for file, events in sorted(per_file.items()):
            first = min(events, key=lambda e: where[e][2])
            host = folder_hosts.get(file, f.entity) if folder_hosts else f.entity
            out.append(
                Hit(
                    file,
                    host,
                    f"rempart:{f.detector}",
                    f.title,
                    _LEVEL[f.severity],
                    where[first][2],
                    where[first][1],
                    len(events),
                    first,
                    tuple(events),
                    attack_tags(f.attack),
                    f.render("en")[0],
                )
            )
    return out


def host_files(
    store: Store | Engine, folder_hosts: dict[str, str] | None = None
) -> dict[str, set[str]]:
    """Every host seen in the Windows events, with the files its events came from."""
    out: dict[str, set[str]] = defaultdict(set)
    rows = _engine(store).rows(
        "SELECT DISTINCT COALESCE(host, '?'), source_file FROM process "
        "WHERE source_format IN ('evtx', 'winevent_json')"
    )
    for host, f in rows:
        name = folder_hosts.get(f, host) if folder_hosts else host
        out[str(name)].add(str(f))
    return out


def one_reason_per_event(hits: Sequence[Hit]) -> list[Hit]:
    """The hits left when a rule saw only events that a worse (or as bad, with more events)
    rule already counts on the same host: Rempart's log-clearing rule and SigmaHQ's 1102 and
    104 rules on the same clearings are one reason, not three."""
    # a rule's weight is its events on the whole host, so that one rule (Rempart's, which
    # covers 1102 and 104) wins in every file rather than a different one in each
    total: dict[tuple[str, str], int] = defaultdict(int)
    for h in hits:
        total[(h.host, h.rule_id)] += h.count
    order = sorted(
        range(len(hits)),
        key=lambda i: (
            -level_rank(hits[i].level),
            -total[(hits[i].host, hits[i].rule_id)],
            hits[i].rule_id,
        ),
    )
    seen: dict[str, set[str]] = defaultdict(set)
    kept: set[int] = set()
    for i in order:
        h = hits[i]
        events = set(h.events) | {h.event_uid}
        if events <= seen[h.host]:
            continue
        kept.add(i)
        seen[h.host] |= events
    return [h for i, h in enumerate(hits) if i in kept]


TACTICS: tuple[str, ...] = (
    "reconnaissance",
    "resource-development",
    "initial-access",
    "execution",
    "persistence",
    "privilege-escalation",
    "defense-evasion",
    "stealth",
    "defense-impairment",
    "credential-access",
    "discovery",
    "lateral-movement",
    "collection",
    "command-and-control",
    "exfiltration",
    "impact",
)


def hit_tactics(tags: Sequence[str]) -> set[str]:
    """The ATT&CK tactics a hit speaks for: its tactic tags, and the tactics ATT&CK's matrix
    gives its techniques (`attack.t1558.003` is credential access even when untagged so)."""
    out: set[str] = set()
    for tag in tags:
        name = tag.lower().removeprefix("attack.")
        if name in TACTICS:
            out.add(name)
        elif name[:1] == "t" and name[1:5].isdigit():
            out.update(tactics_of(name))
    return out


def judge(hits: Sequence[Hit], hosts: dict[str, set[str]]) -> list[HostVerdict]:
    """One verdict per host, with the rules that fired (worst first) as reasons.

    One event, one reason: rules that matched the same events on a host (Rempart's own rule
    and SigmaHQ's on one 1102 log clearing) count once, as the worst of them."""
    per_host: dict[str, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
    tactics: dict[str, set[str]] = defaultdict(set)
    english: dict[tuple[str, str], str] = {}  # (level, title) -> the title in English
    for h in one_reason_per_event(hits):
        # grouped by the rule's own (French) title, whatever the language shown
        per_host[h.host][(h.level, h.rule_title)] += h.count
        english.setdefault((h.level, h.rule_title), h.title_in("en"))
        tactics[h.host] |= hit_tactics(h.tags)
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
        shown = ordered[:MAX_REASONS]
        # the level words are Sigma's level names, the same in both languages
        reasons = tuple(f"{lv}: {title} ({n})" for (lv, title), n in shown)
        reasons_en = tuple(f"{lv}: {english[(lv, title)]} ({n})" for (lv, title), n in shown)
        named = tuple(t for t in TACTICS if t in tactics.get(host, ()))
        files = tuple(sorted(hosts.get(host, ())))
        verdicts.append(HostVerdict(host, verdict, reasons, files, named, reasons_en))
    return verdicts


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
        hits, _ = match(ctx.engine, ruleset)
        grouped: dict[tuple[str, str], list[Hit]] = defaultdict(list)
        for h in hits:
            grouped[(h.host, h.rule_id)].append(h)
        tags = {r.rule_id: r.tags for r in ruleset.rules}
        tags.update((c.rule_id, c.tags) for c in ruleset.correlations)
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
                        # Rempart's rules are titled in both languages
                        "rule_title": texts(first.rule_title, first.rule_title_en),
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
    "TACTICS",
    "WINDOWS_DETECTORS",
    "Hit",
    "HostVerdict",
    "SigmaDetector",
    "attack_tags",
    "detector_hits",
    "hit_tactics",
    "host_files",
    "judge",
    "match",
    "one_reason_per_event",
]
