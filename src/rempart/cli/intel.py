"""`rempart intel`: import indicators, hunt them, list, expire and export them."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rempart.cli.common import LangOpt, WorkspaceOpt, check_format, check_paths, console, lang_of
from rempart.core.i18n import Lang, label, t

if TYPE_CHECKING:
    from rempart.app.intel import HuntReport

LIST_FORMATS = ("table", "jsonl", "csv")  # `rempart.app.intel.LIST_FORMATS`, kept light here

EXPORT_FORMATS = ("nftables", "ipset", "zeek", "stix")
_COLUMNS = ("value", "type", "port", "sources", "tlp", "confidence", "first_seen", "last_seen",
            "expiry", "allowlisted")  # fmt: skip


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _cell(value: object) -> object:
    return " ; ".join(map(str, value)) if isinstance(value, list) else _plain(value)


def _show_hunt(h: HuntReport, lang: Lang) -> None:
    console.print(t("intel.hunt_done", lang, n=h.findings, entities=len(h.entities)))
    for table, n in sorted(h.by_table.items()):
        console.print(f"  {table}: {n}")
    if h.incident_id:
        key = "intel.incident_new" if h.incident_new else "intel.incident_attached"
        console.print(t(key, lang, id=h.incident_id, path=h.incident_path or ""))


def register(app: typer.Typer) -> None:
    intel = typer.Typer(
        name="intel",
        help="Renseignement : importer des indicateurs (STIX, MISP, CSV, Maltrail, alerte "
        "par courriel), les chercher dans tout ce qui est stocké, les exporter.",
        no_args_is_help=True,
    )
    app.add_typer(intel, name="intel")

    @intel.command("import")
    def import_cmd(
        paths: Annotated[list[Path], typer.Argument(help="Files or folders of indicators.")],
        workspace: WorkspaceOpt = None,
        lang: LangOpt = "fr",
        no_hunt: Annotated[
            bool, typer.Option("--no-hunt", help="Import only; do not hunt.")
        ] = False,
    ) -> None:
        """Importe des indicateurs puis les cherche dans toutes les données stockées."""
        from rich.table import Table

        from rempart.app.intel import (
            import_intel,
        )
        from rempart.app.session import workspace_at

        lg = lang_of(lang)
        check_paths(paths, lg)
        ws = workspace_at(workspace)
        report = import_intel(ws, paths, run_hunt=not no_hunt)
        table = Table(title=t("intel.import_title", lg))
        for col in ("file", "format", "source", "indicators", "rejected"):
            table.add_column(t(col if col != "indicators" else "intel.indicators", lg))
        for f in report.files:
            table.add_row(
                f.path,
                f.format,
                f.source,
                str(f.indicators),
                str(len(f.rejects)),
                end_section=False,
            )
        console.print(table)
        reasons: dict[str, int] = {}
        for f in report.files:
            for key, n in f.reject_counts().items():
                reasons[key] = reasons.get(key, 0) + n
        for key, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
            console.print(f"  {label(t('reject_reasons', lg), lg)}{t(key, lg, detail='…')} × {n}")
        console.print(t("intel.merged", lg, new=report.new, merged=report.merged))
        if report.conflicts:
            console.print(t("intel.conflicts", lg, n=len(report.conflicts)))
            for value, kind, why in report.conflicts[:50]:
                console.print(f"  {value} ({kind}) ← {why}", markup=False)
        if report.hunt is not None:
            _show_hunt(report.hunt, lg)

    @intel.command("hunt")
    def hunt_cmd(workspace: WorkspaceOpt = None, lang: LangOpt = "fr") -> None:
        """Cherche tous les indicateurs dans toutes les données stockées."""
        from rempart.app.intel import (
            hunt_intel,
        )
        from rempart.app.session import workspace_at

        _show_hunt(hunt_intel(workspace_at(workspace)), lang_of(lang))

    @intel.command("list")
    def list_cmd(
        workspace: WorkspaceOpt = None,
        lang: LangOpt = "fr",
        fmt: Annotated[str, typer.Option("--format", help="table, jsonl or csv.")] = "table",
        kind: Annotated[
            list[str] | None, typer.Option("--type", help="Only these types (repeatable).")
        ] = None,
        limit: Annotated[int | None, typer.Option("--limit", help="At most N rows.")] = None,
    ) -> None:
        """Liste les indicateurs stockés (non expirés)."""
        from rich.table import Table

        from rempart.app.intel import (
            list_indicators,
        )
        from rempart.app.session import workspace_at

        lg = lang_of(lang)
        check_format(fmt, LIST_FORMATS)
        rows = list_indicators(workspace_at(workspace), types=tuple(kind or ()), limit=limit)
        if fmt == "jsonl":
            for r in rows:
                print(json.dumps({c: _plain(r.get(c)) for c in _COLUMNS}, ensure_ascii=False))
            return
        if fmt == "csv":
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(_COLUMNS)
            for r in rows:
                writer.writerow([_cell(r.get(c)) for c in _COLUMNS])
            print(out.getvalue(), end="")
            return
        table = Table(title=t("intel.list_title", lg, n=len(rows)))
        for c in ("value", "type", "sources", "tlp", "allowlisted"):
            table.add_column(c)
        for r in rows:
            src = r.get("sources")
            table.add_row(
                str(r["value"]) + (f":{r['port']}" if r.get("port") else ""),
                str(r["type"]),
                " ; ".join(map(str, src))[:80] if isinstance(src, list) else "",
                str(r.get("tlp") or ""),
                str(r.get("allowlisted") or ""),
            )
        console.print(table, markup=False)

    @intel.command("expire")
    def expire_cmd(workspace: WorkspaceOpt = None, lang: LangOpt = "fr") -> None:
        """Supprime les indicateurs dont la date d'expiration est passée."""
        from rempart.app.intel import (
            expire_intel,
        )
        from rempart.app.session import workspace_at

        n = expire_intel(workspace_at(workspace))
        console.print(t("intel.expired", lang_of(lang), n=n))

    @intel.command("export")
    def export_cmd(
        fmt: Annotated[str, typer.Option("--format", help="nftables, ipset, zeek or stix.")],
        out: Annotated[Path, typer.Option("--out", help="File to write (atomically).")],
        workspace: WorkspaceOpt = None,
        lang: LangOpt = "fr",
        tlp_max: Annotated[
            str, typer.Option("--tlp-max", help="STIX: share up to this TLP (never red).")
        ] = "amber",
    ) -> None:
        """Exporte : set nftables, ipset, fichier Intel Zeek, bundle STIX 2.1 des observations."""
        from rempart.app.intel import (
            export_intel,
        )
        from rempart.app.session import workspace_at

        lg = lang_of(lang)
        check_format(fmt, EXPORT_FORMATS)
        report = export_intel(workspace_at(workspace), fmt, out, tlp_max=tlp_max)
        console.print(
            t(
                "intel.exported",
                lg,
                n=report.written,
                format=fmt,
                path=str(report.path),
                withheld=report.withheld,
            )
        )
