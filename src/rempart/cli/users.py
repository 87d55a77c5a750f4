"""`rempart users`: the local accounts of the web console."""

from __future__ import annotations

import getpass
import sys
from types import ModuleType
from typing import Annotated

import typer

from rempart.cli.common import LangOpt, WorkspaceOpt, console, escape, lang_of
from rempart.core.i18n import t

RoleOpt = Annotated[
    str, typer.Option("--role", help="administrateur, analyste, cellule, technicien, lecture")
]
StdinOpt = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.")
]


def _actor() -> str:
    """Who runs the command, for the audit trail (origin "cli")."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _password(from_stdin: bool, lang: str = "fr") -> str:
    if from_stdin:
        text = sys.stdin.readline()
        return text.rstrip("\r\n")
    lg = lang_of(lang)
    return str(typer.prompt(t("users.password", lg), hide_input=True, confirmation_prompt=True))


def register(app: typer.Typer) -> None:
    users = typer.Typer(help="Comptes locaux de la console web.", no_args_is_help=True)
    app.add_typer(users, name="users")

    @users.command("add")
    def add_cmd(
        name: str,
        role: RoleOpt,
        workspace: WorkspaceOpt = None,
        password_stdin: StdinOpt = False,
        lang: LangOpt = "fr",
    ) -> None:
        """Ajouter un compte (mot de passe haché en argon2)."""
        pw = _password(password_stdin, lang)
        _users().add_user(workspace, name, role, pw, actor=_actor())
        console.print(escape(t("users.added", lang_of(lang), name=name, role=role)))

    @users.command("list")
    def list_cmd(workspace: WorkspaceOpt = None, lang: LangOpt = "fr") -> None:
        """Lister les comptes."""
        from rich.table import Table

        lg = lang_of(lang)
        table = Table(title=t("users.title", lg))
        for c in ("account", "role", "active", "last_login"):
            table.add_column(t(f"users.col.{c}", lg))
        yes, no = t("users.yes", lg), t("users.no", lg)
        for u in _users().list_users(workspace):
            last = u.last_login.strftime("%Y-%m-%d %H:%M") if u.last_login else "—"
            table.add_row(escape(u.name), u.role, yes if u.active else no, last)
        console.print(table)

    @users.command("passwd")
    def passwd_cmd(
        name: str,
        workspace: WorkspaceOpt = None,
        password_stdin: StdinOpt = False,
        lang: LangOpt = "fr",
    ) -> None:
        """Changer le mot de passe d'un compte."""
        pw = _password(password_stdin, lang)
        _users().set_password(workspace, name, pw, actor=_actor())
        console.print(escape(t("users.password_changed", lang_of(lang), name=name)))

    @users.command("role")
    def role_cmd(
        name: str, role: RoleOpt, workspace: WorkspaceOpt = None, lang: LangOpt = "fr"
    ) -> None:
        """Changer le rôle d'un compte."""
        _users().set_role(workspace, name, role, actor=_actor())
        console.print(escape(t("users.role_set", lang_of(lang), name=name, role=role)))

    @users.command("disable")
    def disable_cmd(name: str, workspace: WorkspaceOpt = None, lang: LangOpt = "fr") -> None:
        """Désactiver un compte (il reste dans le journal d'audit)."""
        _users().disable_user(workspace, name, actor=_actor())
        console.print(escape(t("users.disabled", lang_of(lang), name=name)))

    @users.command("totp")
    def totp_cmd(
        name: str,
        workspace: WorkspaceOpt = None,
        off: Annotated[bool, typer.Option("--off", help="Remove the second factor.")] = False,
        lang: LangOpt = "fr",
    ) -> None:
        """Activer (ou --off : retirer) le second facteur TOTP d'un compte."""
        lg = lang_of(lang)
        if off:
            _users().disable_totp(workspace, name, actor=_actor())
            console.print(escape(t("users.totp_off", lg, name=name)))
            return
        uri = _users().enable_totp(workspace, name, actor=_actor())
        console.print(escape(t("users.totp_uri", lg)))
        print(uri)


def _users() -> ModuleType:
    """The accounts use case, imported when a command runs (Django is heavy at start-up)."""
    from rempart.app import users

    return users
