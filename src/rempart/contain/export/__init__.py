"""Exports of a plan: nftables, iptables-restore (IPv4, IPv6), JSON and CSV, with rollbacks.

`render_plan` refuses a plan that cuts a vital care dependency without confirmation, then
compiles its network actions once (`compile_plan`) and renders them with the named
exporter; `write_plan` writes the rules and the rollback next to each other through
`write_validated` (backup, write on change, validate, restore). Rules are never applied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rempart.contain import actions as _actions
from rempart.contain import impact as _impact
from rempart.contain.export.base import Exporter, TextExporter, Validation
from rempart.contain.export.iptables import Ip6tablesExporter, IptablesExporter
from rempart.contain.export.nftables import NftablesExporter
from rempart.contain.export.rules import Rule, RuleSet, Verdict, compile_plan
from rempart.contain.export.structured import CsvExporter, JsonExporter
from rempart.contain.export.write import (
    ExportValidationError,
    ExportWriteError,
    WriteResult,
    backup_path,
    write_validated,
)
from rempart.core.errors import RegistryError
from rempart.model.hospital import Hospital

EXPORTERS: dict[str, type[Exporter]] = {}


def register_exporter(cls: type[Exporter]) -> type[Exporter]:
    """One name, one exporter: a duplicate name is an error."""
    if cls.NAME in EXPORTERS:
        raise RegistryError(f"exporter {cls.NAME!r} is already registered")
    EXPORTERS[cls.NAME] = cls
    return cls


for _cls in (NftablesExporter, IptablesExporter, Ip6tablesExporter, JsonExporter, CsvExporter):
    register_exporter(_cls)


def make_exporter(name: str, plan: _actions.Plan | None = None) -> Exporter:
    try:
        cls = EXPORTERS[name]
    except KeyError:
        known = ", ".join(EXPORTERS)
        raise RegistryError(f"unknown exporter {name!r} (known: {known})") from None
    return JsonExporter(plan) if cls is JsonExporter else cls()


@dataclass(frozen=True)
class RenderedExport:
    exporter: str
    rules: RuleSet
    text: str
    rollback: str
    omitted_rules: int  # rules of another address family (export ip6tables as well)
    other_actions: int  # mail, account, indicator actions no firewall holds (see JSON)


def render_plan(plan: _actions.Plan, hospital: Hospital, name: str) -> RenderedExport:
    """Check care impact (VitalCutRefused if unconfirmed), compile, render with `name`."""
    _impact.check_plan(plan, hospital)
    rules = compile_plan(plan, hospital)
    exporter = make_exporter(name, plan)
    family = getattr(exporter, "FAMILY", None)
    omitted = 0 if family is None else len(rules.rules) - len(rules.family(family))
    structured = isinstance(exporter, JsonExporter)
    others = 0 if structured else sum(1 for a in plan.actions if not a.network)
    return RenderedExport(
        name,
        rules,
        exporter.render(rules),
        exporter.render_rollback(rules),
        omitted_rules=omitted,
        other_actions=others,
    )


def rollback_path(out: Path) -> Path:
    """plan.nft -> plan.rollback.nft (the rollback sits next to the rules)."""
    return out.with_name(f"{out.stem}.rollback{out.suffix}")


def write_plan(
    plan: _actions.Plan,
    hospital: Hospital,
    name: str,
    out: Path,
    validate: Callable[[Path], Validation] | None = None,
) -> tuple[WriteResult, WriteResult, RenderedExport]:
    """Write the rules to `out` and the rollback next to it, each validated in place."""
    rendered = render_plan(plan, hospital, name)
    check = validate or make_exporter(name, plan).validate
    return (
        write_validated(out, rendered.text, check),
        write_validated(rollback_path(out), rendered.rollback, check),
        rendered,
    )


__all__ = [
    "EXPORTERS",
    "CsvExporter",
    "ExportValidationError",
    "ExportWriteError",
    "Exporter",
    "Ip6tablesExporter",
    "IptablesExporter",
    "JsonExporter",
    "NftablesExporter",
    "RenderedExport",
    "Rule",
    "RuleSet",
    "TextExporter",
    "Validation",
    "Verdict",
    "WriteResult",
    "backup_path",
    "compile_plan",
    "make_exporter",
    "register_exporter",
    "render_plan",
    "rollback_path",
    "write_plan",
    "write_validated",
]
