"""A pySigma backend that turns a Sigma detection into a plan: SQL for DuckDB, or PyArrow.

The plan (a small JSON-able tree) reads a per-run table of the fields the rules use:
`"l:Field"` holds the lower-cased value (Sigma matches case-insensitively by default, so values
are lower-cased once per event, not once per rule) and `"o:Field"` the original value
(regular expressions, `cased`).
Missing fields are NULL (Sigma's `null` matches them and empty values alike); `NOT` treats
an unknown as false, as Sigma does, so `selection and not filter` still fires when the
filter's field is absent. Regular expressions go to RE2
(DuckDB's and Arrow's engine alike). `to_sql` renders a plan for DuckDB (or Spark via sqlglot);
`rempart.sigma.arrow_eval` runs the same plan with PyArrow compute, sharing equal sub-matches.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
)
from sigma.conversion.base import TextQueryBackend
from sigma.conversion.state import ConversionState
from sigma.types import SigmaCasedString, SigmaRegularExpressionFlag, SigmaString, SpecialChars

from rempart.sigma.plan import (
    RAW_FIELD,
    Plan,
    arrow_ready,
    as_plan,
    column,
    columns_of,
    sql_literal,
    to_sql,
)


def _plain(s: SigmaString) -> str:
    return "".join(p for p in s.s if isinstance(p, str))


def _like(s: SigmaString) -> str:
    out: list[str] = []
    for part in s.s:
        if part is SpecialChars.WILDCARD_MULTI:
            out.append("%")
        elif part is SpecialChars.WILDCARD_SINGLE:
            out.append("_")
        elif isinstance(part, str):
            out.append(part.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"))
    return "".join(out)


# --- the plan: a small JSON-able tree, rendered as SQL or run with PyArrow compute ----------
# ["and", [..]] ["or", [..]] ["not", x] ["sql", text]
# [op, kind, field, arg] with op eq/prefix/suffix/contains/like/in/re, kind "l" or "o"
# ["null", kind, field, None] ["exists", kind, field, None]

_RE2_META = set("\\.+*?()|[]{}^$")
MIN_FOLD = 3  # alternatives on one field folded into one IN list or one RE2 alternation


def _re2_literal(text: str) -> str:
    return "".join("\\" + c if c in _RE2_META else c for c in text)


def _shape(value: SigmaString, lower: bool) -> Plan:
    """eq / prefix / suffix / contains when the pattern allows it, else a LIKE pattern."""
    multi = SpecialChars.WILDCARD_MULTI

    def norm(text: str) -> str:
        return text.lower() if lower else text

    if not value.contains_special():
        return ["eq", norm(_plain(value))]
    start, end = value.startswith(multi), value.endswith(multi)
    if end and not start and not value[:-1].contains_special():
        return ["prefix", norm(_plain(value[:-1]))]
    if start and not end and not value[1:].contains_special():
        return ["suffix", norm(_plain(value[1:]))]
    if start and end and len(value) > 1 and not value[1:-1].contains_special():
        return ["contains", norm(_plain(value[1:-1]))]
    return ["like", norm(_like(value))]


def _leaf(field: str, value: SigmaString, *, lower: bool) -> Plan:
    op, arg = _shape(value, lower)
    return [op, "l" if lower else "o", field, arg]


def _fold(field: str, leaves: list[Plan]) -> Plan:
    """Many alternatives on one field as one IN list plus one RE2 alternation."""
    eqs = sorted({str(x[3]) for x in leaves if x[0] == "eq"})
    alts = sorted(
        {
            ("^" if x[0] == "prefix" else "")
            + _re2_literal(str(x[3]))
            + ("$" if x[0] == "suffix" else "")
            for x in leaves
            if x[0] != "eq"
        }
    )
    parts: list[Plan] = []
    if eqs:
        parts.append(["in", "l", field, eqs])
    if alts:
        parts.append(["re", "l", field, "|".join(alts)])
    return parts[0] if len(parts) == 1 else ["or", parts]


class DuckDBSigmaBackend(TextQueryBackend):
    """Sigma detection -> a plan over the `l:`/`o:` columns (SQL for DuckDB, or PyArrow)."""

    name: ClassVar[str] = "Rempart DuckDB"
    formats: ClassVar[dict[str, str]] = {"default": "plan (JSON-able tree)"}
    requires_pipeline: ClassVar[bool] = True

    group_expression: ClassVar[str] = "({expr})"
    token_separator: str = " "  # noqa: S105
    or_token: ClassVar[str] = "OR"  # noqa: S105
    and_token: ClassVar[str] = "AND"  # noqa: S105
    not_token: ClassVar[str] = "NOT"  # noqa: S105
    eq_token: ClassVar[str] = " = "  # noqa: S105
    str_quote: ClassVar[str] = "'"
    escape_char: ClassVar[str] = "\\"
    wildcard_multi: ClassVar[str] = "%"
    wildcard_single: ClassVar[str] = "_"
    add_escaped: ClassVar[str] = "\\"
    filter_chars: ClassVar[str] = ""
    bool_values: ClassVar[dict[bool, str | None]] = {True: "'true'", False: "'false'"}
    field_null_expression: ClassVar[str] = "{field} IS NULL"
    field_exists_expression: ClassVar[str] = "{field} IS NOT NULL"
    field_not_exists_expression: ClassVar[str] = "{field} IS NULL"
    compare_op_expression: ClassVar[str] = "TRY_CAST({field} AS DOUBLE) {operator} {value}"
    compare_operators: ClassVar[dict[Any, str]] = TextQueryBackend.compare_operators or {}
    field_equals_field_expression: ClassVar[str | None] = "{field1} = {field2}"
    convert_or_as_in: ClassVar[bool] = False
    convert_and_as_in: ClassVar[bool] = False

    def escape_and_quote_field(self, field_name: str) -> str:
        return column(field_name)

    def convert_condition_group(self, cond: Any, state: ConversionState) -> Any:
        return self.convert_condition(cond, state)

    def convert_condition_and(self, cond: ConditionAND, state: ConversionState) -> Any:
        parts = [self.convert_condition(a, state) for a in cond.args]
        return ["and", [as_plan(p) for p in parts if p is not None]]

    def convert_condition_or(self, cond: ConditionOR, state: ConversionState) -> Any:
        """OR of many simple matches on one field: one IN list and one RE2 alternation."""
        by_field: dict[str, list[Plan]] = {}
        parts: list[Plan] = []
        for arg in cond.args:
            if (
                isinstance(arg, ConditionFieldEqualsValueExpression)
                and arg.field
                and isinstance(arg.value, SigmaString)
                and not isinstance(arg.value, SigmaCasedString)
            ):
                leaf = _leaf(str(arg.field), arg.value, lower=True)
                if leaf[0] != "like":
                    by_field.setdefault(str(arg.field), []).append(leaf)
                    continue
            converted = self.convert_condition(arg, state)
            if converted is not None:
                parts.append(as_plan(converted))
        for fld, leaves in by_field.items():
            if len(leaves) >= MIN_FOLD:
                parts.append(_fold(fld, leaves))
            else:
                parts.extend(leaves)
        return ["or", parts]

    def convert_condition_not(self, cond: ConditionNOT, state: ConversionState) -> Any:
        return ["not", as_plan(self.convert_condition(cond.args[0], state))]

    def convert_condition_field_eq_val_str(self, cond: Any, state: ConversionState) -> Any:
        return _leaf(str(cond.field), cond.value, lower=True)

    def convert_condition_field_eq_val_str_case_sensitive(
        self, cond: Any, state: ConversionState
    ) -> Any:
        return _leaf(str(cond.field), cond.value, lower=False)

    def convert_condition_field_eq_val_num(self, cond: Any, state: ConversionState) -> Any:
        return ["eq", "l", str(cond.field), str(cond.value)]

    def convert_condition_field_eq_val_bool(self, cond: Any, state: ConversionState) -> Any:
        return ["eq", "l", str(cond.field), "true" if cond.value.boolean else "false"]

    def convert_condition_field_eq_val_null(self, cond: Any, state: ConversionState) -> Any:
        """`field: null` is a field with no value: absent, or present and empty.

        An EVTX `<Data Name="StartModule"></Data>` (Sysmon's remote thread into shellcode)
        is read as '' and rules on such always-written fields say `null` for "no value"; the
        Sigma specification leaves null to the target. `|exists: false` stays "absent".
        """
        field = str(cond.field)
        return ["or", [["null", "l", field, None], ["eq", "l", field, ""]]]

    def convert_condition_field_eq_val_re(self, cond: Any, state: ConversionState) -> Any:
        flags = ""
        for flag, letter in (
            (SigmaRegularExpressionFlag.IGNORECASE, "i"),
            (SigmaRegularExpressionFlag.MULTILINE, "m"),
            (SigmaRegularExpressionFlag.DOTALL, "s"),
        ):
            if flag in cond.value.flags:
                flags += letter
        pattern = (f"(?{flags})" if flags else "") + str(cond.value.regexp)
        return ["re", "o", str(cond.field), pattern]

    def convert_condition_val_str(self, cond: Any, state: ConversionState) -> Any:
        value: SigmaString = cond.value
        multi = SpecialChars.WILDCARD_MULTI
        if not value.startswith(multi):
            value = SigmaString("*") + value
        if not value.endswith(multi):
            value = value + SigmaString("*")
        return _leaf(RAW_FIELD, value, lower=True)

    def convert_condition_val_num(self, cond: Any, state: ConversionState) -> Any:
        return ["contains", "l", RAW_FIELD, str(cond.value)]

    def finish_query(self, rule: Any, query: Any, state: ConversionState) -> Any:
        if state.has_deferred():
            raise NotImplementedError("deferred query parts are not supported")
        return query

    def finalize_query_default(
        self, rule: Any, query: Any, index: int, state: ConversionState
    ) -> Any:
        return query


# the plan helpers live in rempart.sigma.plan (no pySigma); named here too for old callers
__all__ = [
    "RAW_FIELD",
    "DuckDBSigmaBackend",
    "Plan",
    "arrow_ready",
    "as_plan",
    "column",
    "columns_of",
    "sql_literal",
    "to_sql",
]
