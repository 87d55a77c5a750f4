"""Run rule plans with PyArrow compute over one log-source group's lifted columns.

DuckDB spends milliseconds binding each rule's expression, which dominates on thousands of
rules over a modest number of events. Here each distinct match (`Image` ends with
`\\rundll32.exe`, ...) is computed once per group as a boolean column and shared by every rule
that uses it; rules are then AND/OR/NOT of those columns (Kleene logic, unknown = no match).
Still columnar: whole columns per call, never one event at a time.

`prepare` goes further when google-re2 is installed: every substring, prefix, suffix and
regular-expression leaf of a group's rules that reads the same column is matched in one pass
over that column's distinct values by an RE2 set (all patterns at once, each value scanned
once per set), instead of one Arrow call per leaf scanning the column again; the masks it
leaves in the memo are the ones the Arrow calls would give (Arrow runs RE2 too).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

Plan = list[Any]
# Scalars made once: converting a Python value on every call costs failed optional imports.
_FALSE = pa.scalar(False)
# leaves an RE2 set matches (all of them select, none needs a whole-string comparison)
SET_OPS = frozenset({"contains", "prefix", "suffix", "re"})
SET_SIZE = 128  # patterns per RE2 set: bigger sets build bigger automata (memory, no speed)
_SET_MEM = 256 << 20  # RE2's memory budget per set; past it a set would miss matches


def _set_pattern(op: str, arg: str, escape: Any) -> str:
    """The RE2 pattern of one leaf (`\\A`/`\\z`: start and end of the text only)."""
    if op == "re":
        return str(arg)
    lit = str(escape(arg))
    if op == "prefix":
        return r"\A" + lit
    if op == "suffix":
        return lit + r"\z"
    return lit


def leaf_key(plan: Plan) -> tuple[Any, ...]:
    """A leaf's memo key (hashable, cheaper than its JSON text)."""
    op, kind, field, arg = plan
    return (op, kind, field, tuple(arg) if isinstance(arg, list) else arg)


def _leaves(plan: Plan, out: dict[tuple[Any, ...], Plan]) -> None:
    op = plan[0]
    if op in ("and", "or"):
        for p in plan[1]:
            _leaves(p, out)
    elif op == "not":
        _leaves(plan[1], out)
    elif op in SET_OPS:
        out.setdefault(leaf_key(plan), plan)


@dataclass(frozen=True)
class PatternSet:
    """Up to SET_SIZE leaves reading one column, compiled as one RE2 set (pattern `i` of the
    set is the leaf `keys[i]`)."""

    keys: tuple[tuple[Any, ...], ...]
    rset: Any  # re2.Set


# column ("kind:field", lower-cased) -> its sets
ColumnSets = dict[str, list[PatternSet]]


def compile_sets(plans: list[Plan]) -> ColumnSets:
    """The RE2 sets of these plans' substring, prefix, suffix and regex leaves, per column.

    They depend on the rules only, not on the events: `rempart.app.triage` builds them
    beside the ingest. Empty without google-re2 (every leaf then runs as its Arrow call); a
    pattern RE2 rejects is left out of its set (its leaf runs alone).
    """
    try:
        import re2
    except ImportError:  # optional speed-up
        return {}
    leaves: dict[tuple[Any, ...], Plan] = {}
    for plan in plans:
        _leaves(plan, leaves)
    by_col: dict[str, list[tuple[tuple[Any, ...], Plan]]] = {}
    for key, leaf in leaves.items():
        by_col.setdefault(f"{leaf[1]}:{leaf[2]}".lower(), []).append((key, leaf))
    options = re2.Options()
    options.max_mem = _SET_MEM
    out: ColumnSets = {}
    for column, items in by_col.items():
        chunks = out[column] = []
        for start in range(0, len(items), SET_SIZE):
            rset = re2.Set.SearchSet(options)
            kept: list[tuple[Any, ...]] = []
            for key, (op, _kind, _field, arg) in items[start : start + SET_SIZE]:
                try:
                    rset.Add(_set_pattern(op, arg, re2.escape))
                except re2.error:
                    continue  # Arrow's own call raises or matches as it will
                kept.append(key)
            if kept:
                rset.Compile()
                chunks.append(PatternSet(tuple(kept), rset))
    return out


class ArrowGroup:
    """One group's table (columns `l:Field` / `o:Field`) with a cache of computed matches."""

    def __init__(self, table: pa.Table, plans: dict[str, Plan] | None = None) -> None:
        """`plans`: plan JSON -> parsed, when the caller parsed them already."""
        self.table = table
        self.memo: dict[tuple[Any, ...], pa.ChunkedArray | pa.Array] = {}
        self.plans: dict[str, Plan] = dict(plans or {})  # plan JSON -> parsed, parsed once
        self.names = {n.lower(): n for n in table.column_names}
        self.dicts: dict[str, tuple[pa.Array, pa.Array]] = {}

    def _col(self, kind: str, field: str) -> tuple[pa.Array, pa.Array | None]:
        """A column as (distinct values, row -> value index), or (values, None) if absent.

        Matches run on the distinct values only, then are spread back to the rows: logs
        repeat the same images, paths and command lines over and over.
        """
        name = self.names.get(f"{kind}:{field}".lower())
        if name is None:
            return pa.nulls(self.table.num_rows, pa.string()), None
        if name not in self.dicts:
            enc = pc.dictionary_encode(self.table.column(name).combine_chunks())
            self.dicts[name] = (enc.dictionary, enc.indices)
        return self.dicts[name]

    def prepare(self, plans_json: list[str], sets: ColumnSets | None = None) -> None:
        """Match the set-able leaves of these plans column by column (see the module's doc);
        a no-op without google-re2, or for a pattern RE2 rejects (its leaf runs alone).
        `sets`: these plans' `compile_sets`, when the caller built them beforehand."""
        if sets is None:
            sets = compile_sets([self._plan(pj) for pj in plans_json])
        for column, chunks in sets.items():
            name = self.names.get(column)
            if name is None or not chunks:
                continue
            values, rows = self._col(*name.split(":", 1))
            if rows is None or len(values) == 0:
                continue
            # UTF-8 bytes, as RE2 reads them: not encoded again for every set
            texts = values.cast(pa.binary()).to_pylist()
            # row -> value index as numpy (null rows: index 0, masked back to null below)
            nulls = pc.is_null(rows).to_numpy(zero_copy_only=False)
            at = pc.fill_null(rows, 0).to_numpy(zero_copy_only=False)
            for chunk in chunks:
                self._run_set(chunk, texts, at, nulls if nulls.any() else None)

    def _run_set(self, chunk: PatternSet, texts: list[Any], at: Any, nulls: Any) -> None:
        hits: list[list[int]] = [[] for _ in chunk.keys]
        match = chunk.rset.Match
        for vi, text in enumerate(texts):
            found = match(text)
            if found:
                for k in found:
                    hits[k].append(vi)
        for key, found_at in zip(chunk.keys, hits, strict=True):
            mask = np.zeros(len(texts), dtype=bool)
            mask[found_at] = True
            self.memo[key] = pa.array(mask[at], mask=nulls)

    def _plan(self, plan_json: str) -> Plan:
        plan = self.plans.get(plan_json)
        if plan is None:
            plan = self.plans[plan_json] = json.loads(plan_json)
        return plan

    def eval(self, plan: Plan) -> Any:
        op = plan[0]
        if op == "and":
            out: Any = None
            for p in plan[1]:
                v = self.eval(p)
                out = v if out is None else pc.and_kleene(out, v)
            return out if out is not None else _FALSE
        if op == "or":
            out = None
            for p in plan[1]:
                v = self.eval(p)
                out = v if out is None else pc.or_kleene(out, v)
            return out if out is not None else _FALSE
        if op == "not":
            return pc.invert(pc.fill_null(self.eval(plan[1]), _FALSE))
        key = leaf_key(plan)
        hit = self.memo.get(key)
        if hit is None:
            hit = self._leaf(plan)
            self.memo[key] = hit
        return hit

    def _leaf(self, plan: Plan) -> Any:
        op, kind, field, arg = plan
        values, rows = self._col(kind, field)
        if op in ("null", "exists"):
            col = values if rows is None else pc.take(values, rows)
            return pc.is_null(col) if op == "null" else pc.is_valid(col)
        on_values = self._match(op, values, arg)
        return on_values if rows is None else pc.take(on_values, rows)

    @staticmethod
    def _match(op: str, col: pa.Array, arg: Any) -> Any:
        if op == "eq":
            return pc.equal(col, pa.scalar(arg, pa.string()))
        if op == "prefix":
            return pc.starts_with(col, pattern=arg)
        if op == "suffix":
            return pc.ends_with(col, pattern=arg)
        if op == "contains":
            return pc.match_substring(col, pattern=arg)
        if op == "like":
            return pc.match_like(col, pattern=arg)
        if op == "in":
            return pc.is_in(col, value_set=pa.array(arg, pa.string()))
        if op == "re":
            return pc.match_substring_regex(col, pattern=arg)
        raise ValueError(f"plan node {op!r} does not run on Arrow")

    def matches(self, plan_json: str) -> pa.Array:
        """Row indices where the rule matches."""
        mask = self.eval(self._plan(plan_json))
        if isinstance(mask, pa.Scalar):
            if mask.as_py():
                return pa.array(range(self.table.num_rows), pa.uint64())
            return pa.array([], pa.uint64())
        return pc.indices_nonzero(pc.fill_null(mask, _FALSE))
