"""Incidents: findings grouped with a timeline, patient zero and the hosts per zone."""

from rempart.incidents.build import SpreadHint, SpreadProvider, build_incident
from rempart.incidents.model import EntryEmail, Incident, IncidentHost, TimelineEntry

__all__ = [
    "EntryEmail",
    "Incident",
    "IncidentHost",
    "SpreadHint",
    "SpreadProvider",
    "TimelineEntry",
    "build_incident",
]
