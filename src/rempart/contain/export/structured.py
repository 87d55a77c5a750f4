"""JSON and CSV for the firewalls and tools Rempart has no template for.

JSON carries the whole plan (every action, including mail, accounts and indicators, which no
firewall language holds) and the compiled rules; CSV carries one rule per row for a
spreadsheet or a vendor import. Both are checked by reading them back with a schema.
Rollback files list the rule ids to remove.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any, ClassVar, Literal

from pydantic import ValidationError

from rempart.contain.actions import Plan
from rempart.contain.export.base import Exporter
from rempart.contain.export.rules import Rule, RuleSet
from rempart.model.hospital import Frozen


class RuleFile(Frozen):
    """The JSON export's schema (read back to validate it)."""

    format: Literal["rempart-firewall"] = "rempart-firewall"
    version: Literal[1] = 1
    name: str
    plan_id: str
    plan_title: str
    plan: Plan | None = None
    rules: tuple[Rule, ...]


class RollbackFile(Frozen):
    format: Literal["rempart-firewall-rollback"] = "rempart-firewall-rollback"
    version: Literal[1] = 1
    name: str
    plan_id: str
    remove_rules: tuple[str, ...]


class JsonExporter(Exporter):
    NAME = "json"
    VERSION = "1"
    SUFFIX = ".json"
    DESCRIPTION = "JSON: the plan and its rules, for other firewalls and tools"

    def __init__(self, plan: Plan | None = None) -> None:
        self.plan = plan

    def render(self, rules: RuleSet) -> str:
        doc = RuleFile(
            name=rules.name,
            plan_id=rules.plan_id,
            plan_title=rules.plan_title,
            plan=self.plan,
            rules=rules.rules,
        )
        return doc.model_dump_json(indent=2) + "\n"

    def render_rollback(self, rules: RuleSet) -> str:
        doc = RollbackFile(
            name=rules.name, plan_id=rules.plan_id, remove_rules=tuple(r.id for r in rules.rules)
        )
        return doc.model_dump_json(indent=2) + "\n"

    def parse(self, text: str, name: str = "rempart") -> tuple[Rule, ...]:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"line {exc.lineno}: invalid JSON: {exc.msg}") from exc
        try:
            if isinstance(data, dict) and data.get("format") == "rempart-firewall-rollback":
                RollbackFile.model_validate(data)
                return ()
            return RuleFile.model_validate(data).rules
        except ValidationError as exc:
            raise ValueError(_first_error(exc)) from exc


CSV_COLUMNS: tuple[str, ...] = (
    "rule_id",
    "action",
    "verdict",
    "family",
    "src",
    "src_negate",
    "dst",
    "dst_negate",
    "proto",
    "dports",
    "sports",
    "established",
    "comment",
)


class CsvExporter(Exporter):
    NAME = "csv"
    VERSION = "1"
    SUFFIX = ".csv"
    DESCRIPTION = "CSV: one rule per row (space-separated lists)"
    ROLLBACK_COLUMNS: ClassVar[tuple[str, ...]] = ("operation", "rule_id", "plan_id")

    def render(self, rules: RuleSet) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(CSV_COLUMNS)
        for r in rules.rules:
            w.writerow(
                [
                    r.id,
                    r.action,
                    r.verdict.value,
                    r.family,
                    " ".join(r.src),
                    str(r.src_negate).lower(),
                    " ".join(r.dst),
                    str(r.dst_negate).lower(),
                    r.proto or "",
                    " ".join(map(str, r.dports)),
                    " ".join(map(str, r.sports)),
                    str(r.established).lower(),
                    r.comment,
                ]
            )
        return buf.getvalue()

    def render_rollback(self, rules: RuleSet) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(self.ROLLBACK_COLUMNS)
        for r in rules.rules:
            w.writerow(["remove", r.id, rules.plan_id])
        return buf.getvalue()

    def parse(self, text: str, name: str = "rempart") -> tuple[Rule, ...]:
        reader = csv.reader(io.StringIO(text))
        header = next(reader, None)
        if header is not None and tuple(header) == self.ROLLBACK_COLUMNS:
            for row in reader:
                if len(row) != 3 or row[0] != "remove":
                    raise ValueError(f"line {reader.line_num}: expected remove,rule_id,plan_id")
            return ()
        if header is None or tuple(header) != CSV_COLUMNS:
            raise ValueError(f"line 1: expected header {','.join(CSV_COLUMNS)}")
        rules: list[Rule] = []
        for row in reader:
            if len(row) != len(CSV_COLUMNS):
                raise ValueError(
                    f"line {reader.line_num}: {len(row)} fields, not {len(CSV_COLUMNS)}"
                )
            rec: dict[str, Any] = dict(zip(CSV_COLUMNS, row, strict=True))
            try:
                rules.append(
                    Rule.model_validate(
                        {
                            "id": rec["rule_id"],
                            "action": rec["action"],
                            "verdict": rec["verdict"],
                            "family": int(rec["family"]) if rec["family"].isdigit() else -1,
                            "src": tuple(rec["src"].split()),
                            "src_negate": rec["src_negate"],
                            "dst": tuple(rec["dst"].split()),
                            "dst_negate": rec["dst_negate"],
                            "proto": rec["proto"] or None,
                            "dports": tuple(rec["dports"].split()),
                            "sports": tuple(rec["sports"].split()),
                            "established": rec["established"],
                            "comment": rec["comment"],
                        }
                    )
                )
            except ValidationError as exc:
                raise ValueError(f"line {reader.line_num}: {_first_error(exc)}") from exc
        return tuple(rules)


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    return f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
