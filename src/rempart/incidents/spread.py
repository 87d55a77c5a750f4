"""Adapter from the network detectors' spread tree to the incident builder's SpreadHint."""

from __future__ import annotations

from rempart.detect.network.tree import reconstruct_spread
from rempart.incidents.build import SpreadHint
from rempart.model import Hospital
from rempart.store import Store


def spread_hint(store: Store, hospital: Hospital | None) -> SpreadHint | None:
    """Who infected whom, as reconstructed from first contacts in the flows."""
    tree = reconstruct_spread(store, hospital)
    if not tree.infected:
        return None
    return SpreadHint(
        patient_zero=tree.patient_zero,
        infected=tuple((h.ip, h.first_seen, h.parent) for h in tree.infected),
        confidence=float(tree.confidence),
    )
