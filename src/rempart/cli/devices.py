"""`rempart devices`: medical devices' connections, and those that may not be needed."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from rempart.cli.common import LangOpt, WorkspaceOpt, check_format, console, escape, lang_of
from rempart.core.i18n import t
from rempart.core.safe import visible, write_csv


def register(app: typer.Typer) -> None:
    @app.command("devices")
    def devices_cmd(
        workspace: WorkspaceOpt = None,
        lang: LangOpt = "fr",
        fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
        all_rows: Annotated[
            bool, typer.Option("--all", help="Also the expected connections.")
        ] = False,
    ) -> None:
        """Connexions des dispositifs médicaux, et celles qui ne sont peut-être pas utiles."""
        from rich.table import Table

        from rempart.app.devices import devices

        lg = lang_of(lang)
        check_format(fmt, ("table", "csv", "json"))
        found = devices(workspace, all_rows=all_rows)
        rows = list(found.rows)
        if fmt == "json":
            print(json.dumps(rows, ensure_ascii=False, default=str))
            return
        if fmt == "csv":
            write_csv(rows, list(found.columns), sys.stdout)
            return
        out = Table(title=t("devices_title", lg))
        for c in found.columns:
            out.add_column(t(f"devices_col_{c}", lg))
        for r in rows:
            out.add_row(*(escape("" if v is None else visible(v)) for v in r.values()))
        console.print(out)
        console.print(t("devices_count", lg, n=len(rows)))
