"""`rempart board`: the remediation board of an incident (show, move, add, import, loans)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated

import typer

from rempart.cli.common import LangOpt, WorkspaceOpt, check_format, console, err_console, lang_of
from rempart.core.actors import SYSTEM_ACTOR
from rempart.core.clock import SYSTEM_CLOCK
from rempart.core.i18n import t

if TYPE_CHECKING:
    from rempart.app.board import Loan
    from rempart.app.board_feed import BoardFeed
    from rempart.core.i18n import Lang

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
        from rich.table import Table

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
        from rich.markup import escape

        from rempart.core.safe import visible

        def cell(text: str) -> str:
            return escape(visible(text))

        table = Table(title=t("recover.board.title", lg, incident=board.case_id))
        for col in ("host", "zone", "state", "method", "updated_by", "note"):
            table.add_column(t(f"recover.board.col.{col}", lg))
        for r in rows:
            method = t(f"recover.board.method.{r.method}", lg) if r.method else ""
            table.add_row(
                cell(r.host), cell(r.zone), t(f"recover.board.state.{r.state}", lg), method,
                cell(r.updated_by), cell(r.note[:60]),
            )  # fmt: skip
        console.print(table)
        if by not in ("building", "service", "zone"):
            raise typer.BadParameter("--by building|service|zone")
        heading = t(f"recover.board.by.{by}", lg)
        counts = Table(title=heading)
        counts.add_column(heading)
        for s in _uc().BOARD_STATES:
            counts.add_column(t(f"recover.board.state.{s}", lg), justify="right")
        counts.add_column(t("recover.board.col.rate", lg), justify="right")
        counts.add_column(t("recover.board.col.end", lg))
        pace = board.burndowns(by, now=SYSTEM_CLOCK.now())
        for key, per in board.counts(by).items():
            b = pace.get(key)
            rate = f"{b.rate_per_hour:.1f}" if b else "—"
            end = b.estimated_end.strftime("%Y-%m-%d %H:%M") if b and b.estimated_end else "—"
            counts.add_row(cell(key), *(str(per[s]) for s in _uc().BOARD_STATES), rate, end)
        console.print(counts)
        _show_loans(board.loans(), lg)
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
        building: Annotated[
            str | None, typer.Option("--building", help="Every machine of a building.")
        ] = None,
        service: Annotated[
            str | None, typer.Option("--service", help="Every machine of a care service.")
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
            raise typer.BadParameter(t("recover.board.need_to", lang_of(lang)))
        board = _uc().open_board(workspace, incident)
        chosen = _uc().select_hosts(
            board, hosts or [], zone=zone, state=state, building=building, service=service,
            list_file=list_file,
        )  # fmt: skip
        say_system(actor, lang)
        try:
            if triage_logs:
                done = _uc().verify_by_triage(board, chosen, triage_logs, actor=actor, note=note)
            else:
                done = _uc().move(board, chosen, to, actor=actor, note=note, method=method)
        except _uc().BoardRefused as exc:  # each refusal in the reader's language
            err_console.print(
                f"[bold red]{t('recover.refused', lang_of(lang))}[/] {exc.text(lang_of(lang))}"
            )
            raise typer.Exit(2) from None
        state_name = done[0].to_state if done else to
        label = t(f"recover.board.state.{state_name}", lang_of(lang)) if done else to
        console.print(t("recover.board.moved", lang_of(lang), count=len(done), state=label))

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
            result = _uc().import_hosts(board, inventory, actor=actor)
            count += result.added
            if result.rejected:
                from rich.markup import escape

                from rempart.core.safe import visible

                err_console.print(
                    t("recover.board.rejected", lang_of(lang), count=len(result.rejected))
                )
                for line in result.rejected[:10]:
                    err_console.print("  " + escape(visible(line)))
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
        _show_loans(board.loans(), lang_of(lang))


def _show_loans(loans: list[Loan], lang: Lang) -> None:
    """The fallback equipment lent for the incident: to which care service, and its return."""
    from rich.markup import escape
    from rich.table import Table

    from rempart.core.safe import visible

    if not loans:
        return
    table = Table(title=t("recover.board.loans", lang))
    for col in t("recover.board.loan_cols", lang).split("|"):
        table.add_column(col)
    for loan in loans:
        back = loan.returned_at.strftime("%Y-%m-%d %H:%M") if loan.returned_at else "—"
        table.add_row(
            escape(visible(loan.ref)), escape(visible(loan.service)),
            f"{loan.issued_at:%Y-%m-%d %H:%M}", escape(visible(loan.issued_by)), back,
        )  # fmt: skip
    console.print(table)


def _uc() -> ModuleType:
    """The use case, imported when a command runs (the case store is heavy at start-up)."""
    from rempart.app import board

    return board
