"""`rempart init`: write a commented example workspace to start from."""

from __future__ import annotations

from typing import Annotated

import typer

from rempart.cli.common import LangOpt, WorkspaceOpt, console, lang_of
from rempart.core.i18n import t


def register(app: typer.Typer) -> None:
    @app.command("init")
    def init_cmd(
        workspace: WorkspaceOpt = None,
        force: Annotated[bool, typer.Option(help="Overwrite an existing hospital.yaml.")] = False,
        lang: LangOpt = "fr",
    ) -> None:
        """Crée un espace de travail avec un hospital.yaml commenté et un inventaire d'exemple."""
        from rempart.app.init import init

        lg = lang_of(lang)
        result = init(workspace, force=force)
        for target, written in result.files:
            if written:
                console.print(t("init.written", lg, path=target), markup=False)
            else:
                console.print(t("init.exists", lg, path=target), markup=False)
        hospital = result.hospital
        console.print(
            t(
                "init.ready",
                lg,
                path=result.root,
                zones=len(hospital.zones),
                assets=len(hospital.assets),
                services=len(hospital.services),
            ),
            markup=False,
        )
