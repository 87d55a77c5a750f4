"""`rempart demo`: the Montpellier scenario end to end, with progress and a short summary."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rempart.cli.common import LangOpt, console, lang_of
from rempart.core.i18n import Lang, quoted, t

if TYPE_CHECKING:
    from rempart.app.demo import DemoResult

STAGES = ("twin", "scenario", "ingest", "detect", "incident", "plan", "report")


def _minutes(value: float | None, lang: Lang) -> str:
    if value is None:
        return "—"
    return f"{value:.0f} min"


def summary(result: DemoResult, lang: Lang, elapsed: float) -> None:
    from rich.table import Table

    inc = result.incident
    truth = result.truth
    table = Table(title=t("demo_summary", lang), show_header=False)
    table.add_column()
    table.add_column(overflow="fold")  # paths are shown whole
    pz = inc.patient_zero if inc else None
    mark = "✔" if result.patient_zero_ok else "✘"
    table.add_row(
        t("patient_zero", lang),
        f"{mark} {pz.hostname or pz.ip} ({pz.ip}, {pz.zone})" if pz else "—",
    )
    table.add_row(
        t("truth_pz", lang),
        f"{truth.patient_zero.hostname} ({truth.patient_zero.ip}, {truth.patient_zero.zone})",
    )
    table.add_row(
        t("entry_email", lang),
        quoted(inc.entry_email.subject or "", lang) if inc and inc.entry_email else "—",
    )
    table.add_row(t("phishing_lead", lang), _minutes(result.phishing_lead_minutes, lang))
    table.add_row(t("detect_delay", lang), _minutes(result.detection_delay_minutes, lang))
    covered = len(result.truth_ips & result.flagged_ips)
    extras = len(result.flagged_ips - result.truth_ips)
    table.add_row(
        t("infected_flagged", lang),
        f"{len(result.truth_ips)} / {len(result.flagged_ips)} "
        f"({t('covered', lang)} {covered}, {t('extras', lang)} {extras})",
    )
    early = result.early
    chosen = early.response.chosen if early else None
    if early is not None and chosen is not None:
        table.add_row(
            t("plan_title", lang),
            f"{chosen.plan.title_in(lang)} ({t('proposed_at', lang)} {early.respond_at:%H:%M} UTC)",
        )
        table.add_row(
            t("care_impact", lang),
            (", ".join(chosen.impact.services_cut) or t("none", lang))
            + (
                " " + t("demo.degraded_n", lang, n=len(chosen.impact.services_degraded))
                if chosen.impact.services_degraded
                else ""
            ),
        )
        table.add_row(
            t("vital_cut", lang), ", ".join(chosen.impact.vital_services_cut) or t("none", lang)
        )
        if result.infected_rempart is not None and result.infected_historical is not None:
            table.add_row(
                t("twin_24h", lang),
                f"{result.infected_rempart:.0f} / {result.infected_historical:.0f}"
                + _intervals(result),
            )
    table.add_row(t("export", lang), f"{result.export or '—'} {result.export_note}")
    table.add_row(t("report", lang), str(result.report))
    table.add_row(t("elapsed", lang), f"{elapsed:.0f} s")
    console.print(table)


def _intervals(result: DemoResult) -> str:
    """The 5 %-95 % intervals of the same runs, after the means."""
    r, h = result.rempart_interval, result.historical_interval
    if r is None or h is None:
        return ""
    return f" ([{r.low:.0f}–{r.high:.0f}] / [{h.low:.0f}–{h.high:.0f}])"


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo_cmd(
        workspace: Annotated[
            Path | None,
            typer.Option("--workspace", "-w", help="Workspace (default: ./rempart-demo)."),
        ] = None,
        lang: LangOpt = "fr",
        seed: Annotated[int, typer.Option(help="Seed of the twin and the scenario.")] = 0,
        machines: Annotated[int, typer.Option(help="Machines in the twin hospital.")] = 6000,
        rows: Annotated[int, typer.Option(help="Background conn.log rows.")] = 1_000_000,
        runs: Annotated[int, typer.Option(help="Monte Carlo runs per plan.")] = 100,
    ) -> None:
        """Rejoue Montpellier sur le jumeau : ingestion, détection, incident, plan, rapport."""
        from rempart.app.demo import demo

        lg = lang_of(lang)
        start = time.monotonic()
        with console.status(t("stage_twin", lg)) as status:

            def step(name: str) -> None:
                status.update(t(f"stage_{name}", lg))
                console.log(t(f"stage_{name}", lg))

            result = demo(
                workspace, seed=seed, machines=machines, rows=rows, runs=runs, lang=lg, step=step
            )
        summary(result, lg, time.monotonic() - start)
        if result.incident is None:
            raise typer.Exit(1)
