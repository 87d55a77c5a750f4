"""The spread tree as the `spread_tree` detector stored it, for the incident builder.

The tree is computed once, by the detector; its findings carry what an incident needs:
patient zero is the critical finding (its score is the tree's confidence), every other
infected host a high one whose `related` names the host that probably infected it, and the
findings' `first_seen` are the estimated infection times. Nothing is recomputed from the flows.
"""

from __future__ import annotations

from datetime import datetime

from rempart.incidents.build import SpreadHint
from rempart.model import Hospital
from rempart.store import Store

SPREAD_DETECTOR = "spread_tree"

_SQL = """
SELECT entity, severity, first_seen, score, related FROM finding
WHERE detector = $detector AND entity_type = 'host'
ORDER BY first_seen, entity
"""


def spread_hint(store: Store, hospital: Hospital | None = None) -> SpreadHint | None:
    """Who infected whom, read from the spread tree's findings (None when it found none)."""
    del hospital  # the detector already placed the hosts with the model
    rows = store.sql(_SQL, {"detector": SPREAD_DETECTOR}).to_pylist()
    root = next((r for r in rows if r["severity"] == "critical"), None)
    if root is None:
        return None
    infected: list[tuple[str, datetime, str | None]] = []
    for r in rows:
        related = r["related"] or []
        parent = None if r is root or not related else str(related[0])
        infected.append((str(r["entity"]), r["first_seen"], parent))
    return SpreadHint(
        patient_zero=str(root["entity"]),
        infected=tuple(infected),
        confidence=float(root["score"] or 0.0),
    )
