"""`rempart alerts`: list the `finding` table as a table, JSON, JSON lines or CSV.

JSON lines carry one object per alert with at least: detector, version, severity, entity,
first_seen, last_seen (ISO 8601), reason, evidence_count. Log-derived text (reasons quote
addresses and names from the logs) is escaped by Rich in the table and by the JSON/CSV
writers elsewhere; nothing is interpreted.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from rempart.app.alerts import alerts
from rempart.cli.common import LangOpt, WorkspaceOpt, console, lang_of
from rempart.core.i18n import t


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"


def _csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    fields = list(rows[0]) if rows else ["detector", "version", "severity", "entity"]
    writer = csv.DictWriter(buf, fieldnames=fields)
    writer.writeheader()
    for r in rows:
        flat = {
            k: ";".join(map(str, v))
            if isinstance(v, list)
            else json.dumps(v, ensure_ascii=False, sort_keys=True)
            if isinstance(v, dict)
            else v
            for k, v in r.items()
        }
        # a cell starting with = + - @ would be a formula in a spreadsheet: neutralise it
        writer.writerow(
            {k: f"'{v}" if isinstance(v, str) and v[:1] in "=+-@" else v for k, v in flat.items()}
        )
    return buf.getvalue()


def register(app: typer.Typer) -> None:
    @app.command("alerts")
    def alerts_cmd(
        workspace: WorkspaceOpt = None,
        lang: LangOpt = "fr",
        fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = (
            Format.TABLE
        ),
        detector: Annotated[
            str | None, typer.Option("--detector", help="Only this detector's alerts.")
        ] = None,
    ) -> None:
        """Liste les alertes du magasin (table, json, jsonl, csv)."""
        lg = lang_of(lang)
        rows = [a.as_dict() for a in alerts(workspace, detector=detector, lang=lg)]
        if fmt is Format.JSONL:
            for r in rows:
                sys.stdout.write(json.dumps(r, ensure_ascii=False) + "\n")
        elif fmt is Format.JSON:
            sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        elif fmt is Format.CSV:
            sys.stdout.write(_csv(rows))
        else:
            table = Table(title=f"{t('alerts_title', lg)} ({len(rows)})")
            for col in ("severity", "detector", "entity", "first_seen", "evidence", "reason"):
                table.add_column(t(col, lg), overflow="fold")
            for r in rows:
                table.add_row(
                    r["severity"],
                    r["detector"],
                    escape(r["entity"]),
                    r["first_seen"][:19],
                    str(r["evidence_count"]),
                    escape(r["reason"]),
                )
            console.print(table)
