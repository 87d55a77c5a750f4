"""What a declaration can say by itself: named values drawn from the incident, the hospital
model, the board and the crisis log (the `prefill` names of the form files)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rempart.core.i18n import Lang
from rempart.incidents import Incident
from rempart.model import Hospital
from rempart.recover.crisis import Entry

__all__ = ["context_for", "events_for"]

_KIND = {
    "lateral_movement": ("intrusion avec propagation latérale (rançongiciel suspecté)",
                         "intrusion with lateral spread (suspected ransomware)"),
    "phishing": ("hameçonnage", "phishing"),
    "compromise": ("compromission d'un poste", "compromised workstation"),
}  # fmt: skip
_SEVERITY = {
    "critical": ("critique", "critical"),
    "high": ("élevée", "high"),
    "medium": ("moyenne", "medium"),
    "low": ("faible", "low"),
    "info": ("information", "information"),
}
_DATA = {
    "radiology": ("imagerie médicale", "medical imaging"),
    "lab": ("résultats de biologie", "laboratory results"),
    "pharmacy": ("prescriptions et dispensations", "prescriptions and dispensing"),
}


def _aware(value: datetime) -> datetime:
    from datetime import UTC

    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def events_for(
    incident: Incident, answers: dict[str, Any] | None = None
) -> dict[str, datetime | None]:
    """The starting events of the clocks: discovery (first alert), awareness of a personal-data
    breach (an answer `awareness`, else the discovery)."""
    discovery = _aware(incident.first_detection or incident.first_seen)
    awareness: datetime | None = discovery
    raw = (answers or {}).get("awareness")
    if isinstance(raw, str) and raw:
        awareness = _aware(datetime.fromisoformat(raw.replace("Z", "+00:00")))
    return {"discovery": discovery, "awareness": awareness}


def context_for(
    incident: Incident,
    *,
    case_id: str,
    kind: str,
    hospital: Hospital | None,
    board: dict[str, int],
    crisis: Sequence[Entry],
    actor: str,
    role: str,
    issued_kinds: set[str],
    evidence_manifest: str | None,
    lang: Lang,
) -> dict[str, Any]:
    fr = lang == "fr"
    zones_by_id = {z.id: z for z in hospital.zones} if hospital else {}
    zone_ids = sorted({h.zone for h in incident.hosts if h.zone})
    services = [s for s in (hospital.services if hospital else ()) if set(s.zones) & set(zone_ids)]
    degraded = []
    for s in services:
        proc = s.degraded_procedure if fr else (s.degraded_procedure_en or s.degraded_procedure)
        degraded.append(f"{s.name} : {proc}" if proc else s.name)
    categories = [
        "données de santé des patients (dossier patient)"
        if fr
        else "patients' health data (patient record)"
    ]
    for s in services:
        if s.kind in _DATA:
            text = _DATA[s.kind][0 if fr else 1]
            if text not in categories:
                categories.append(text)
    categories.append(
        "données du personnel (comptes, messagerie)" if fr else "staff data (accounts, email)"
    )
    infected = [h for h in incident.hosts if h.status == "infected"]
    pz = incident.patient_zero
    iocs = []
    if pz is not None:
        iocs.append(
            f"patient zéro {pz.hostname or ''} {pz.ip}".replace("  ", " ")
            if fr
            else f"patient zero {pz.hostname or ''} {pz.ip}".replace("  ", " ")
        )
    if incident.entry_email is not None:
        e = incident.entry_email
        iocs.append(
            f"courriel « {e.subject} » de {e.sender}"
            if fr
            else f'email "{e.subject}" from {e.sender}'
        )
    iocs += [f"ATT&CK {a}" for a in incident.attack]
    email = incident.entry_email
    origin = (
        (
            f"courriel d'hameçonnage « {email.subject} » ({email.sender})"
            if fr
            else f'phishing email "{email.subject}" ({email.sender})'
        )
        if email is not None
        else ("inconnue, investigation en cours" if fr else "unknown, under investigation")
    )
    names = {
        "suspect": "suspect",
        "isole": "isolé" if fr else "isolated",
        "remediation": "en remédiation" if fr else "in remediation",
        "verifie": "vérifié" if fr else "verified",
        "remis": "remis en service" if fr else "back in service",
        "ecarte": "écarté" if fr else "dismissed",
    }
    summary = ", ".join(f"{names.get(k, k)} {v}" for k, v in board.items() if v) or "—"
    measures = []
    if board.get("isole") or board.get("remediation") or board.get("verifie") or board.get("remis"):
        done = sum(board.get(k, 0) for k in ("isole", "remediation", "verifie", "remis"))
        measures.append(
            f"{done} machine(s) isolée(s) ou en remédiation"
            if fr
            else f"{done} machine(s) isolated or in remediation"
        )
    measures += [e.text for e in crisis if e.kind == "decision"][-10:]
    dpo = next(
        (p for p in (hospital.people if hospital else ()) if p.role and "dpo" in p.role.lower()),
        None,
    )
    me = next((p for p in (hospital.people if hospital else ()) if p.name == actor), None)
    kind_key = "lateral_movement" if len(infected) > 1 else ("phishing" if email else "compromise")
    n_serv, n_hosts = len(services), len(incident.hosts)
    impact = (
        f"{n_serv} service(s) de soins dans les zones touchées ; {n_hosts} machine(s) concernée(s)"
        if fr
        else f"{n_serv} care service(s) in the affected zones; {n_hosts} machine(s) concerned"
    )
    return {
        "hospital.name": hospital.hospital.name if hospital else None,
        "hospital.finess": hospital.hospital.finess if hospital else None,
        "hospital.dpo": (f"{dpo.name} {dpo.email or ''}".strip() if dpo else None),
        "declarant.name": f"{actor} ({role})" if role else actor,
        "declarant.contact": (me.email if me else None),
        "incident.id": case_id,
        "incident.title": incident.title,
        "incident.start": _aware(incident.first_seen),
        "incident.discovery": _aware(incident.first_detection or incident.first_seen),
        "incident.awareness": _aware(incident.first_detection or incident.first_seen),
        "incident.type": _KIND[kind_key][0 if fr else 1],
        "incident.severity": _SEVERITY.get(incident.severity, (incident.severity,) * 2)[
            0 if fr else 1
        ],
        "incident.origin": origin,
        "incident.iocs": iocs,
        "incident.malicious": bool(infected) or incident.severity in ("high", "critical"),
        "perimeter.zones": [zones_by_id[z].name if z in zones_by_id else z for z in zone_ids],
        "perimeter.machines": (
            f"{len(incident.hosts)} machine(s) dont {len(infected)} infectée(s)"
            if fr
            else f"{len(incident.hosts)} machine(s), {len(infected)} infected"
        ),
        "care.impact": impact,
        "care.degraded": degraded,
        "data.categories": categories,
        "data.people": ["patients", "personnel"] if fr else ["patients", "staff"],
        "breach.nature": ["disponibilité", "confidentialité (à confirmer)"]
        if fr
        else ["availability", "confidentiality (to be confirmed)"],
        "measures.taken": measures,
        "board.summary": summary,
        "declarations.plainte": "plainte" in issued_kinds,
        "declarations.cnil": "cnil" in issued_kinds,
        "clock.delay_reason": None,
        "evidence.manifest": evidence_manifest,
        "crisis.head": crisis[-1].hash if crisis else None,
        "kind": kind,
    }
