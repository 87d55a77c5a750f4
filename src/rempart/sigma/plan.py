"""Rule plans without pySigma: what evaluating an already converted rule set needs.

A plan is the small JSON-able tree `rempart.sigma.backend` makes from a Sigma detection;
`to_sql` renders it for DuckDB, `arrow_ready` tells whether PyArrow can run it whole. Kept
apart from the backend so a run on cached rules never imports pySigma (a fifth of a second).
"""

from __future__ import annotations

import re
from typing import Any

Plan = list[Any]

RAW_FIELD = "__raw"  # unbound keywords match the whole event text


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def column(field: str, *, original: bool = False) -> str:
    prefix = "o:" if original else "l:"
    return '"' + (prefix + field).replace('"', '""') + '"'


_COLUMN_RE = re.compile(r'"([lo]):((?:[^"]|"")+)"')


def columns_of(expr: str) -> set[tuple[str, str]]:
    """(kind, field) pairs an expression reads: kind 'l' (lower-cased) or 'o' (original)."""
    return {(m.group(1), m.group(2).replace('""', '"')) for m in _COLUMN_RE.finditer(expr)}


def as_plan(x: Any) -> Plan:
    return x if isinstance(x, list) else ["sql", str(x)]


def to_sql(plan: Plan) -> str:
    """The plan as one DuckDB boolean expression."""
    op = plan[0]
    if op in ("and", "or"):
        sep = f" {op.upper()} "
        return "(" + sep.join(to_sql(p) for p in plan[1]) + ")" if plan[1] else "false"
    if op == "not":
        return f"(NOT COALESCE({to_sql(plan[1])}, false))"
    if op == "sql":
        return f"({plan[1]})"
    _, kind, field, arg = plan
    col = column(field, original=kind == "o")
    if op == "eq":
        return f"{col} = {sql_literal(arg)}"
    if op == "prefix":
        return f"starts_with({col}, {sql_literal(arg)})"
    if op == "suffix":
        return f"ends_with({col}, {sql_literal(arg)})"
    if op == "contains":
        return f"contains({col}, {sql_literal(arg)})"
    if op == "like":
        return f"{col} LIKE {sql_literal(arg)} ESCAPE '\\'"
    if op == "in":
        return f"{col} IN ({', '.join(sql_literal(v) for v in arg)})"
    if op == "re":
        return f"regexp_matches({col}, {sql_literal(arg)})"
    if op == "null":
        return f"{col} IS NULL"
    if op == "exists":
        return f"{col} IS NOT NULL"
    raise ValueError(f"unknown plan node {op!r}")


def arrow_ready(plan: Plan) -> bool:
    """True when every node runs with PyArrow compute (no raw SQL leaf)."""
    if plan[0] in ("and", "or"):
        return all(arrow_ready(p) for p in plan[1])
    if plan[0] == "not":
        return arrow_ready(plan[1])
    return bool(plan[0] != "sql")


__all__ = [
    "RAW_FIELD",
    "Plan",
    "arrow_ready",
    "as_plan",
    "column",
    "columns_of",
    "sql_literal",
    "to_sql",
]
