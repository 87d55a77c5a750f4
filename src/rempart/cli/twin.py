"""`rempart twin`: generate the synthetic hospital, write scenarios, check the calibration."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from rempart.cli.common import LangOpt, WorkspaceOpt, check_format, console, escape, lang_of
from rempart.core.i18n import Lang, label, t

if TYPE_CHECKING:
    from rempart.app.twin import TwinHospital

SpreadRate = Annotated[
    float | None,
    typer.Option("--spread-rate", help="Scans per infectious host per minute (calibrated 1.2)."),
]
Incubation = Annotated[
    float | None, typer.Option("--incubation", help="Minutes from infection to the first scan.")
]
SmbSuccess = Annotated[
    float | None, typer.Option("--smb-success", help="Infection probability of an SMB scan.")
]
RdpSuccess = Annotated[
    float | None, typer.Option("--rdp-success", help="Infection probability of an RDP scan.")
]
CrossBuilding = Annotated[
    float | None,
    typer.Option("--cross-building", help="Share of cross-building scans that get through."),
]
Vulnerable = Annotated[
    float | None,
    typer.Option("--vulnerable", help="Share of Windows PCs the worm can take."),
]


def _announce(twin: TwinHospital, lang: Lang) -> None:
    h = twin.hospital
    if not twin.generated:
        console.print(t("twin_loaded", lang, path=twin.path, assets=len(h.assets)))
        return
    console.print(
        t(
            "twin_generated",
            lang,
            path=twin.path,
            assets=len(h.assets),
            zones=len(h.zones),
            services=len(h.services),
            partners=len(h.partners),
        )
    )


# The replay's figures in the order they are read, each with its label key (cli.yaml).
REPLAY_ROWS = (
    "hosts",
    "patient_zero",
    "infected_truth_historical",
    "infected_historical",
    "infected_rempart",
    "infected_rempart_interval",
    "first_alert_minutes",
    "respond_minutes",
    "hosts_known",
    "plan_id",
    "vital_services_cut",
    "runs",
    "seed",
)


def show_replay(data: dict[str, Any], lang: Lang) -> None:
    """The replay as a two-column table of labelled figures (fits 80 columns), then the
    plan's actions one per line with their reason, then the note if any."""
    from rich.table import Table

    table = Table(title=t("twin_replay_title", lang), show_header=False)
    table.add_column(overflow="fold")
    table.add_column(overflow="fold")
    for key in REPLAY_ROWS:
        if key not in data:
            continue
        value = data[key]
        if isinstance(value, list):
            shown = (
                f"[{value[0]} – {value[1]}]"
                if key.endswith("_interval") and len(value) == 2
                else ", ".join(map(str, value)) or "—"
            )
        else:
            shown = "—" if value is None else str(value)
        table.add_row(escape(t(f"replay.{key}", lang)), escape(shown))
    console.print(table)
    for action in data.get("plan", []):
        console.print(
            f"• {action['title']} — {label(t('reason', lang), lang)}{action['reason']}",
            markup=False,
        )
    if data.get("note"):
        console.print(str(data["note"]), markup=False)


def register(app: typer.Typer) -> None:
    twin = typer.Typer(help=t("twin_help"), no_args_is_help=True)
    app.add_typer(twin, name="twin")

    @twin.command("generate")
    def generate_cmd(
        workspace: WorkspaceOpt = None,
        machines: Annotated[int, typer.Option(help="Number of machines.")] = 6000,
        buildings: Annotated[int, typer.Option(help="Number of building zones (≤ 12).")] = 12,
        seed: Annotated[int, typer.Option(help="Random seed (same seed, same bytes).")] = 0,
        lang: LangOpt = "fr",
    ) -> None:
        """Écrit un CHU synthétique (hospital.yaml + inventory.csv) dans l'espace de travail."""
        from rempart.app.twin import generate

        lg = lang_of(lang)
        _announce(generate(workspace, machines=machines, buildings=buildings, seed=seed), lg)

    @twin.command("scenario")
    def scenario_cmd(
        name: Annotated[str, typer.Argument(help="Scenario: montpellier.")],
        workspace: WorkspaceOpt = None,
        out: Annotated[
            Path | None, typer.Option(help="Output folder (default: <workspace>/scenario-NAME).")
        ] = None,
        seed: Annotated[int, typer.Option(help="Random seed (same seed, same bytes).")] = 0,
        rows: Annotated[int, typer.Option(help="Background conn.log rows.")] = 1_000_000,
        machines: Annotated[int, typer.Option(help="Machines if a twin is generated.")] = 6000,
        runs: Annotated[int, typer.Option(help="Monte Carlo runs.")] = 200,
        spread_rate: SpreadRate = None,
        incubation: Incubation = None,
        smb_success: SmbSuccess = None,
        rdp_success: RdpSuccess = None,
        cross_building: CrossBuilding = None,
        vulnerable: Vulnerable = None,
        lang: LangOpt = "fr",
    ) -> None:
        """Écrit la boîte mail, le conn.log, le journal du proxy et la vérité terrain d'un
        scénario."""
        from rempart.app.twin import (
            scenario_folder,
            spread_params,
            workspace_or_twin,
            write_scenario,
        )

        lg = lang_of(lang)
        if name != "montpellier":
            raise typer.BadParameter(t("twin_unknown_scenario", lg, name=name))
        twin = workspace_or_twin(workspace, machines=machines, seed=seed)
        _announce(twin, lg)
        params = spread_params(
            spread_rate, incubation, smb_success, rdp_success, cross_building, vulnerable
        )
        target = scenario_folder(workspace, name, out)
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task(t("twin_writing", lg), total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            gt = write_scenario(
                twin.hospital,
                target,
                seed=seed,
                params=params,
                rows=rows,
                runs=runs,
                progress=progress,
            )
        pz = gt.patient_zero
        console.print(t("twin_written", lg, out=target))
        console.print(t("twin_pz", lg, host=pz.hostname, ip=pz.ip, zone=pz.zone, user=pz.user))
        console.print(
            t(
                "twin_infected",
                lg,
                n=len(gt.infected),
                hosts=gt.hosts,
                mean=gt.expected_mean_24h,
                lo=round(gt.interval_24h[0]),
                hi=round(gt.interval_24h[1]),
            )
        )

    @twin.command("calibrate")
    def calibrate_cmd(
        seeds: Annotated[str, typer.Option(help="Comma-separated hospital seeds.")] = "0,1,2,3,4",
        machines: Annotated[int, typer.Option(help="Machines of the twin.")] = 6000,
        runs: Annotated[int, typer.Option(help="Monte Carlo runs per seed.")] = 500,
        spread_rate: SpreadRate = None,
        incubation: Incubation = None,
        smb_success: SmbSuccess = None,
        rdp_success: RdpSuccess = None,
        cross_building: CrossBuilding = None,
        vulnerable: Vulnerable = None,
        workspace: WorkspaceOpt = None,
        lang: LangOpt = "fr",
    ) -> None:
        """Rejoue la réponse historique de Montpellier sur plusieurs graines (calibration).

        With --workspace and a hospital.yaml there, every seed runs on that hospital (the seed
        then draws patient zero and the Monte Carlo); otherwise each seed generates a twin.
        """
        from rich.table import Table

        from rempart.app.twin import ISOLATION_MINUTE, calibrate, given_hospital, spread_params

        lg = lang_of(lang)
        own = given_hospital(workspace)
        params = spread_params(
            spread_rate, incubation, smb_success, rdp_success, cross_building, vulnerable
        )
        table = Table(title=t("twin_calibration", lg, iso=int(ISOLATION_MINUTE)))
        for col in ("seed", "twin_patient_zero", "1 h", "6 h", "24 h", "5–95 %", "within"):
            table.add_column(t(col, lg))
        seed_list = [int(x) for x in seeds.split(",") if x.strip()]
        rows_ = calibrate(seed_list, machines=machines, runs=runs, params=params, hospital=own)
        means = [r.means[-1] for r in rows_]
        for r in rows_:
            table.add_row(
                str(r.seed),
                r.patient_zero,
                *(f"{m:.1f}" for m in r.means),
                f"{r.p05:.0f}–{r.p95:.0f}",
                t("yes" if r.within else "no", lg),
            )
        console.print(table)
        console.print(f"{sum(means) / max(len(means), 1):.1f} / 649 ({params})")

    @twin.command("replay")
    def replay_cmd(
        scenario: Annotated[str, typer.Argument(help="Scenario name (montpellier).")],
        seed: Annotated[int, typer.Option(help="Random seed (hospital, scenario, spread).")] = 0,
        respond: Annotated[
            bool, typer.Option("--respond/--no-respond", help="Apply Rempart's top plan.")
        ] = True,
        delay: Annotated[
            float, typer.Option(help="Human delay in minutes from the first alert to the plan.")
        ] = 15.0,
        machines: Annotated[int, typer.Option(help="Machines of the twin.")] = 6000,
        rows: Annotated[int, typer.Option(help="Background conn.log rows.")] = 1_000_000,
        runs: Annotated[int, typer.Option(help="Monte Carlo runs.")] = 200,
        fmt: Annotated[str, typer.Option("--format", help="json or table.")] = "table",
        spread_rate: SpreadRate = None,
        incubation: Incubation = None,
        smb_success: SmbSuccess = None,
        rdp_success: RdpSuccess = None,
        cross_building: CrossBuilding = None,
        vulnerable: Vulnerable = None,
        workspace: WorkspaceOpt = None,
        lang: LangOpt = "fr",
    ) -> None:
        """Rejoue un scénario : réponse historique contre réponse de Rempart.

        With --workspace and a hospital.yaml there, the scenario runs on that hospital;
        otherwise on a generated twin of --machines.
        """
        from rempart.app.twin import given_hospital, replay_montpellier, spread_params

        lg = lang_of(lang)
        if scenario != "montpellier":
            raise typer.BadParameter(t("twin_unknown_scenario", lg, name=scenario))
        check_format(fmt, ("table", "json"))
        params = spread_params(
            spread_rate, incubation, smb_success, rdp_success, cross_building, vulnerable
        )
        with console.status(t("twin_replaying", lg), spinner="dots"):
            result = replay_montpellier(
                seed=seed,
                machines=machines,
                params=params,
                respond_plan=respond,
                delay_minutes=delay,
                rows=rows,
                runs=runs,
                hospital=given_hospital(workspace),
            )
        data = result.to_json_dict(lg)
        if fmt == "json":
            print(json.dumps(data, ensure_ascii=False))
            return
        show_replay(data, lg)
