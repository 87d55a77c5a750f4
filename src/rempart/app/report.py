"""The incident report: what the store holds, and the HTML written into the workspace;
`rempart report`: the report of any saved incident as HTML, PDF or JSON."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from rempart.app.incidents_store import IncidentNotFound, list_incidents, load_incident
from rempart.app.plan import PlanResult
from rempart.app.session import Session, require_workspace
from rempart.contain import Action, CareImpact
from rempart.core.clock import SYSTEM_CLOCK, Clock
from rempart.core.errors import ConfigError
from rempart.core.i18n import Lang, t
from rempart.incidents import Incident
from rempart.model import Hospital
from rempart.report import ImpactRow, PlanView, ReportData, ZoneStatus, render_html
from rempart.store import Store

_INGESTED = """SELECT event_class, count(*) AS files, sum(records) AS records,
                      sum(rejected) AS rejected FROM ingest_log GROUP BY 1 ORDER BY 1"""


class Spread(Protocol):
    """An expected count with its interval (the twin's runs)."""

    @property
    def mean(self) -> float: ...
    @property
    def low(self) -> float: ...
    @property
    def high(self) -> float: ...


def interval_params(value: Spread, mean: str, low: str, high: str) -> dict[str, str]:
    """A twin figure and its interval as message values, rounded the one way every report
    and summary shows them (the three names are the message's placeholders)."""
    return {mean: f"{value.mean:.0f}", low: f"{value.low:.0f}", high: f"{value.high:.0f}"}


def ingested(store: Store) -> tuple[tuple[str, int, int, int], ...]:
    """(event class, files, records, rejected) the store holds, whenever they were ingested."""
    return tuple(
        (str(r["event_class"]), int(r["files"]), int(r["records"]), int(r["rejected"]))
        for r in store.sql(_INGESTED).to_pylist()
    )


def write_report(data: ReportData, out: Path, lang: Lang) -> Path:
    """Render the report as HTML (self-contained, nothing fetched) into `out`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(data, lang), encoding="utf-8")
    return out


# -- the report of any incident (`rempart report`) ------------------------------------------

FORMATS = ("html", "pdf", "json")
_SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}


@dataclass(frozen=True)
class IncidentReport:
    """What `rempart report` renders: the report data, and the same as JSON-able values."""

    data: ReportData
    case_id: str


def _pick_incident(root: Path, ref: str | None) -> tuple[str, Incident]:
    """The incident asked for, else the most serious one of the workspace (latest first)."""
    if ref is not None:
        return ref, load_incident(root, ref)
    found = list_incidents(root)
    if not found:
        raise IncidentNotFound(f"no incident in {root} (run rempart detect, then rempart incident)")
    best = sorted(
        found,
        key=lambda s: (_SEVERITY_ORDER.get(s.severity, 9), -s.updated_at.timestamp()),
    )[0]
    return best.id, load_incident(root, best.id)


def zone_statuses(incident: Incident, hospital: Hospital | None) -> tuple[ZoneStatus, ...]:
    """Every zone of the model with its status, then the zones only the incident names."""
    infected: Counter[str] = Counter()
    suspected: Counter[str] = Counter()
    for h in incident.hosts:
        z = h.zone or "?"
        (infected if h.status == "infected" else suspected)[z] += 1
    out: list[ZoneStatus] = []
    declared: set[str] = set()
    for zone in hospital.zones if hospital else ():
        declared.add(zone.id)
        out.append(ZoneStatus(zone.id, zone.name, infected[zone.id], suspected[zone.id], True))
    for z in sorted((set(infected) | set(suspected)) - declared):
        out.append(ZoneStatus(z, z, infected[z], suspected[z], False))
    return tuple(out)


def _impact_rows(impact: CareImpact, lang: Lang) -> tuple[ImpactRow, ...]:
    return tuple(
        ImpactRow(
            service=i.service_name,
            dependency=f"{i.dependency_kind.value} {i.dependency_ref} ({i.why_text(lang)})",
            vital=i.vital,
            procedure=i.procedure_in(lang) or "",
            level=t(f"rpt.level.{i.level.value}", lang),
        )
        for i in impact.items
    )


def _action_text(action: Action, lang: Lang) -> str:
    text = action.describe(lang)
    return t("action.line", lang, title=text.title, blocks=text.blocks, keeps=text.keeps)


def plan_views(result: PlanResult, lang: Lang, limit: int = 3) -> tuple[PlanView, ...]:
    """The first plans as the report shows them, each figure explained."""
    views: list[PlanView] = []
    ranked = {r.plan.id: r for r in result.ranked or ()}
    for plan, impact in result.rows[:limit]:
        r = ranked.get(plan.id)
        notes = [
            t(
                "rpt.note.services",
                lang,
                cut=len(impact.services_cut),
                degraded=len(impact.services_degraded),
            )
        ]
        what_if = ""
        if r is not None:
            est, base = r.estimate.h24, r.baseline.h24
            what_if = t(
                "rpt.what_if",
                lang,
                **interval_params(est, "mean", "low", "high"),
                **interval_params(base, "baseline", "blow", "bhigh"),
            )
            notes.append(t("rpt.note.what_if", lang, runs=r.estimate.runs or "?"))
        views.append(
            PlanView(
                title=plan.title_in(lang),
                rationale=plan.rationale_in(lang),
                actions=tuple(_action_text(a, lang) for a in plan.actions),
                impacts=_impact_rows(impact, lang),
                what_if=what_if,
                notes=tuple(notes),
            )
        )
    return tuple(views)


def todo_list(incident: Incident, result: PlanResult | None, lang: Lang) -> tuple[str, ...]:
    """What to do now, in order: hands-on isolation, the chosen plan's actions, checks."""
    steps: list[str] = []
    situation = result.situation if result else None
    if situation is not None and situation.unresolved_hosts:
        names = ", ".join(situation.unresolved_hosts[:20])
        steps.append(t("rpt.todo.by_hand", lang, names=names))
    if result is not None and result.rows:
        plan, impact = result.rows[0]
        if result.ranked:
            chosen = next((r for r in result.ranked if not r.refused), result.ranked[0])
            plan, impact = chosen.plan, chosen.impact
        missing = impact.unconfirmed(plan)
        if missing:
            services = ", ".join(dict.fromkeys(i.service_name for i in missing))
            steps.append(t("rpt.todo.confirm", lang, services=services))
        steps.extend(_action_text(a, lang) for a in plan.actions)
    if incident.accounts:
        steps.append(t("rpt.todo.accounts", lang, names=", ".join(incident.accounts[:20])))
    if incident.external_sources and incident.kind in ("scan", "external_exposure"):
        steps.append(
            t(
                "rpt.todo.scan",
                lang,
                targets=", ".join(incident.targets[:10]) or "—",
                n=len(incident.external_sources),
            )
        )
    steps.append(t("rpt.todo.keep_evidence", lang))
    return tuple(steps)


def incident_report(
    workspace: Path | str | None,
    ref: str | None = None,
    *,
    lang: Lang = "fr",
    runs: int = 100,
    clock: Clock = SYSTEM_CLOCK,
) -> IncidentReport:
    """`rempart report`: the report of one incident (default: the most serious)."""
    from rempart.app.plan import propose

    root = require_workspace(workspace)
    with Session.reader(workspace) as session:
        case_id, incident = _pick_incident(root, ref)
        hospital = session.hospital
        store = session.store_or_none()
        data_ingested = ingested(store) if store is not None else ()
    notes: list[str] = []
    result: PlanResult | None = None
    if hospital is not None:
        result = propose(workspace, incident=case_id, runs=runs)
        if result.ranked is None:
            notes.append(t("rpt.note.no_twin", lang))
    else:
        notes.append(t("rpt.note.no_model", lang))
    data = ReportData(
        hospital_name=hospital.hospital.name if hospital else str(root.name),
        incident=incident,
        generated=clock.now(),
        plans=plan_views(result, lang) if result is not None else (),
        ingest=data_ingested,
        zone_status=zone_statuses(incident, hospital),
        todo=todo_list(incident, result, lang),
        notes=tuple(notes),
    )
    return IncidentReport(data, case_id)


def report_json(report: IncidentReport, lang: Lang) -> str:
    """The report as JSON: the incident as stored, and the rendered sections."""
    d = report.data
    payload = {
        "case_id": report.case_id,
        "lang": lang,
        "generated": d.generated.isoformat(),
        "hospital": d.hospital_name,
        "kind": d.incident.kind,
        "title": d.incident.title_in(lang),
        "incident": json.loads(d.incident.to_json()),
        # what the incident's stored texts say, in `lang`
        "timeline": [
            {"time": e.time.isoformat(), "kind": e.kind, "text": e.in_lang(lang)}
            for e in d.incident.timeline
        ],
        "zones": [asdict(z) | {"status": z.status} for z in d.zone_status],
        "todo": list(d.todo),
        "plans": [asdict(p) for p in d.plans],
        "notes": list(d.notes),
        "ingested": [list(r) for r in d.ingest],
    }
    return json.dumps(payload, ensure_ascii=False, indent=2)


def write_incident_report(report: IncidentReport, fmt: str, out: Path, lang: Lang) -> Path:
    """Write the report as html, pdf (WeasyPrint, nothing fetched) or json into `out`."""
    if fmt not in FORMATS:
        raise ConfigError(
            key="error.report_format", params={"fmt": repr(fmt), "known": ", ".join(FORMATS)}
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "json":
        out.write_text(report_json(report, lang), encoding="utf-8")
    elif fmt == "html":
        out.write_text(render_html(report.data, lang), encoding="utf-8")
    else:
        from rempart.report.pdf import html_to_pdf

        out.write_bytes(html_to_pdf(render_html(report.data, lang)))
    return out


__all__ = [
    "FORMATS",
    "IncidentReport",
    "incident_report",
    "ingested",
    "plan_views",
    "report_json",
    "todo_list",
    "write_incident_report",
    "write_report",
    "zone_statuses",
]
