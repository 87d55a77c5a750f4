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

from sigma.conditions import ConditionNOT
from sigma.conversion.base import TextQueryBackend
from sigma.conversion.state import ConversionState
from sigma.types import SigmaRegularExpressionFlag, SigmaString, SpecialChars

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
