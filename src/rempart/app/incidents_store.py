"""Where incidents are kept: the one module that saves, finds and lists them.

Today an incident is a JSON file under the workspace's `incidents/` folder, named by its id.
The case store (`rempart.cases`, incidents with stable ids and a state) takes over behind
these same functions; an incident JSON file given by path is always accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rempart.core.errors import ConfigError
from rempart.incidents import Incident

FOLDER = "incidents"


class IncidentNotFound(ConfigError):
    """No incident with this id in the workspace, and no such incident file."""


@dataclass(frozen=True)
class SavedIncident:
    """Where a saved incident can be found again: its id, and a location to show."""

    id: str
    location: str


@dataclass(frozen=True)
class IncidentSummary:
    """One line of the incident list."""

    id: str
    title: str
    severity: str
    state: str
    first_seen: datetime
    updated_at: datetime | None


def save_incident(root: Path, incident: Incident) -> SavedIncident:
    """Save (or update) the incident in the workspace at `root`."""
    path = incident.save(root / FOLDER)
    return SavedIncident(incident.id, str(path))


def load_incident(root: Path, ref: str | Path) -> Incident:
    """The incident by id (in the workspace) or by the path of an incident JSON file."""
    path = Path(ref)
    if path.is_file():
        return Incident.load(path)
    path = root / FOLDER / f"{ref}.json"
    if not path.is_file():
        raise IncidentNotFound(f"incident not found: {ref} (looked in {root / FOLDER})")
    return Incident.load(path)


def list_incidents(root: Path) -> list[IncidentSummary]:
    """The workspace's incidents, most recent first."""
    folder = root / FOLDER
    out = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
        inc = Incident.load(path)
        updated = datetime.fromtimestamp(path.stat().st_mtime).astimezone()
        out.append(
            IncidentSummary(inc.id, inc.title, inc.severity, "open", inc.first_seen, updated)
        )
    return sorted(out, key=lambda s: s.first_seen, reverse=True)


__all__ = [
    "IncidentNotFound",
    "IncidentSummary",
    "SavedIncident",
    "list_incidents",
    "load_incident",
    "save_incident",
]
