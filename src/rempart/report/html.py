"""The incident report as one self-contained HTML file (inline CSS and SVG, no network).

Jinja2 autoescaping is on: subjects, senders and host names come from attackers and are
always escaped. A Content-Security-Policy forbids any script or remote resource.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from jinja2 import Environment, PackageLoader, select_autoescape

from rempart.core.i18n import Lang, t
from rempart.detect import DetectorRun
from rempart.incidents import Incident
from rempart.report.svg import Series, epidemic_curve


@dataclass(frozen=True)
class TruthView:
    """Ground truth of a rehearsal (the twin knows who was really infected)."""

    patient_zero: str  # ip
    infected: tuple[tuple[str, str | None, datetime], ...]  # (ip, zone, infected at)

    @property
    def infected_count(self) -> int:
        return len(self.infected)


@dataclass(frozen=True)
class ImpactRow:
    service: str
    dependency: str
    vital: bool
    procedure: str
    level: str = ""  # "cut" or "degraded" (rendered); "" for rows made before levels


@dataclass(frozen=True)
class ZoneStatus:
    """A building or zone and what the incident did to it (every zone of the model is
    listed, affected or not; zones derived from addresses are marked undeclared)."""

    zone: str
    name: str
    infected: int
    suspected: int
    declared: bool

    @property
    def status(self) -> str:
        if self.infected:
            return "infected"
        return "suspected" if self.suspected else "clear"


@dataclass(frozen=True)
class PlanView:
    title: str
    rationale: str
    actions: tuple[str, ...]
    impacts: tuple[ImpactRow, ...] = ()
    what_if: str = ""
    export: str | None = None
    notes: tuple[str, ...] = ()  # what each figure is (with the plan, without action...)


@dataclass(frozen=True)
class ReportData:
    hospital_name: str
    incident: Incident
    generated: datetime
    plans: tuple[PlanView, ...] = ()
    truth: TruthView | None = None
    ingest: tuple[tuple[str, int, int, int], ...] = ()
    detectors: tuple[DetectorRun, ...] = field(default=())
    # the report of any incident (`rempart report`): every zone with its status, and the
    # ordered "what to do now" list of the chosen plan; notes explain the figures
    zone_status: tuple[ZoneStatus, ...] = ()
    todo: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def format_delay(seconds: float | None, lang: Lang) -> str:
    if seconds is None:
        return "—"
    sign = "-" if seconds < 0 else ""
    minutes = round(abs(seconds) / 60)
    if minutes < 60:
        return f"{sign}{minutes} min"
    return f"{sign}{minutes // 60} h {minutes % 60:02d}"


def render_html(data: ReportData, lang: Lang = "fr") -> str:
    env = Environment(
        loader=PackageLoader("rempart.report", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
    )
    template = env.get_template("incident.html.j2")
    inc = data.incident
    flagged = {h.ip: h for h in inc.hosts}
    truth = data.truth
    truth_ips = {ip for ip, _, _ in truth.infected} if truth else set()
    zone_truth = Counter(z or "?" for _, z, _ in truth.infected) if truth else Counter()
    zone_flag = Counter(h.zone or "?" for h in inc.hosts)
    zone_first: dict[str, datetime] = {}
    for h in inc.hosts:
        z = h.zone or "?"
        zone_first[z] = min(zone_first.get(z, h.first_seen), h.first_seen)
    zones = [
        {
            "zone": z,
            "truth": zone_truth.get(z, 0),
            "flagged": zone_flag.get(z, 0),
            "first": zone_first[z].strftime("%H:%M") if z in zone_first else "—",
        }
        for z in sorted(set(zone_truth) | set(zone_flag))
    ]
    series = []
    if truth:
        series.append(
            Series(t("infected_truth", lang), "#b00", tuple(x[2] for x in truth.infected))
        )
    flagged_times = tuple(h.detected_at or h.first_seen for h in inc.hosts)
    series.append(Series(t("flagged", lang), "#06c", flagged_times))
    first_detect = None
    if truth and truth.infected and inc.first_detection is not None:
        first_inf = min(x[2] for x in truth.infected)
        first_detect = (inc.first_detection - first_inf).total_seconds()
    pz = inc.patient_zero
    return template.render(
        lang=lang,
        t=lambda key: t(key, lang),
        hospital_name=data.hospital_name,
        incident=inc,
        generated=data.generated.strftime("%Y-%m-%d %H:%M UTC"),
        truth=truth,
        pz_correct=bool(truth and pz and pz.ip == truth.patient_zero),
        flagged_count=len(flagged),
        covered=len(truth_ips & set(flagged)),
        extras=len(set(flagged) - truth_ips),
        first_detection=format_delay(first_detect, lang),
        curve_svg=epidemic_curve(series, title=t("epidemic_curve", lang)),
        zones=zones,
        plans=data.plans,
        ingest=data.ingest,
        detectors=data.detectors,
        title=inc.title_in(lang),
        zone_status=data.zone_status,
        todo=data.todo,
        notes=data.notes,
        warnings=[
            t(str(w.get("key", "")), lang, **dict(w.get("params") or {})) for w in inc.warnings
        ],
    )
