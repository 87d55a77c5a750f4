"""`rempart serve`: the web console of a workspace."""

from __future__ import annotations

from typing import Annotated

import typer

from rempart.cli.common import WorkspaceOpt, console, err_console


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve_cmd(
        workspace: WorkspaceOpt = None,
        host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", help="Port.")] = 8000,
        threads: Annotated[int, typer.Option("--threads", help="Worker threads.")] = 8,
    ) -> None:
        """Console web (waitress) ; écoute sur 127.0.0.1 par défaut."""
        from rempart.store import Workspace
        from rempart.web.server import ServeConfig, serve

        root = Workspace.at(workspace).root
        console.print(f"Rempart : http://{host}:{port}/ (espace de travail {root})")
        serve(
            ServeConfig(root, host, port, threads),
            warn=lambda text: err_console.print(f"[bold yellow]attention:[/] {text}"),
        )
