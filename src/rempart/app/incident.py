"""Group the workspace's current findings into incidents and save them.

The findings may make several incidents (unrelated hosts, an internet scan beside a phishing);
each is saved in the case store with its kind. The internal ranges are those the last
detection used (hospital.yaml, `--internal`, what the Zeek sensor marked local).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rempart.app.detect import saved_ranges
from rempart.app.incidents_store import SavedIncident, save_incident
from rempart.app.session import Session
from rempart.core.clock import SYSTEM_CLOCK, Clock
from rempart.incidents import Incident, IncidentHost, build_incidents
from rempart.incidents.spread import spread_hint


@dataclass(frozen=True)
class IncidentResult:
    incident: Incident
    saved: SavedIncident


def build_and_save_all(
    workspace: Path | str | None, *, clock: Clock = SYSTEM_CLOCK
) -> list[IncidentResult]:
    """`rempart incident`: every incident of the current findings (most serious first),
    saved in the workspace; empty when nothing is flagged."""
    with Session.writer(workspace, must_exist=True) as session:
        found = build_incidents(
            session.store,
            session.hospital,
            spread=spread_hint,
            internal=saved_ranges(session.root),
            now=clock.now(),
        )
        from rempart.app.board import board_from_intel, fill_from_incident  # on the board

        results = []
        for inc in found:
            saved = save_incident(session.root, inc)
            fill_from_incident(session.root, saved.id, inc)
            results.append(IncidentResult(inc, saved))
        if results:  # the hosts an indicator was seen on, not already there
            board_from_intel(session.root, session.store, clock=clock)
        return results


def build_and_save(workspace: Path | str | None) -> IncidentResult | None:
    """The most serious incident of the current findings (None when nothing is flagged);
    every incident found is saved."""
    found = build_and_save_all(workspace)
    return found[0] if found else None


__all__ = ["Incident", "IncidentHost", "IncidentResult", "build_and_save", "build_and_save_all"]
