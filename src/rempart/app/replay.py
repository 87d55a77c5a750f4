"""`rempart twin replay montpellier`: the day as it happened, and with Rempart's response.

The scenario is written (historical response), ingested and run through the detectors. The
first network alert plus a human delay is when Rempart's response lands: what the detectors
knew by then (the flows and mail up to that moment, detected again on their own) becomes an
incident and a situation, whose top-ranked plan is applied in the spread engine from the
first infection on, with the same parameters and seed as the historical run.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from rempart.app.respond import Response, controls_for, interval_at, respond
from rempart.contain import Action
from rempart.core.i18n import Lang, t
from rempart.detect import DETECTORS, DetectContext, run_detectors
from rempart.incidents import Incident, build_incident
from rempart.incidents.build import alerting_detectors
from rempart.incidents.spread import spread_hint
from rempart.ingest.files import ingest_file
from rempart.model import Hospital
from rempart.schema import EVENT_CLASSES
from rempart.store import Store
from rempart.twin.hospital import generate_hospital
from rempart.twin.scenarios.montpellier import (
    HORIZONS,
    historical_controls,
    patient_zero,
    write_montpellier,
)
from rempart.twin.spread import SpreadNetwork, SpreadParams, simulate


@dataclass(frozen=True)
class ReplayResult:
    hosts: int
    infected_historical: float
    infected_rempart: float | None
    first_alert_minutes: float | None
    actions: tuple[Action, ...]
    vital_services_cut: tuple[str, ...]
    details: dict[str, Any] = field(default_factory=dict)

    def plan_in(self, lang: Lang = "fr") -> list[dict[str, str]]:
        """The plan's actions: kind, title and reason in `lang`."""
        return [
            {"kind": a.kind, "title": a.describe(lang).title, "reason": a.reason_in(lang)}
            for a in self.actions
        ]

    def to_json_dict(self, lang: Lang = "fr") -> dict[str, Any]:
        """The figures by name; the plan and the note (a catalogue key in `details`) in
        `lang`."""
        details = dict(self.details)
        if "note" in details:
            details["note"] = t(str(details["note"]), lang)
        return {
            "hosts": self.hosts,
            "infected_historical": round(self.infected_historical, 1),
            "infected_rempart": None
            if self.infected_rempart is None
            else round(self.infected_rempart, 1),
            "first_alert_minutes": None
            if self.first_alert_minutes is None
            else round(self.first_alert_minutes, 1),
            "plan": self.plan_in(lang),
            "vital_services_cut": list(self.vital_services_cut),
            **details,
        }


def _first_alert(store: Store) -> datetime | None:
    rows = store.sql(
        """SELECT min(coalesce(detected_at, first_seen)) AS t FROM finding
           WHERE entity_type = 'host' AND severity IN ('high', 'critical')
             AND list_contains($d, detector)""",
        {"d": list(alerting_detectors())},
    ).column("t")
    value = rows[0].as_py() if len(rows) else None
    return value if isinstance(value, datetime) else None


def _store_until(full: Store, until: datetime) -> Store:
    """A fresh in-memory store holding what the sensors had seen by `until`."""
    cut = Store.memory()
    for table in EVENT_CLASSES:
        data = full.sql(f"SELECT * FROM {table} WHERE time <= $t", {"t": until})
        if data.num_rows:
            cut.append(table, data)
    return cut


@dataclass(frozen=True)
class EarlyResponse:
    """What Rempart would have proposed `delay` minutes after its first network alert."""

    first_alert: datetime
    respond_at: datetime
    incident: Incident
    response: Response


def early_response(
    store: Store,
    hospital: Hospital,
    *,
    params: SpreadParams | None = None,
    delay_minutes: float = 15.0,
    runs: int = 200,
    seed: int = 0,
) -> EarlyResponse | None:
    """Detect again on what was known at first alert + delay; rank the plans then.

    `store` must already hold the findings of a detection run (for the first alert time).
    """
    first_alert = _first_alert(store)
    if first_alert is None:
        return None
    respond_at = first_alert + timedelta(minutes=delay_minutes)
    with _store_until(store, respond_at) as known:
        run_detectors(DetectContext(known, hospital), list(DETECTORS.names()))
        incident = build_incident(known, hospital, spread=spread_hint)
        if incident is None:
            return None
        response = respond(
            incident, hospital, known, params=params, runs=runs, seed=seed, now=respond_at
        )
    return EarlyResponse(first_alert, respond_at, incident, response)


def replay_montpellier(
    *,
    seed: int = 0,
    machines: int = 6000,
    params: SpreadParams | None = None,
    respond_plan: bool = True,
    delay_minutes: float = 15.0,
    rows: int = 1_000_000,
    runs: int = 200,
    hospital: Hospital | None = None,
    workdir: Path | None = None,
) -> ReplayResult:
    """Replay Montpellier; with `respond_plan`, apply Rempart's top plan after the delay."""
    params = params or SpreadParams()
    hospital = hospital or generate_hospital(machines=machines, seed=seed)
    net = SpreadNetwork(hospital, params)
    pz = patient_zero(hospital, seed)
    historical = simulate(
        net, None, [pz], historical_controls(hospital), HORIZONS, runs=runs, seed=seed,
        trajectory=False,
    )  # fmt: skip
    infected_historical = historical.horizon(HORIZONS[-1]).mean
    details: dict[str, Any] = {"patient_zero": pz, "seed": seed, "runs": runs}
    hosts = len(hospital.assets)
    if not respond_plan:
        return ReplayResult(hosts, infected_historical, None, None, (), (), details)

    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        files = write_montpellier(hospital, Path(tmp), seed=seed, params=params, rows=rows)
        first_infection = min(h.infected_at for h in files.ground_truth.infected)
        details["infected_truth_historical"] = len(files.ground_truth.infected)
        with Store.memory() as store:
            for path in (files.mailbox, files.conn_log):
                ingest_file(store, path)
            run_detectors(DetectContext(store, hospital), list(DETECTORS.names()))
            early = early_response(
                store, hospital, params=params, delay_minutes=delay_minutes, runs=runs, seed=seed
            )
    if early is None:
        details["note"] = "replay.note.no_alert"
        return ReplayResult(hosts, infected_historical, infected_historical, None, (), (), details)
    first_alert_minutes = (early.first_alert - first_infection).total_seconds() / 60
    at_minute = (early.respond_at - first_infection).total_seconds() / 60
    details.update(respond_minutes=round(at_minute, 1), hosts_known=len(early.incident.hosts))
    chosen = early.response.chosen
    if chosen is None:
        details["note"] = "replay.note.all_cut_vital"
        return ReplayResult(
            hosts, infected_historical, infected_historical, first_alert_minutes, (), (), details
        )
    with_plan = simulate(
        net, None, [pz], controls_for(chosen.plan, hospital, at_minute), HORIZONS, runs=runs,
        seed=seed, trajectory=False,
    )  # fmt: skip
    h24 = interval_at(with_plan, HORIZONS[-1])
    details.update(
        plan_id=chosen.plan.id, infected_rempart_interval=[round(h24.low, 1), round(h24.high, 1)]
    )
    return ReplayResult(
        hosts=hosts,
        infected_historical=infected_historical,
        infected_rempart=h24.mean,
        first_alert_minutes=first_alert_minutes,
        actions=chosen.plan.actions,
        vital_services_cut=tuple(chosen.impact.vital_services_cut),
        details=details,
    )
