"""Incidents: findings grouped with a timeline, patient zero and the hosts per zone."""

from rempart.incidents.build import SpreadHint, SpreadProvider, build_incident, build_incidents
from rempart.incidents.model import KINDS, EntryEmail, Incident, IncidentHost, TimelineEntry

__all__ = [
    "KINDS",
    "EntryEmail",
    "Incident",
    "IncidentHost",
    "SpreadHint",
    "SpreadProvider",
    "TimelineEntry",
    "build_incident",
    "build_incidents",
]
