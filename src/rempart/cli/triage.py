"""`rempart triage PATH...`: Sigma rules over Windows logs, hits then one verdict per host."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rempart.cli.common import (
    LangOpt,
    WorkspaceOpt,
    check_format,
    check_paths,
    console,
    err_console,
    escape,
    lang_of,
)
from rempart.core.i18n import Lang, t
from rempart.core.safe import CsvOut, visible

if TYPE_CHECKING:
    from rempart.app.triage import Hit, TriageResult


def _hit_values(h: Hit, lang: Lang) -> list[object]:
    """A hit's HIT_KEYS values, its rule's title in `lang` (the key stays `rule_title`)."""
    from rempart.app.triage import HIT_KEYS

    return [h.title_in(lang) if k == "rule_title" else getattr(h, k) for k in HIT_KEYS]


def _jsonl(res: TriageResult, lang: Lang) -> None:

    from rempart.app.triage import HIT_KEYS

    out = sys.stdout
    for h in res.hits:
        row = {"kind": "hit", **dict(zip(HIT_KEYS, _hit_values(h, lang), strict=True))}
        row["time"] = h.time.isoformat()
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
    for v in res.hosts:
        row2 = {
            "kind": "host",
            "host": v.host,
            "verdict": v.verdict,
            "reasons": list(v.reasons_in(lang)),
            "tactics": list(v.tactics),
            "files": list(v.files),
        }
        out.write(json.dumps(row2, ensure_ascii=False) + "\n")


def _csv(res: TriageResult, lang: Lang) -> None:

    from rempart.app.triage import HIT_KEYS

    w = CsvOut(sys.stdout)  # every cell visible, no formula (`rempart.core.safe`)
    w.writerow(["kind", *HIT_KEYS, "verdict", "reasons"])
    for h in res.hits:
        w.writerow(["hit", *_hit_values(h, lang), "", ""])
    for v in res.hosts:
        w.writerow(["host", ";".join(v.files), v.host, "", "", "", "", "", "", v.verdict,
                    " | ".join(v.reasons_in(lang))])  # fmt: skip


def _table(res: TriageResult, lang: Lang, wide: bool = False) -> None:

    from rich.table import Table

    console.print(t("triage_rules", lang, n=res.ruleset.converted, s=len(res.ruleset.skipped)))
    table = Table(title=t("triage_hits", lang))
    cols: tuple[str, ...] = (
        "file",
        "host",
        "rule_id",
        "rule_title",
        "level",
        "time",
        "record_id",
        "count",
    )
    if not wide:  # within 80 columns: the rule's title stands for its id, no record id
        cols = ("host", "rule_title", "level", "time", "count")
    for col in cols:
        table.add_column(t(f"triage_col_{col}", lang), overflow="fold")
    for h in res.hits:
        cells = {
            "file": escape(Path(h.file).name),
            "host": escape(visible(h.host)),
            "rule_id": h.rule_id,
            "rule_title": escape(visible(h.title_in(lang))),
            "level": h.level,
            "time": h.time.isoformat(timespec="seconds")
            if wide
            else h.time.strftime("%Y-%m-%d %H:%M"),
            "record_id": "" if h.record_id is None else str(h.record_id),
            "count": str(h.count),
        }
        table.add_row(*(cells[c] for c in cols))
    console.print(table)
    hosts = Table(title=t("triage_hosts", lang))
    for col in ("host", "verdict", "reasons", "files"):
        hosts.add_column(t(f"triage_col_{col}", lang))
    for v in res.hosts:
        hosts.add_row(
            escape(visible(v.host)),
            t(f"host_{v.verdict}", lang),
            escape(visible("\n".join(v.reasons_in(lang)), newlines=True)),
            str(len(v.files)),
        )
    console.print(hosts)


def register(app: typer.Typer) -> None:

    @app.command("triage")
    def triage_cmd(
        paths: Annotated[list[Path], typer.Argument(help="EVTX / JSON files or folders.")],
        rules: Annotated[
            list[Path] | None, typer.Option("--rules", help="Sigma rule folder (SigmaHQ layout).")
        ] = None,
        min_level: Annotated[
            str,
            typer.Option(
                "--min-level",
                help="Niveau minimal des règles : informational, low, medium, high, critical.",
            ),
        ] = "medium",
        fmt: Annotated[str, typer.Option("--format", help="table, jsonl or csv")] = "table",
        suppress: Annotated[
            Path | None, typer.Option("--suppress", help="rule_id or host:rule_id per line")
        ] = None,
        hosts_from_folders: Annotated[
            bool, typer.Option("--collection", help="One sub-folder per host.")
        ] = False,
        no_cache: Annotated[
            bool, typer.Option("--no-cache", help="Convert the rules again (no rule cache).")
        ] = False,
        workspace: WorkspaceOpt = None,
        lang: LangOpt = "fr",
        wide: Annotated[
            bool, typer.Option("--wide", help="Toutes les colonnes (sinon 80 colonnes).")
        ] = False,
    ) -> None:
        """Juge chaque machine d'après ses journaux Windows avec les règles Sigma."""
        from rempart.app.triage import triage_workspace

        lg = lang_of(lang)
        check_format(fmt, ("table", "jsonl", "csv"))
        check_paths(paths, lg)
        from rich.progress import BarColumn, Progress, TextColumn

        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            console=err_console,
            transient=True,
        ) as bar:
            tasks: dict[str, object] = {}

            def progress(stage: str, i: int, n: int) -> None:

                if stage not in tasks:
                    tasks[stage] = bar.add_task(f"{t('triage_loading', lg)} {stage}", total=n)
                bar.update(tasks[stage], completed=i, total=n)  # type: ignore[arg-type]

            res = triage_workspace(
                workspace,
                paths,
                rules or None,
                min_level,
                suppress=suppress,
                hosts_from_folders=hosts_from_folders,
                use_cache=not no_cache,
                progress=progress,
                lang=lg,
            )
        others = res.not_windows
        for f in others[:20]:
            what = f.event_class or t(f.status.value, lg)
            err_console.print(
                f"[yellow]{escape(t('triage.not_windows', lg, path=f.path, what=what))}[/]"
            )
        if len(others) > 20:
            err_console.print(t("triage.not_windows_more", lg, n=len(others) - 20))
        if others and len(others) == len(res.files):
            err_console.print(f"[red]{t('triage.none_windows', lg)}[/]")
            raise typer.Exit(1)
        if fmt == "jsonl":
            _jsonl(res, lg)
        elif fmt == "csv":
            _csv(res, lg)
        else:
            _table(res, lg, wide)
        from rempart.cli.board import say_feed

        say_feed(res.board, lg)
