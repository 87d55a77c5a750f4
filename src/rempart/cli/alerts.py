"""`rempart alerts`: list the `finding` table as a table, JSON, JSON lines or CSV.

JSON lines carry one object per alert with at least: detector, version, severity, entity,
first_seen, last_seen (ISO 8601), reason, evidence_count. Log-derived text (reasons quote
addresses and names from the logs) is escaped by Rich in the table and by the JSON/CSV
writers elsewhere; nothing is interpreted.
"""

from __future__ import annotations

import io
import json
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from rempart.cli.common import LangOpt, WorkspaceOpt, console, escape, lang_of, warn_if_empty
from rempart.core.i18n import t
from rempart.core.safe import visible, write_csv

if TYPE_CHECKING:
    pass


DEFAULT_ROWS = 50


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"


def _csv(rows: list[dict[str, Any]]) -> str:

    buf = io.StringIO()
    fields = list(rows[0]) if rows else ["detector", "version", "severity", "entity"]
    flat = [
        {
            k: json.dumps(v, ensure_ascii=False, sort_keys=True) if isinstance(v, dict) else v
            for k, v in r.items()
        }
        for r in rows
    ]
    write_csv(flat, fields, buf)  # every cell visible, no formula (`rempart.core.safe`)
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
        wide: Annotated[bool, typer.Option("--wide", help=t("alerts.opt.wide"))] = False,
        show_all: Annotated[bool, typer.Option("--all", help=t("alerts.opt.all"))] = False,
    ) -> None:
        """Liste les alertes du magasin (table, json, jsonl, csv)."""
        from rich.table import Table

        from rempart.app.alerts import alerts

        lg = lang_of(lang)
        warn_if_empty(workspace, lg)
        rows = [a.as_dict() for a in alerts(workspace, detector=detector, lang=lg)]
        if fmt is Format.JSONL:
            for r in rows:
                sys.stdout.write(json.dumps(r, ensure_ascii=False) + "\n")
        elif fmt is Format.JSON:
            sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        elif fmt is Format.CSV:
            sys.stdout.write(_csv(rows))
        else:
            shown = rows if show_all else rows[:DEFAULT_ROWS]
            table = Table(title=f"{t('alerts_title', lg)} ({len(rows)})")
            if wide:
                cols = ("severity", "detector", "entity", "first_seen", "evidence", "reason")
                for col in cols:
                    table.add_column(t(col, lg), overflow="fold")
            else:
                # one line per alert within 80 columns: the title stands for the reason
                table.add_column(t("severity", lg), no_wrap=True, min_width=6)
                table.add_column(t("entity", lg), no_wrap=True, min_width=15, max_width=15)
                table.add_column(t("first_seen", lg), no_wrap=True, min_width=16)
                room = max(20, console.width - (6 + 15 + 16) - 13)  # what the borders leave
                table.add_column(
                    t("alerts.title_col", lg), no_wrap=True, overflow="ellipsis", max_width=room
                )
            for r in shown:
                if wide:
                    table.add_row(
                        r["severity"],
                        r["detector"],
                        escape(visible(r["entity"])),
                        r["first_seen"][:19],
                        str(r["evidence_count"]),
                        escape(visible(r["reason"])),
                    )
                else:
                    table.add_row(
                        r["severity"],
                        escape(visible(r["entity"])),
                        r["first_seen"][:16].replace("T", " "),
                        escape(visible(f"{r['detector']}: {r['title']}")),
                    )
            console.print(table)
            if len(shown) < len(rows):
                console.print(t("alerts.more", lg, n=len(rows) - len(shown)))
