"""`rempart board`: the remediation board of an incident (show, move, add, import, loans)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from rempart.cli.common import LangOpt, WorkspaceOpt, check_format, console, err_console, lang_of
from rempart.core.actors import SYSTEM_ACTOR
from rempart.core.clock import SYSTEM_CLOCK
from rempart.core.i18n import t

if TYPE_CHECKING:
    from rempart.app.board import BoardFeed

AsOpt = Annotated[
    str,
    typer.Option(
        "--as", help="Record the action in this user's name (default: the system account)."
    ),
]
IncidentOpt = Annotated[
    str | None,
    typer.Option("--incident", "-i", help="Incident id (default: the latest open one)."),
]


def say_system(actor: str, lang: str = "fr") -> None:
    """Say so when an action is recorded in the system account's name."""
    if actor == SYSTEM_ACTOR:
        err_console.print(t("recover.as_system", lang_of(lang)))


def say_feed(feed: BoardFeed | None, lang: str = "fr") -> None:
    """Say which machines a triage run or a hunt put on the remediation board (or could not,
    for want of an open incident)."""
    from rich.markup import escape

    from rempart.core.safe import visible

    if feed is None:
        return
    lg = lang_of(lang)
    if feed.added:
        names = ", ".join(visible(h) for h in feed.added[:10])
        names += "…" if len(feed.added) > 10 else ""
        text = t("recover.board.fed", lg, count=len(feed.added), incident=feed.incident,
                 hosts=names)  # fmt: skip
        err_console.print(escape(text))
    if feed.waiting:
        err_console.print(t("recover.board.fed_waiting", lg, count=len(feed.waiting)))


def register(app: typer.Typer) -> None:
    board_app = typer.Typer(
        help="Tableau de remédiation : suspect, isolé, en remédiation, vérifié, remis.",
        invoke_without_command=True,
        no_args_is_help=False,
    )
    app.add_typer(board_app, name="board")

    @board_app.callback()
    def board_cmd(
        ctx: typer.Context,
        workspace: WorkspaceOpt = None,
        incident: IncidentOpt = None,
        fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
        by: Annotated[
            str, typer.Option("--by", help="Counts per building, service or zone.")
        ] = "building",
        lang: LangOpt = "fr",
    ) -> None:
        """Affiche le tableau (table, csv ou json), les comptes par bâtiment et le rythme."""
        if ctx.invoked_subcommand is not None:
            return
        check_format(fmt, ("table", "csv", "json"))
        lg = lang_of(lang)
        board = _uc().open_board(workspace, incident)
        if fmt == "csv":
            print(board.to_csv(), end="")
            return
        if fmt == "json":
            print(board.to_json())
            return
        rows = board.rows()
        if not rows:
            console.print(t("recover.board.empty", lg, incident=board.case_id))
            return
        table = Table(title=t("recover.board.title", lg, incident=board.case_id))
        for col in ("host", "zone", "state", "method", "updated_by", "note"):
            table.add_column(col)
        for r in rows:
            table.add_row(r.host, r.zone, r.state, r.method, r.updated_by, r.note[:60])
        console.print(table)
        counts = Table(title=by)
        counts.add_column(by)
        for s in _uc().BOARD_STATES:
            counts.add_column(s, justify="right")
        for key, per in board.counts(by).items():
            counts.add_row(key, *(str(per[s]) for s in _uc().BOARD_STATES))
        console.print(counts)
        b = board.burndown(now=SYSTEM_CLOCK.now())
        end = b.estimated_end.strftime("%Y-%m-%d %H:%M") if b.estimated_end else "—"
        console.print(
            t("recover.board.rate", lg, rate=f"{b.rate_per_hour:.1f}", hours=f"{b.window_hours:g}",
              open=b.open_now, end=end)
        )  # fmt: skip

    @board_app.command("move")
    def move_cmd(
        hosts: Annotated[list[str] | None, typer.Argument(help="Machines (host names).")] = None,
        to: Annotated[str, typer.Option("--to", help="Target state.")] = "",
        note: Annotated[str, typer.Option("--note", help="Reason, or the check made.")] = "",
        method: Annotated[
            str | None, typer.Option("--method", help="nettoyage or reinstallation.")
        ] = None,
        zone: Annotated[str | None, typer.Option("--zone", help="Every machine of a zone.")] = None,
        state: Annotated[
            str | None, typer.Option("--state", help="Every machine in this state.")
        ] = None,
        list_file: Annotated[
            Path | None, typer.Option("--list", help="A file of machines (one a line, or CSV).")
        ] = None,
        triage_logs: Annotated[
            list[Path] | None,
            typer.Option("--triage", help="Fresh EVTX logs: vérifié if the triage is clean."),
        ] = None,
        workspace: WorkspaceOpt = None,
        incident: IncidentOpt = None,
        actor: AsOpt = SYSTEM_ACTOR,
        lang: LangOpt = "fr",
    ) -> None:
        """Déplace des machines (une par une ou en lot), chaque déplacement enregistré."""
        if not to:
            raise typer.BadParameter("--to STATE is required")
        board = _uc().open_board(workspace, incident)
        chosen = _uc().select_hosts(board, hosts or [], zone=zone, state=state, list_file=list_file)
        say_system(actor, lang)
        if triage_logs:
            done = _uc().verify_by_triage(board, chosen, triage_logs, actor=actor, note=note)
        else:
            done = _uc().move(board, chosen, to, actor=actor, note=note, method=method)
        state_name = done[0].to_state if done else to
        console.print(t("recover.board.moved", lang_of(lang), count=len(done), state=state_name))

    @board_app.command("add")
    def add_cmd(
        hosts: Annotated[list[str] | None, typer.Argument(help="Machines to add.")] = None,
        inventory: Annotated[
            Path | None,
            typer.Option("--import", help="A GLPI-style inventory CSV, or a list (one a line)."),
        ] = None,
        note: Annotated[str, typer.Option("--note")] = "",
        workspace: WorkspaceOpt = None,
        incident: IncidentOpt = None,
        actor: AsOpt = SYSTEM_ACTOR,
        lang: LangOpt = "fr",
    ) -> None:
        """Ajoute des machines au tableau (à la main, par liste ou inventaire GLPI)."""
        board = _uc().open_board(workspace, incident)
        say_system(actor, lang)
        count = _uc().add_hosts(board, hosts or [], actor=actor, note=note)
        if inventory is not None:
            count += _uc().import_inventory(board, inventory, actor=actor)
        console.print(t("recover.board.added", lang_of(lang), count=count))

    @board_app.command("loan")
    def loan_cmd(
        ref: Annotated[str, typer.Argument(help="Equipment reference (e.g. PC-SECOURS-12).")],
        service: Annotated[str, typer.Option("--service", help="Care service it is lent to.")] = "",
        back: Annotated[bool, typer.Option("--return", help="It came back.")] = False,
        note: Annotated[str, typer.Option("--note")] = "",
        workspace: WorkspaceOpt = None,
        incident: IncidentOpt = None,
        actor: AsOpt = SYSTEM_ACTOR,
        lang: LangOpt = "fr",
    ) -> None:
        """Matériel de secours prêté à un service de soins, et son retour."""
        board = _uc().open_board(workspace, incident)
        say_system(actor, lang)
        if back:
            _uc().return_loan(board, ref, actor=actor)
        else:
            _uc().issue_loan(board, ref, service, actor=actor, note=note)
        for loan in board.loans():
            when = loan.returned_at.strftime("%Y-%m-%d %H:%M") if loan.returned_at else "—"
            console.print(f"{loan.ref}\t{loan.service}\t{loan.issued_at:%Y-%m-%d %H:%M}\t{when}")


def _uc() -> ModuleType:
    """The use case, imported when a command runs (the case store is heavy at start-up)."""
    from rempart.app import board

    return board
