"""`rempart declare`: prepare a declaration (CERT Santé, CNIL, NIS 2, ANSSI, complaint), or
list what is due (`--due`)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Annotated

import typer

from rempart.cli.board import AsOpt, say_system
from rempart.cli.common import LangOpt, WorkspaceOpt, check_format, console, lang_of
from rempart.core.actors import SYSTEM_ACTOR
from rempart.core.clock import SYSTEM_CLOCK
from rempart.core.i18n import t


def register(app: typer.Typer) -> None:
    @app.command("declare")
    def declare_cmd(
        kind: Annotated[
            str | None, typer.Argument(help="cert-sante, cnil, nis2, anssi or plainte.")
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
        draft: Annotated[bool, typer.Option("--draft", help="Do not record it as issued.")] = False,
        workspace: WorkspaceOpt = None,
        actor: AsOpt = SYSTEM_ACTOR,
        lang: LangOpt = "fr",
    ) -> None:
        """Prépare une déclaration pré-remplie (JSON, HTML ou PDF), ou affiche les échéances."""
        lg = lang_of(lang)
        if show_due:
            case_id, items = _uc().due(workspace, incident or None, lang=lg)
            now = SYSTEM_CLOCK.now()
            console.print(f"{t('recover.declare.due', lg)} — {case_id}")
            for d in items:
                when = d.due.strftime("%Y-%m-%d %H:%M UTC") if d.due else "—"
                console.print(f"{d.kind:11} {d.version:15} {when:22} {d.status(now):8} {d.label}")
            return
        if kind is None or incident is None:
            raise typer.BadParameter("give KIND and INCIDENT, or --due")
        check_format(fmt, ("json", "html", "pdf"))
        if not draft:
            say_system(actor, lang)
        r = _uc().declare(
            workspace, kind, incident, fmt=fmt, version=version, lang=lg,
            answers=_uc().load_answers(answers), actor=actor, record=not draft,
        )  # fmt: skip
        if out is None:
            if fmt == "pdf":
                raise typer.BadParameter("--out is needed for a PDF")
            print(r.data.decode("utf-8"), end="")
            return
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(r.data)
        console.print(
            t("recover.declare.written", lg, kind=kind, version=r.declaration.version, path=out)
        )


def _uc() -> ModuleType:
    """The use case, imported when a command runs (the case store is heavy at start-up)."""
    from rempart.app import declare

    return declare
