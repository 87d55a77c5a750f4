"""`rempart users`: the local accounts of the web console."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from rempart.app import users as users_app
from rempart.cli.common import WorkspaceOpt, console

RoleOpt = Annotated[
    str, typer.Option("--role", help="administrateur, analyste, cellule, technicien, lecture")
]
StdinOpt = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.")
]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        text = sys.stdin.readline()
        return text.rstrip("\r\n")
    return str(typer.prompt("Mot de passe", hide_input=True, confirmation_prompt=True))


def register(app: typer.Typer) -> None:
    users = typer.Typer(help="Comptes locaux de la console web.", no_args_is_help=True)
    app.add_typer(users, name="users")

    @users.command("add")
    def add_cmd(
        name: str, role: RoleOpt, workspace: WorkspaceOpt = None, password_stdin: StdinOpt = False
    ) -> None:
        """Ajouter un compte (mot de passe haché en argon2)."""
        users_app.add_user(workspace, name, role, _password(password_stdin))
        console.print(f"compte {escape(name)} ({role}) ajouté")

    @users.command("list")
    def list_cmd(workspace: WorkspaceOpt = None) -> None:
        """Lister les comptes."""
        table = Table(title="Comptes")
        for c in ("compte", "rôle", "actif", "dernière connexion"):
            table.add_column(c)
        for u in users_app.list_users(workspace):
            last = u.last_login.strftime("%Y-%m-%d %H:%M") if u.last_login else "—"
            table.add_row(escape(u.name), u.role, "oui" if u.active else "non", last)
        console.print(table)

    @users.command("passwd")
    def passwd_cmd(
        name: str, workspace: WorkspaceOpt = None, password_stdin: StdinOpt = False
    ) -> None:
        """Changer le mot de passe d'un compte."""
        users_app.set_password(workspace, name, _password(password_stdin))
        console.print(f"mot de passe de {escape(name)} changé")

    @users.command("disable")
    def disable_cmd(name: str, workspace: WorkspaceOpt = None) -> None:
        """Désactiver un compte (il reste dans le journal d'audit)."""
        users_app.disable_user(workspace, name)
        console.print(f"compte {escape(name)} désactivé")

    @users.command("totp")
    def totp_cmd(
        name: str,
        workspace: WorkspaceOpt = None,
        off: Annotated[bool, typer.Option("--off", help="Remove the second factor.")] = False,
    ) -> None:
        """Activer (ou --off : retirer) le second facteur TOTP d'un compte."""
        if off:
            users_app.disable_totp(workspace, name)
            console.print(f"second facteur retiré pour {escape(name)}")
            return
        uri = users_app.enable_totp(workspace, name)
        console.print("à saisir dans l'application d'authentification (une seule fois) :")
        print(uri)
