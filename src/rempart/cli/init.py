"""`rempart init`: write a commented example workspace to start from."""

from __future__ import annotations

from typing import Annotated

import typer

from rempart.cli.common import WorkspaceOpt, console


def register(app: typer.Typer) -> None:
    @app.command("init")
    def init_cmd(
        workspace: WorkspaceOpt = None,
        force: Annotated[bool, typer.Option(help="Overwrite an existing hospital.yaml.")] = False,
    ) -> None:
        """Crée un espace de travail avec un hospital.yaml commenté et un inventaire d'exemple."""
        from rempart.app.init import init

        result = init(workspace, force=force)
        for target, written in result.files:
            if written:
                console.print(f"écrit : {target}")
            else:
                console.print(f"{target} existe déjà (--force pour remplacer)")
        hospital = result.hospital
        console.print(
            f"Espace de travail prêt : {result.root} ({len(hospital.zones)} zones, "
            f"{len(hospital.assets)} équipements, {len(hospital.services)} services de soins)"
        )
