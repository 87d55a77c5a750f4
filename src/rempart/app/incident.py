"""Group the workspace's current findings into an incident and save it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rempart.app.incidents_store import SavedIncident, save_incident
from rempart.app.session import Session
from rempart.incidents import Incident, IncidentHost, build_incident
from rempart.incidents.spread import spread_hint


@dataclass(frozen=True)
class IncidentResult:
    incident: Incident
    saved: SavedIncident


def build_and_save(workspace: Path | str | None) -> IncidentResult | None:
    """`rempart incident`: the incident of the current findings (None when nothing is
    flagged), saved in the workspace."""
    with Session.writer(workspace) as session:
        inc = build_incident(session.store, session.hospital, spread=spread_hint)
        if inc is None:
            return None
        saved = save_incident(session.root, inc)
        from rempart.app.board import fill_from_incident  # its machines on the board (issue 24)

        fill_from_incident(session.root, saved.id, inc)
        return IncidentResult(inc, saved)


__all__ = ["Incident", "IncidentHost", "IncidentResult", "build_and_save"]
