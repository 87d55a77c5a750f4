"""Incident values for the case-store tests."""

from __future__ import annotations

from datetime import datetime

from rempart.incidents import Incident, IncidentHost


def make_incident(
    key: str = "INC-20190315-abc123",
    *,
    first_seen: datetime = datetime(2019, 3, 15, 9, 0),
    title: str = "Propagation latérale",
    hosts: int = 2,
) -> Incident:
    """A small incident value as `build_incident` makes them (naive UTC times)."""
    made = tuple(
        IncidentHost(
            ip=f"10.1.0.{i + 1}",
            hostname=f"PC-{i + 1:03d}",
            zone="batiment-a",
            status="infected",
            first_seen=first_seen,
            infected_by="10.1.0.1" if i else None,
            detectors=("spread_tree",),
        )
        for i in range(hosts)
    )
    return Incident(
        id=key,
        title=title,
        severity="critical",
        first_seen=first_seen,
        last_seen=first_seen.replace(hour=12),
        patient_zero=made[0] if made else None,
        entry_email=None,
        hosts=made,
        timeline=(),
        attack=("T1021",),
        confidence=0.8,
        finding_uids=("f1", "f2"),
    )
