"""`rempart crisis`: the crisis log (main courante): add, list, verify, situation report."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Annotated

import typer

from rempart.cli.board import AsOpt, say_system
from rempart.cli.common import LangOpt, WorkspaceOpt, check_format, console, lang_of
from rempart.core.actors import SYSTEM_ACTOR
from rempart.core.i18n import render_reason, t


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
        actor: AsOpt = SYSTEM_ACTOR,
        lang: LangOpt = "fr",
    ) -> None:
        """Ajoute une entrée à la main courante."""
        say_system(actor, lang)
        e = _uc().add(workspace, text, kind=kind, links=link or [], corrects=corrects, actor=actor)
        kind_label = t(f"recover.crisis.kind.{e.kind}", lang_of(lang))
        console.print(
            t("recover.crisis.added", lang_of(lang), seq=e.seq, kind=kind_label, hash=e.hash)
        )

    @crisis_app.command("list")
    def list_cmd(
        workspace: WorkspaceOpt = None,
        as_json: Annotated[bool, typer.Option("--json", help="JSON lines (exportable).")] = False,
        lang: LangOpt = "fr",
    ) -> None:
        """Liste les entrées, dans l'ordre."""
        import json

        from rempart.core.safe import visible

        lg = lang_of(lang)
        for e in _uc().list_entries(workspace):
            if as_json:
                print(json.dumps(e.to_dict(), ensure_ascii=False))
                continue
            extra = f" ({t('recover.sitrep.corrects', lg, seq=e.corrects)})" if e.corrects else ""
            links = f" [{', '.join(e.links)}]" if e.links else ""
            kind = t(f"recover.crisis.kind.{e.kind}", lg)
            console.print(
                visible(
                    f"#{e.seq} {e.time:%Y-%m-%d %H:%M:%S} {e.author} ({e.role or '-'}) "
                    f"{kind}{extra}{' :' if lg == 'fr' else ':'} {e.text}{links}"
                ),
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
        report = _uc().verify(workspace, anchor)
        bad = [s for s in _uc().signatures(workspace) if not s.valid]
        if report.ok and not bad:
            console.print(t("recover.crisis.ok", lg, count=report.count, head=report.head))
            return
        if report.ok:
            console.print(
                t("recover.crisis.broken", lg, seq=bad[0].by, reason="invalid Ed25519 signature")
            )
            raise typer.Exit(1)
        reason = render_reason(report.reason, lg)
        console.print(t("recover.crisis.broken", lg, seq=report.broken_at, reason=reason))
        raise typer.Exit(1)

    @crisis_app.command("keygen")
    def keygen_cmd(
        out: Annotated[Path, typer.Option("--out", help="Private key file (PEM), kept safe.")],
    ) -> None:
        """Crée une clé Ed25519 pour signer ses entrées ; affiche la clé publique."""
        print(_uc().keygen(out))

    @crisis_app.command("sign")
    def sign_cmd(
        seq: Annotated[int, typer.Argument(help="Number of the entry to sign.")],
        key: Annotated[Path, typer.Option("--key", help="The author's private key (PEM).")],
        workspace: WorkspaceOpt = None,
        actor: AsOpt = SYSTEM_ACTOR,
        lang: LangOpt = "fr",
    ) -> None:
        """Signe une entrée (Ed25519) : la signature est une nouvelle entrée chaînée."""
        say_system(actor, lang)
        e = _uc().sign(workspace, seq, key, actor=actor)
        kind_label = t(f"recover.crisis.kind.{e.kind}", lang_of(lang))
        console.print(
            t("recover.crisis.added", lang_of(lang), seq=e.seq, kind=kind_label, hash=e.hash)
        )

    @crisis_app.command("head")
    def head_cmd(workspace: WorkspaceOpt = None) -> None:
        """Affiche l'empreinte de tête (à conserver hors de Rempart)."""
        print(_uc().head(workspace))

    @crisis_app.command("report")
    def report_cmd(
        out: Annotated[Path, typer.Option("--out", help="Output file.")],
        fmt: Annotated[str, typer.Option("--format", help="html or pdf.")] = "html",
        next_meeting: Annotated[str, typer.Option("--next", help="Next meeting.")] = "",
        workspace: WorkspaceOpt = None,
        actor: AsOpt = SYSTEM_ACTOR,
        lang: LangOpt = "fr",
    ) -> None:
        """Point de situation (HTML ou PDF), avec l'empreinte de tête de la main courante."""
        check_format(fmt, ("html", "pdf"))
        lg = lang_of(lang)
        say_system(actor, lang)
        rep = _uc().situation_report(workspace, next_meeting=next_meeting, actor=actor, lang=lg)
        out.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "pdf":
            out.write_bytes(rep.pdf())
        else:
            out.write_text(rep.html, "utf-8")
        console.print(t("recover.crisis.written", lg, path=out, head=rep.situation.head_hash))


def _uc() -> ModuleType:
    """The use case, imported when a command runs (the case store is heavy at start-up)."""
    from rempart.app import crisis

    return crisis
