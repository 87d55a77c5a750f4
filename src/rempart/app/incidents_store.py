"""Where incidents are kept: the one module that saves, finds and lists them.

Incidents live in the workspace's case store (`rempart.cases`: a stable case id such as
INC-2019-0001, a state open / contained / closed, an audit trail). An incident JSON file
given by path is always accepted, and a workspace made before the case store keeps its
`incidents/<id>.json` files readable.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rempart.cases import CaseNotFound, CaseStore, IncidentSummary
from rempart.core.errors import ConfigError
from rempart.incidents import Incident

LEGACY_FOLDER = "incidents"  # JSON files written before the case store
STATES = ("open", "contained", "closed")


class IncidentNotFound(ConfigError):
    """No incident with this id in the workspace, and no such incident file."""


@dataclass(frozen=True)
class SavedIncident:
    """Where a saved incident can be found again: its case id, and a location to show."""

    id: str
    location: str


def _cases(root: Path) -> CaseStore:
    return CaseStore.open(root)


def save_incident(root: Path, incident: Incident) -> SavedIncident:
    """Save (or update: the same incident keeps its case id) in the workspace at `root`."""
    store = _cases(root)
    case_id = store.save_incident(incident, kind=incident.kind or None)
    return SavedIncident(case_id, f"{case_id} ({store.root})")


def load_incident(root: Path, ref: str | Path) -> Incident:
    """The incident by case id, by its own id, or by the path of an incident JSON file."""
    path = Path(ref)
    if path.is_file():
        return Incident.load(path)
    try:
        return _cases(root).incident(str(ref))
    except CaseNotFound:
        pass
    legacy = root / LEGACY_FOLDER / f"{ref}.json"
    if legacy.is_file():
        return Incident.load(legacy)
    raise IncidentNotFound(f"incident not found: {ref} (looked in the case store of {root})")


def list_incidents(root: Path, state: str | None = None) -> list[IncidentSummary]:
    """The workspace's incidents (those in `state` when given), oldest first."""
    return _cases(root).incidents(state)


def set_state(root: Path, ref: str, state: str, *, actor: str) -> None:
    """Move an incident to open, contained or closed (audited)."""
    _cases(root).set_state(ref, state, actor=actor)


__all__ = [
    "STATES",
    "IncidentNotFound",
    "IncidentSummary",
    "SavedIncident",
    "list_incidents",
    "load_incident",
    "save_incident",
    "set_state",
]
