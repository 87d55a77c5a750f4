"""`rempart init`: write a commented example workspace to start from."""

from __future__ import annotations

from importlib import resources
from typing import Annotated

import typer

from rempart.cli.common import WorkspaceOpt, console
from rempart.model import load_hospital
from rempart.store import Store, Workspace


def register(app: typer.Typer) -> None:
    @app.command("init")
    def init_cmd(
        workspace: WorkspaceOpt = None,
        force: Annotated[bool, typer.Option(help="Overwrite an existing hospital.yaml.")] = False,
    ) -> None:
        """Crée un espace de travail avec un hospital.yaml commenté et un inventaire d'exemple."""
        ws = Workspace.at(workspace)
        files = resources.files("rempart.model") / "examples"
        for name in ("hospital.yaml", "inventory.csv"):
            target = ws.root / name
            if target.exists() and not force:
                console.print(f"{target} existe déjà (--force pour remplacer)")
                continue
            target.write_text((files / name).read_text(encoding="utf-8"), encoding="utf-8")
            console.print(f"écrit : {target}")
        hospital = load_hospital(ws.hospital_path)
        Store(ws.db_path).close()
        console.print(
            f"Espace de travail prêt : {ws.root} ({len(hospital.zones)} zones, "
            f"{len(hospital.assets)} équipements, {len(hospital.services)} services de soins)"
        )
