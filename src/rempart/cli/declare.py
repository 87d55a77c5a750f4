"""`rempart declare`: prepare a declaration (CERT Santé, CNIL, NIS 2, ANSSI, complaint), or
list what is due (`--due`)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated

import typer

from rempart.cli.board import AsOpt, say_system
from rempart.cli.common import LangOpt, WorkspaceOpt, check_format, console, lang_of
from rempart.core.actors import SYSTEM_ACTOR
from rempart.core.i18n import Lang, t

if TYPE_CHECKING:
    from rempart.app.declare import DueItem


def register(app: typer.Typer) -> None:
    @app.command("declare")
    def declare_cmd(
        kind: Annotated[
            str | None,
            typer.Argument(
                help="cert-sante, cnil, nis2, anssi or plainte; due: what is due; "
                "aware: the breach of personal data became known."
            ),
        ] = None,
        incident: Annotated[str | None, typer.Argument(help="Incident id (INC-…).")] = None,
        fmt: Annotated[str, typer.Option("--format", help="json, html or pdf.")] = "json",
        out: Annotated[Path | None, typer.Option("--out", help="Output file.")] = None,
        version: Annotated[
            str | None,
            typer.Option("--version", help="initial, complementaire or final (default: next)."),
        ] = None,
        answers: Annotated[
            Path | None, typer.Option("--answers", help="JSON of answers merged in.")
        ] = None,
        show_due: Annotated[bool, typer.Option("--due", help="What is due, and when.")] = False,
        at: Annotated[
            str | None,
            typer.Option("--at", help="With `aware`: when (ISO 8601, UTC; default: now)."),
        ] = None,
        draft: Annotated[bool, typer.Option("--draft", help="Do not record it as issued.")] = False,
        workspace: WorkspaceOpt = None,
        actor: AsOpt = SYSTEM_ACTOR,
        lang: LangOpt = "fr",
    ) -> None:
        """Prépare une déclaration pré-remplie (JSON, HTML ou PDF), ou affiche les échéances."""
        lg = lang_of(lang)
        if kind == "due":  # `rempart declare due [INCIDENT]`, the same as --due
            kind, show_due = None, True
        if show_due:
            _show_due(_uc().declarations_due(workspace, incident=incident, fixed_only=False,
                                             lang=lg), lg)  # fmt: skip
            return
        if kind is None or incident is None:
            raise typer.BadParameter(t("recover.declare.usage", lg))
        if kind == "aware":  # `rempart declare aware INCIDENT [--at TIME]`
            _aware(workspace, incident, at, actor, lg)
            return
        check_format(fmt, ("json", "html", "pdf"))
        if not draft:
            say_system(actor, lang)
        r = _uc().declare(
            workspace, kind, incident, fmt=fmt, version=version, lang=lg,
            answers=_uc().load_answers(answers), actor=actor, record=not draft,
        )  # fmt: skip
        if out is None:
            if fmt == "pdf":
                raise typer.BadParameter(t("recover.declare.pdf_out", lg))
            print(r.data.decode("utf-8"), end="")
            return
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(r.data)
        label = _uc().VERSION_LABELS[r.declaration.version][lg]
        console.print(t("recover.declare.written", lg, kind=kind, version=label, path=out))


def _aware(workspace: Path | None, incident: str, at: str | None, actor: str, lang: Lang) -> None:
    """Record the awareness of a personal-data breach (the CNIL's clock starts there)."""
    from datetime import UTC, datetime

    when = None
    if at:
        try:
            when = datetime.fromisoformat(at.replace("Z", "+00:00"))
        except ValueError:
            raise typer.BadParameter(t("recover.declare.bad_time", lang, value=at)) from None
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
    say_system(actor, lang)
    done = _uc().record_awareness(workspace, incident, when, actor=actor)
    console.print(t("recover.declare.aware", lang, incident=incident,
                    at=done.strftime("%Y-%m-%d %H:%M UTC")))  # fmt: skip


_STYLE = {"overdue": "bold red", "due": "yellow", "waiting": "dim", "open": "dim"}


def _show_due(items: list[DueItem], lang: Lang) -> None:
    """One line per declaration owed: which, by when, how late, from which event."""
    from rich.markup import escape
    from rich.table import Table

    from rempart.core.safe import visible

    if not items:
        console.print(t("recover.declare.none_due", lang))
        return
    incidents = list(dict.fromkeys(d.incident for d in items))
    title = t("recover.declare.due", lang)
    if len(incidents) == 1:
        title += f" — {visible(incidents[0])}"
    table = Table(title=escape(title))
    keys: tuple[str, ...] = ("declaration", "version", "due", "status", "rule")
    if len(incidents) > 1:
        keys = ("incident", *keys)
    for key in keys:
        table.add_column(t(f"recover.declare.col.{key}", lang))
    for d in items:
        due = d.due.strftime("%Y-%m-%d %H:%M") if d.due else "—"
        status = t(f"recover.declare.status.{d.status}", lang)
        if d.when and d.status != "overdue":
            status += f", {d.when}"
        elif d.when:
            status = d.when
        style = _STYLE.get(d.status, "")
        event = t(f"recover.declare.event.{d.start_event}", lang)
        start = f" {d.start:%Y-%m-%d %H:%M}" if d.start else ""
        row = [
            d.kind, d.version_label, due,
            f"[{style}]{escape(status)}[/]" if style else escape(status),
            escape(f"{d.rule} ({event}{start})"),
        ]  # fmt: skip
        if len(incidents) > 1:
            row.insert(0, escape(visible(d.incident)))
        table.add_row(*row)
    console.print(table)


def _uc() -> ModuleType:
    """The use case, imported when a command runs (the case store is heavy at start-up)."""
    from rempart.app import declare

    return declare
