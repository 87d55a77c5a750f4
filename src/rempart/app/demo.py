"""`rempart demo`: the Montpellier scenario end to end on the embedded default.

twin hospital → scenario files in real formats → ingest → detect → incident → ranked plans
with care impact → nftables export (checked with `nft -c` when installed) → HTML report.
Every stage goes through the same code as production data; the ground truth is only used
to score the result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rempart.app.board import board_from_intel
from rempart.app.board import fill_from_incident as fill_board
from rempart.app.incidents_store import save_incident
from rempart.app.replay import EarlyResponse, early_response
from rempart.app.report import ingested as report_ingested
from rempart.app.report import interval_params, write_report
from rempart.app.respond import Response, controls_for, interval_at
from rempart.contain import Action, Interval, RankedPlan
from rempart.contain.export import write_plan
from rempart.core.clock import SYSTEM_CLOCK, Clock
from rempart.core.errors import ContainmentError
from rempart.core.i18n import Lang, t
from rempart.detect import DETECTORS, DetectContext, DetectorRun, run_detectors
from rempart.incidents import Incident, build_incident
from rempart.incidents.spread import spread_hint
from rempart.ingest.files import IngestReport, ingest_file
from rempart.model import Hospital, load_hospital
from rempart.report import ImpactRow, PlanView, ReportData, TruthView
from rempart.store import Store, Workspace
from rempart.twin.hospital import generate_hospital, write_hospital
from rempart.twin.scenarios.montpellier import (
    HORIZONS,
    GroundTruth,
    historical_controls,
    patient_zero,
    write_montpellier,
)
from rempart.twin.spread import SpreadNetwork, SpreadParams, simulate

Step = Callable[[str], None]


@dataclass(frozen=True)
class DemoResult:
    hospital: Hospital
    truth: GroundTruth
    ingest: IngestReport
    detectors: tuple[DetectorRun, ...]
    incident: Incident | None
    early: EarlyResponse | None  # what Rempart proposed 15 min after its first alert
    export: Path | None
    export_note: str
    report: Path
    infected_historical: float | None = None  # twin mean, historical response
    infected_rempart: float | None = None  # twin mean, Rempart's plan at the response time
    # the same figures with their 5 %-95 % interval, from the same runs
    historical_interval: Interval | None = None
    rempart_interval: Interval | None = None

    @property
    def truth_ips(self) -> set[str]:
        return {h.ip for h in self.truth.infected}

    @property
    def flagged_ips(self) -> set[str]:
        return {h.ip for h in self.incident.hosts} if self.incident else set()

    @property
    def patient_zero_ok(self) -> bool:
        pz = self.incident.patient_zero if self.incident else None
        return pz is not None and pz.ip == self.truth.patient_zero.ip

    @property
    def detection_delay_minutes(self) -> float | None:
        """First alert on a host, in minutes after the first infection (ground truth)."""
        first = self.incident.first_detection if self.incident else None
        if first is None:
            return None
        first_infection = min(h.infected_at for h in self.truth.infected)
        return (first - first_infection).total_seconds() / 60

    @property
    def phishing_lead_minutes(self) -> float | None:
        """How long before the first infection the entry email was flagged (its arrival)."""
        email = self.incident.entry_email if self.incident else None
        if email is None or email.received is None:
            return None
        first_infection = min(h.infected_at for h in self.truth.infected)
        return (first_infection - email.received).total_seconds() / 60


def _action_line(action: Action, lang: Lang) -> str:
    text = action.describe(lang)
    return t("action.line", lang, title=text.title, blocks=text.blocks, keeps=text.keeps)


def _plan_view(
    r: RankedPlan, export: Path | None, lang: Lang, early: EarlyResponse | None
) -> PlanView:
    impacts = tuple(
        ImpactRow(
            service=i.service_name,
            dependency=f"{i.dependency_kind.value} {i.dependency_ref} ({i.why_text(lang)})",
            vital=i.vital,
            procedure=i.procedure_in(lang) or "",
            level=t(f"rpt.level.{i.level.value}", lang),
        )
        for i in r.impact.items
    )
    est = r.estimate
    what_if = t(
        "demo.what_if",
        lang,
        mean=f"{est.h24.mean:.0f}",
        low=f"{est.h24.low:.0f}",
        high=f"{est.h24.high:.0f}",
        baseline=f"{r.baseline.h24.mean:.0f}",
        saved=f"{r.saved_24h:.0f}",
    )
    if early is not None:
        delay = (early.respond_at - early.first_alert).total_seconds() / 60
        when = t(
            "demo.ranked",
            lang,
            rank=r.rank,
            at=f"{early.respond_at:%H:%M}",
            delay=f"{delay:.0f}",
            hosts=len(early.incident.hosts),
        )
        what_if = when + what_if
    return PlanView(
        title=r.plan.title_in(lang),
        rationale=r.plan.rationale_in(lang),
        actions=tuple(_action_line(a, lang) for a in r.plan.actions),
        impacts=impacts,
        what_if=what_if,
        export=str(export) if export else None,
    )


def run_demo(
    workspace: Workspace,
    *,
    seed: int = 0,
    machines: int = 6000,
    rows: int = 1_000_000,
    runs: int = 100,
    lang: Lang = "fr",
    step: Step | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> DemoResult:
    """Run the whole scenario; `step(name)` is called as each stage starts."""
    say = step or (lambda _name: None)
    say("twin")
    hospital = generate_hospital(machines=machines, seed=seed)
    write_hospital(hospital, workspace.root)
    hospital = load_hospital(workspace.hospital_path)  # what a user would have
    say("scenario")
    files = write_montpellier(hospital, workspace.folder("twin"), seed=seed, rows=rows)
    say("ingest")
    report = IngestReport()
    with Store(workspace.db_path) as store:
        for path in (files.mailbox, files.conn_log, files.proxy_log):
            if path is not None:
                report.files.append(ingest_file(store, path))
        ingested = report_ingested(store)  # what the store holds, now or by an earlier run
        say("detect")
        runs_ = tuple(run_detectors(DetectContext(store, hospital), list(DETECTORS.names())))
        say("incident")
        incident = build_incident(store, hospital, spread=spread_hint)
        early = None
        export: Path | None = None
        note = ""
        historical_iv: Interval | None = None
        rempart_iv: Interval | None = None
        if incident is not None:
            saved = save_incident(workspace.root, incident)
            fill_board(workspace.root, saved.id, incident)  # the remediation board (issue 24)
            board_from_intel(workspace.root, store)  # and the hosts an indicator was seen on
            say("plan")
            early = early_response(store, hospital, runs=runs, seed=seed)
            chosen = early.response.chosen if early else None
            if early is not None and chosen is not None:
                historical_iv, rempart_iv = _twin_outcomes(
                    hospital, files.ground_truth, early, seed=seed, runs=runs
                )
                export = workspace.folder("exports") / f"{incident.id}-{chosen.plan.id}.nft"
                try:
                    rules, _rollback, _rendered = write_plan(
                        chosen.plan, hospital, "nftables", export
                    )
                    check = rules.validation
                    note = "" if check is None else f"{check.tool}: {'OK' if check.ok else 'KO'}"
                    note += f" {check.message}".rstrip() if check else ""
                except ContainmentError as exc:
                    note = str(exc)
                    export = None
    say("report")
    truth = files.ground_truth
    out = workspace.folder("reports") / f"montpellier-{lang}.html"
    if incident is None:
        return DemoResult(hospital, truth, report, runs_, None, early, export, note, out)
    historical = historical_iv
    rempart = rempart_iv
    response = early.response if early else None
    chosen_uid = response.chosen.plan.id if response and response.chosen else None
    data = ReportData(
        hospital_name=hospital.hospital.name,
        incident=incident,
        generated=clock.now(),
        plans=tuple(
            _plan_view(r, export if r.plan.id == chosen_uid else None, lang, early)
            for r in (response.ranked[:3] if response else ())
        ),
        truth=TruthView(
            truth.patient_zero.ip,
            tuple((h.ip, h.zone, h.infected_at) for h in truth.infected),
        ),
        ingest=ingested,
        detectors=runs_,
        notes=_figure_notes(historical, rempart, response, lang, runs),
    )
    write_report(data, out, lang)
    return DemoResult(
        hospital,
        truth,
        report,
        runs_,
        incident,
        early,
        export,
        note,
        out,
        historical.mean if historical else None,
        rempart.mean if rempart else None,
        historical,
        rempart,
    )


def _figure_notes(
    historical: Interval | None,
    rempart: Interval | None,
    response: Response | None,
    lang: Lang,
    runs: int,
) -> tuple[str, ...]:
    """What each twin figure of the demo is, so the console, the report and `twin replay`
    can be read side by side (they answer different questions)."""
    notes: list[str] = []
    chosen = response.chosen if response else None
    if chosen is not None:
        est, base = chosen.estimate.h24, chosen.baseline.h24
        notes.append(
            t(
                "demo.note.ranking",
                lang,
                **interval_params(est, "mean", "low", "high"),
                **interval_params(base, "baseline", "blow", "bhigh"),
                runs=runs,
            )
        )
    if historical is not None and rempart is not None:
        notes.append(
            t(
                "demo.note.outcome",
                lang,
                **interval_params(rempart, "mean", "low", "high"),
                **interval_params(historical, "hist", "hlow", "hhigh"),
                runs=runs,
            )
        )
    return tuple(notes)


def demo(
    workspace: Path | str | None = None,
    *,
    seed: int = 0,
    machines: int = 6000,
    rows: int = 1_000_000,
    runs: int = 100,
    lang: Lang = "fr",
    step: Step | None = None,
) -> DemoResult:
    """`rempart demo`: in --workspace, else $REMPART_WORKSPACE, else ./rempart-demo."""
    import os

    from rempart.store.workspace import ENV_WORKSPACE

    ws = Workspace.at(workspace or os.environ.get(ENV_WORKSPACE) or "rempart-demo")
    return run_demo(ws, seed=seed, machines=machines, rows=rows, runs=runs, lang=lang, step=step)


def _twin_outcomes(
    hospital: Hospital, truth: GroundTruth, early: EarlyResponse, *, seed: int, runs: int
) -> tuple[Interval, Interval]:
    """Infected at 24 h on the twin (mean and interval of the same runs): the historical
    response vs Rempart's plan in time, both from the true patient zero."""
    chosen = early.response.chosen
    assert chosen is not None
    net = SpreadNetwork(hospital, SpreadParams())
    pz = patient_zero(hospital, seed)
    first_infection = min(h.infected_at for h in truth.infected)
    at = (early.respond_at - first_infection).total_seconds() / 60
    hist = simulate(net, None, [pz], historical_controls(hospital), HORIZONS, runs=runs, seed=seed,
                    trajectory=False)  # fmt: skip
    plan = simulate(net, None, [pz], controls_for(chosen.plan, hospital, at), HORIZONS,
                    runs=runs, seed=seed, trajectory=False)  # fmt: skip
    return interval_at(hist, HORIZONS[-1]), interval_at(plan, HORIZONS[-1])
