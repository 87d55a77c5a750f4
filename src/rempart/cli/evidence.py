"""`rempart evidence`: export an incident's evidence pack, verify a pack, record a hand-over."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rempart.app import evidence as uc
from rempart.cli.board import AsOpt, say_system
from rempart.cli.common import LangOpt, WorkspaceOpt, console, lang_of
from rempart.core.i18n import t


def register(app: typer.Typer) -> None:
    ev = typer.Typer(
        help="Paquet de preuves : fichiers, constats, décisions, garde.", no_args_is_help=True
    )
    app.add_typer(ev, name="evidence")

    @ev.command("export")
    def export_cmd(
        incident: Annotated[str, typer.Argument(help="Incident id (INC-…).")],
        out: Annotated[Path, typer.Option("--out", help="A new folder, or FILE.zip.")],
        recipient: Annotated[str, typer.Option("--for", help="Who it is for.")] = "",
        workspace: WorkspaceOpt = None,
        actor: AsOpt = uc.SYSTEM_ACTOR,
        lang: LangOpt = "fr",
    ) -> None:
        """Exporte le paquet de preuves d'un incident (dossier ou .zip)."""
        say_system(actor, lang)
        r = uc.export(workspace, incident, out, actor=actor, recipient=recipient)
        console.print(
            t("recover.evidence.written", lang_of(lang), path=out, files=r.files,
              digest=r.manifest_sha256)
        )  # fmt: skip

    @ev.command("verify")
    def verify_cmd(
        pack: Annotated[Path, typer.Argument(help="The pack (folder or .zip).")],
        lang: LangOpt = "fr",
    ) -> None:
        """Vérifie un paquet : tout fichier modifié, manquant ou ajouté le fait échouer."""
        problems = uc.verify(pack)
        lg = lang_of(lang)
        if problems:
            console.print(t("recover.evidence.bad", lg, problems="; ".join(problems)), markup=False)
            raise typer.Exit(1)
        console.print(t("recover.evidence.ok", lg, files=uc.count_files(pack)))

    @ev.command("handover")
    def handover_cmd(
        pack: Annotated[Path, typer.Argument(help="The pack (folder or .zip).")],
        to: Annotated[str, typer.Option("--to", help="Who receives it.")],
        note: Annotated[str, typer.Option("--note")] = "",
        actor: AsOpt = uc.SYSTEM_ACTOR,
        lang: LangOpt = "fr",
    ) -> None:
        """Ajoute une remise à la chaîne de garde du paquet."""
        say_system(actor, lang)
        uc.handover(pack, to=to, actor=actor, note=note)
        for e in uc.custody(pack):
            console.print(f"{e['seq']}. {e['at']} {e['action']} {e.get('by', '')} → "
                          f"{e.get('to', e.get('for', ''))}", markup=False)  # fmt: skip
