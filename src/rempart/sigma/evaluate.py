"""Sigma evaluation: run a converted rule set over the stored Windows events, set-based.

The fields the rules use are lifted once into a wide Arrow table (lower-cased once per
event) per log-source group (per slice of SLICE_ROWS events of a big group, so that memory
stays bounded), which is then scanned by queries whose single list column holds
the indices of all the rules (RULES_PER_QUERY per query) that matched the row; rules whose
plan Arrow can run are matched in memory instead. Correlation rules (`event_count`,
`value_count`) then run as SQL over those hits. Loading and converting rules:
`rempart.sigma.engine`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from rempart.sigma.arrow_eval import ArrowGroup, ColumnSets, Plan, compile_sets
from rempart.sigma.engine import (
    RULES_PER_QUERY,
    CompiledRule,
    Mapping,
    RuleSet,
    default_mapping,
    distinct_columns,
)
from rempart.sigma.plan import sql_literal

if TYPE_CHECKING:
    from rempart.store.engine import Engine


@dataclass
class EvalStats:
    events: int = 0  # event rows scanned, summed over log-source groups
    queries: int = 0
    hits: int = 0
    groups: dict[str, int] = field(default_factory=dict)


HIT_COLUMNS = ("event_uid", "rule_id")
# Events of a log-source group evaluated at once: a million events in one go held 10 GB of
# lifted columns and per-rule masks; the attack samples (8 k events) stay one slice.
SLICE_ROWS = 250_000
_HIT_SCHEMA = pa.schema([pa.field("event_uid", pa.string()), pa.field("r", pa.int64())])


def evaluate(
    db: Engine | duckdb.DuckDBPyConnection,
    ruleset: RuleSet,
    *,
    table: str = "process",
    where: str = "true",
    mapping: Mapping | None = None,
    stats: EvalStats | None = None,
    use_arrow: bool = True,
    patterns: RulePatterns | None = None,
) -> pa.Table:
    """All rules over `table`, set-based; returns (event_uid, rule_id) hits.

    Rules whose plan runs on PyArrow share their sub-matches within a group (`use_arrow`);
    the others run as DuckDB queries of RULES_PER_QUERY rules each. Both give the same hits.
    `db` is the store's engine (the detectors' way to the store), or a DuckDB connection of
    the caller's own (a test's, a throw-away database). `patterns`: the rule set's
    `compile_patterns`, when the caller built them beforehand (else built per group here).
    """
    from rempart.store.engine import Engine

    con = db if isinstance(db, Engine) else Engine(db, "duckdb")
    mapping = mapping or default_mapping()
    stats = stats if stats is not None else EvalStats()
    rules = list(ruleset.rules)
    if not rules:
        return pa.table({c: pa.array([], pa.string()) for c in HIT_COLUMNS})
    groups: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rules):
        groups[r.logsource].append(i)
    ids = pa.array([r.rule_id for r in rules], pa.string())
    parts: list[pa.Table] = []
    # every group's event count in one scan (one query per group cost a scan each)
    counted = con.rows(
        "SELECT "
        + ", ".join(f"count(*) FILTER (WHERE {pred or 'true'})" for pred in groups)
        + f" FROM {table} WHERE ({where})"
    )[0]
    for (pred, idxs), count in zip(groups.items(), counted, strict=True):
        # The group's events with the fields its rules read, lifted (and lower-cased) once.
        cols = distinct_columns([rules[i] for i in idxs])
        lifted = "".join(
            ", "
            + (f"lower({mapping.field_sql(f)})" if k == "l" else mapping.field_sql(f))
            + f' AS "{k}:{f.replace(chr(34), chr(34) * 2)}"'
            for k, f in cols
        )
        scope = f"FROM {table} WHERE ({where}) AND ({pred or 'true'})"
        n = int(count)
        stats.groups[pred or "*"] = n
        stats.events += n
        # A big group runs in slices of about SLICE_ROWS events (split by a hash of the
        # event's key): the lifted columns and the rules' masks are held for one slice only.
        slices = -(-n // SLICE_ROWS)
        for s in range(slices):
            part = f" AND hash(event_uid) % {slices} = {s}" if slices > 1 else ""
            grp = con.query(f"SELECT event_uid{lifted} {scope}{part}")
            if grp.num_rows == 0:
                continue
            con.register("sigma_grp", grp)
            try:
                _run_slice(con, grp, rules, idxs, use_arrow, parts, stats, pred, patterns)
            finally:
                con.unregister("sigma_grp")
    hits = pa.concat_tables(parts) if parts else _HIT_SCHEMA.empty_table()
    rule_ids = ids.take(hits.column("r").cast(pa.int64()))
    out = pa.table({"event_uid": hits.column("event_uid"), "rule_id": rule_ids})
    if ruleset.correlations:
        out = pa.concat_tables([out, _run_correlations(con, out, ruleset, table, mapping)])
    stats.hits = out.num_rows
    return out


@dataclass(frozen=True)
class RulePatterns:
    """What `evaluate` derives from the rules alone: each plan parsed, and the RE2 sets of
    each log-source group's plans (`compile_sets`)."""

    plans: dict[str, Plan]  # plan JSON -> parsed
    sets: dict[str, ColumnSets]  # log-source predicate -> its RE2 sets


def compile_patterns(ruleset: RuleSet) -> RulePatterns:
    """The rule set's `RulePatterns`: `rempart.app.triage` builds them in its rules thread,
    beside the ingest (a tenth of a second on SigmaHQ's Windows rules)."""
    parsed: dict[str, Plan] = {}
    groups: dict[str, list[Plan]] = defaultdict(list)
    for r in ruleset.rules:
        if r.plan:
            plan = parsed.get(r.plan)
            if plan is None:
                plan = parsed[r.plan] = json.loads(r.plan)
            groups[r.logsource].append(plan)
    return RulePatterns(parsed, {pred: compile_sets(plans) for pred, plans in groups.items()})


def _run_slice(
    con: Engine,
    grp: pa.Table,
    rules: list[CompiledRule],
    idxs: list[int],
    use_arrow: bool,
    parts: list[pa.Table],
    stats: EvalStats,
    pred: str = "",
    patterns: RulePatterns | None = None,
) -> None:
    """One slice of a group (registered as `sigma_grp`): its hits appended to `parts`."""
    arrow_idxs = [i for i in idxs if rules[i].plan] if use_arrow else []
    if arrow_idxs:
        group = ArrowGroup(grp, patterns.plans if patterns is not None else None)
        uids = grp.column("event_uid")
        sets = patterns.sets.get(pred) if patterns is not None else None
        group.prepare([rules[i].plan for i in arrow_idxs], sets)
        for i in arrow_idxs:
            rows = group.matches(rules[i].plan)
            if len(rows):
                parts.append(
                    pa.table(
                        {
                            "event_uid": uids.take(rows),
                            "r": pa.array([i] * len(rows), pa.int64()),
                        }
                    )
                )
    on_arrow = set(arrow_idxs)
    sql_idxs = [i for i in idxs if i not in on_arrow]
    for start in range(0, len(sql_idxs), RULES_PER_QUERY):
        chunk = sql_idxs[start : start + RULES_PER_QUERY]
        cases = ", ".join(f"CASE WHEN {rules[i].expr} THEN {i} END" for i in chunk)
        query = (
            "SELECT event_uid, unnest(list_filter([" + cases + "], lambda x: x IS NOT NULL))"
            " AS r FROM sigma_grp"
        )
        parts.append(con.query(query).cast(_HIT_SCHEMA))
        stats.queries += 1


def _run_correlations(
    con: Engine, hits: pa.Table, ruleset: RuleSet, table: str, m: Mapping
) -> pa.Table:
    """event_count / value_count over tumbling windows of `timespan`, grouped by fields."""
    con.register("_base_hits", hits)
    parts: list[pa.Table] = []
    try:
        for c in ruleset.correlations:
            ids = ", ".join(sql_literal(i) for i in c.rule_ids)
            groups = [f"{m.field_sql(g)} AS g{i}" for i, g in enumerate(c.group_by)]
            gcols = [f"g{i}" for i in range(len(c.group_by))]
            measure = (
                "count(*)"
                if c.kind == "event_count"
                else f"count(DISTINCT {m.field_sql(c.value_field or '')})"
            )
            value_col = (
                f", {m.field_sql(c.value_field)} AS v"
                if c.kind == "value_count" and c.value_field
                else ""
            )
            measure = "count(*)" if c.kind == "event_count" else "count(DISTINCT v)"
            sel = ", ".join([*groups, f"time_bucket(INTERVAL '{c.timespan_s} seconds', time) AS w"])
            gb = ", ".join([*gcols, "w"])
            query = f"""
                WITH e AS (SELECT p.event_uid, {sel}{value_col}
                           FROM _base_hits h JOIN {table} p USING (event_uid)
                           WHERE h.rule_id IN ({ids})),
                     g AS (SELECT {gb}, {measure} AS n FROM e GROUP BY {gb}
                           HAVING {measure} {c.op} {c.count})
                SELECT e.event_uid, {sql_literal(c.rule_id)} AS rule_id
                FROM e JOIN g USING ({gb})"""
            parts.append(con.query(query))
    finally:
        con.unregister("_base_hits")
    if not parts:
        return pa.table({c: pa.array([], pa.string()) for c in HIT_COLUMNS})
    return pa.concat_tables(parts)
