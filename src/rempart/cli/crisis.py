"""`rempart crisis`: the crisis log (main courante): add, list, verify, situation report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rempart.app import crisis as uc
from rempart.cli.board import AsOpt, say_system
from rempart.cli.common import LangOpt, WorkspaceOpt, check_format, console, lang_of
from rempart.core.i18n import t


def register(app: typer.Typer) -> None:
    crisis_app = typer.Typer(
        help="Main courante : entrées horodatées, chaînées par SHA-256, jamais modifiées.",
        no_args_is_help=True,
    )
    app.add_typer(crisis_app, name="crisis")

    @crisis_app.command("add")
    def add_cmd(
        text: Annotated[str, typer.Argument(help="The entry's text.")],
        kind: Annotated[
            str,
            typer.Option("--kind", help="décision, action, information, point, demande."),
        ] = "information",
        link: Annotated[
            list[str] | None,
            typer.Option("--link", help="A linked object (incident:INC-…, host:…, crisis:N)."),
        ] = None,
        corrects: Annotated[
            int | None, typer.Option("--corrects", help="Number of the entry this corrects.")
        ] = None,
        workspace: WorkspaceOpt = None,
        actor: AsOpt = uc.SYSTEM_ACTOR,
        lang: LangOpt = "fr",
    ) -> None:
        """Ajoute une entrée à la main courante."""
        say_system(actor, lang)
        e = uc.add(workspace, text, kind=kind, links=link or [], corrects=corrects, actor=actor)
        console.print(t("recover.crisis.added", lang_of(lang), seq=e.seq, kind=e.kind, hash=e.hash))

    @crisis_app.command("list")
    def list_cmd(
        workspace: WorkspaceOpt = None,
        as_json: Annotated[bool, typer.Option("--json", help="JSON lines (exportable).")] = False,
    ) -> None:
        """Liste les entrées, dans l'ordre."""
        import json

        for e in uc.list_entries(workspace):
            if as_json:
                print(json.dumps(e.to_dict(), ensure_ascii=False))
                continue
            extra = f" → #{e.corrects}" if e.corrects else ""
            links = f" [{', '.join(e.links)}]" if e.links else ""
            console.print(
                f"#{e.seq} {e.time:%Y-%m-%d %H:%M:%S} {e.author} ({e.role or '-'}) "
                f"{e.kind}{extra}: {e.text}{links}",
                markup=False,
            )

    @crisis_app.command("verify")
    def verify_cmd(
        anchor: Annotated[
            str | None, typer.Option("--anchor", help="A head hash printed earlier.")
        ] = None,
        workspace: WorkspaceOpt = None,
        lang: LangOpt = "fr",
    ) -> None:
        """Vérifie la chaîne ; signale le premier maillon rompu (code 1)."""
        lg = lang_of(lang)
        report = uc.verify(workspace, anchor)
        if report.ok:
            console.print(t("recover.crisis.ok", lg, count=report.count, head=report.head))
            return
        console.print(t("recover.crisis.broken", lg, seq=report.broken_at, reason=report.reason))
        raise typer.Exit(1)

    @crisis_app.command("head")
    def head_cmd(workspace: WorkspaceOpt = None) -> None:
        """Affiche l'empreinte de tête (à conserver hors de Rempart)."""
        print(uc.head(workspace))

    @crisis_app.command("report")
    def report_cmd(
        out: Annotated[Path, typer.Option("--out", help="Output file.")],
        fmt: Annotated[str, typer.Option("--format", help="html or pdf.")] = "html",
        next_meeting: Annotated[str, typer.Option("--next", help="Next meeting.")] = "",
        workspace: WorkspaceOpt = None,
        actor: AsOpt = uc.SYSTEM_ACTOR,
        lang: LangOpt = "fr",
    ) -> None:
        """Point de situation (HTML ou PDF), avec l'empreinte de tête de la main courante."""
        check_format(fmt, ("html", "pdf"))
        lg = lang_of(lang)
        say_system(actor, lang)
        rep = uc.situation_report(workspace, next_meeting=next_meeting, actor=actor, lang=lg)
        out.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "pdf":
            out.write_bytes(rep.pdf())
        else:
            out.write_text(rep.html, "utf-8")
        console.print(t("recover.crisis.written", lg, path=out, head=rep.situation.head_hash))
