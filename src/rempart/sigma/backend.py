"""A pySigma backend that turns a Sigma detection into one DuckDB boolean expression.

The expression reads a wide, per-run table of the fields the rules use: `"l:Field"` holds the
lower-cased value (Sigma matches case-insensitively by default, so values are lower-cased once
per event, not once per rule) and `"o:Field"` the original value (regular expressions, `cased`).
Missing fields are NULL; `NOT` treats an unknown as false, as Sigma does, so `selection and
not filter` still fires when the filter's field is absent. Regular expressions go to RE2.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from sigma.conditions import ConditionFieldEqualsValueExpression, ConditionNOT, ConditionOR
from sigma.conversion.base import TextQueryBackend
from sigma.conversion.state import ConversionState
from sigma.types import SigmaCasedString, SigmaRegularExpressionFlag, SigmaString, SpecialChars

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


def _match(col: str, value: SigmaString, *, lower: bool) -> str:
    """Equality, prefix, suffix, substring or LIKE, whichever is the cheapest exact form."""

    def norm(text: str) -> str:
        return text.lower() if lower else text

    multi = SpecialChars.WILDCARD_MULTI
    if not value.contains_special():
        return f"{col} = {sql_literal(norm(_plain(value)))}"
    inner_start = value.startswith(multi)
    inner_end = value.endswith(multi)
    if inner_end and not inner_start and not value[:-1].contains_special():
        return f"starts_with({col}, {sql_literal(norm(_plain(value[:-1])))})"
    if inner_start and not inner_end and not value[1:].contains_special():
        return f"ends_with({col}, {sql_literal(norm(_plain(value[1:])))})"
    if inner_start and inner_end and len(value) > 1 and not value[1:-1].contains_special():
        return f"contains({col}, {sql_literal(norm(_plain(value[1:-1])))})"
    return f"{col} LIKE {sql_literal(norm(_like(value)))} ESCAPE '\\'"


_RE2_META = set("\\.+*?()|[]{}^$")
MIN_FOLD = 3  # alternatives on one field folded into one IN list or one RE2 alternation


def _re2_literal(text: str) -> str:
    return "".join("\\" + c if c in _RE2_META else c for c in text)


def _shape(value: SigmaString) -> tuple[str, str] | None:
    """('eq'|'prefix'|'suffix'|'contains', lower-cased literal), or None for other patterns."""
    multi = SpecialChars.WILDCARD_MULTI
    if not value.contains_special():
        return "eq", _plain(value).lower()
    start, end = value.startswith(multi), value.endswith(multi)
    if end and not start and not value[:-1].contains_special():
        return "prefix", _plain(value[:-1]).lower()
    if start and not end and not value[1:].contains_special():
        return "suffix", _plain(value[1:]).lower()
    if start and end and len(value) > 1 and not value[1:-1].contains_special():
        return "contains", _plain(value[1:-1]).lower()
    return None


def _fold(field: str, shapes: list[tuple[str, str]]) -> str:
    """Many alternatives on one field as one IN list plus one RE2 alternation."""
    col = column(field)
    eqs = sorted({v for k, v in shapes if k == "eq"})
    alts = sorted(
        {
            ("^" if k == "prefix" else "") + _re2_literal(v) + ("$" if k == "suffix" else "")
            for k, v in shapes
            if k != "eq"
        }
    )
    parts: list[str] = []
    if eqs:
        parts.append(f"{col} IN ({', '.join(sql_literal(v) for v in eqs)})")
    if alts:
        parts.append(f"regexp_matches({col}, {sql_literal('|'.join(alts))})")
    return "(" + " OR ".join(parts) + ")"


class DuckDBSigmaBackend(TextQueryBackend):
    """Sigma detection -> DuckDB boolean expression over the `l:`/`o:` columns."""

    name: ClassVar[str] = "Rempart DuckDB"
    formats: ClassVar[dict[str, str]] = {"default": "DuckDB boolean expression"}
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

    def convert_condition_or(self, cond: ConditionOR, state: ConversionState) -> Any:
        """OR of many simple matches on one field: one IN list and one RE2 alternation."""
        by_field: dict[str, list[tuple[str, str]]] = {}
        rest: list[Any] = []
        for arg in cond.args:
            if (
                isinstance(arg, ConditionFieldEqualsValueExpression)
                and arg.field
                and isinstance(arg.value, SigmaString)
                and not isinstance(arg.value, SigmaCasedString)
            ):
                shape = _shape(arg.value)
                if shape is not None:
                    by_field.setdefault(str(arg.field), []).append(shape)
                    continue
            rest.append(arg)
        parts: list[str] = []
        for fld, shapes in by_field.items():
            if len(shapes) >= MIN_FOLD:
                parts.append(_fold(fld, shapes))
            else:
                col = column(fld)
                for kind, v in shapes:
                    parts.append(
                        {
                            "eq": f"{col} = {sql_literal(v)}",
                            "prefix": f"starts_with({col}, {sql_literal(v)})",
                            "suffix": f"ends_with({col}, {sql_literal(v)})",
                            "contains": f"contains({col}, {sql_literal(v)})",
                        }[kind]
                    )
        for arg in rest:
            converted = self.convert_condition(arg, state)
            if converted is not None:
                parts.append(f"({converted})")
        return "(" + " OR ".join(parts) + ")" if parts else "false"

    def convert_condition_not(self, cond: ConditionNOT, state: ConversionState) -> Any:
        arg = cond.args[0]
        inner = self.convert_condition(arg, state)
        return f"(NOT COALESCE({inner}, false))"

    def convert_condition_field_eq_val_str(self, cond: Any, state: ConversionState) -> Any:
        return _match(column(cond.field), cond.value, lower=True)

    def convert_condition_field_eq_val_str_case_sensitive(
        self, cond: Any, state: ConversionState
    ) -> Any:
        return _match(column(cond.field, original=True), cond.value, lower=False)

    def convert_condition_field_eq_val_num(self, cond: Any, state: ConversionState) -> Any:
        return f"{column(cond.field)} = {sql_literal(str(cond.value))}"

    def convert_condition_field_eq_val_bool(self, cond: Any, state: ConversionState) -> Any:
        value = "true" if cond.value.boolean else "false"
        return f"{column(cond.field)} = {sql_literal(value)}"

    def convert_condition_field_eq_val_re(self, cond: Any, state: ConversionState) -> Any:
        flags = ""
        for flag, letter in (
            (SigmaRegularExpressionFlag.IGNORECASE, "i"),
            (SigmaRegularExpressionFlag.MULTILINE, "m"),
            (SigmaRegularExpressionFlag.DOTALL, "s"),
        ):
            if flag in cond.value.flags:
                flags += letter
        pattern = sql_literal(str(cond.value.regexp))
        col = column(cond.field, original=True)
        if flags:
            return f"regexp_matches({col}, {pattern}, {sql_literal(flags)})"
        return f"regexp_matches({col}, {pattern})"

    def convert_condition_val_str(self, cond: Any, state: ConversionState) -> Any:
        value: SigmaString = cond.value
        multi = SpecialChars.WILDCARD_MULTI
        if not value.startswith(multi):
            value = SigmaString("*") + value
        if not value.endswith(multi):
            value = value + SigmaString("*")
        return _match(column(RAW_FIELD), value, lower=True)

    def convert_condition_val_num(self, cond: Any, state: ConversionState) -> Any:
        return f"contains({column(RAW_FIELD)}, {sql_literal(str(cond.value))})"

    def finalize_query_default(
        self, rule: Any, query: Any, index: int, state: ConversionState
    ) -> Any:
        return query
