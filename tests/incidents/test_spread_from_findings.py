"""Incidents read the spread tree from the `spread_tree` findings, never recompute it."""

from __future__ import annotations

from tests.detect.network.test_network_detectors import spread_flows

from rempart.detect import DetectContext, run_detectors
from rempart.detect.network.tree import reconstruct_spread
from rempart.incidents.spread import spread_hint
from rempart.store import Store


def test_hint_from_findings_is_the_tree() -> None:
    store = spread_flows().store()
    assert spread_hint(store) is None  # detection has not run: nothing to read
    run_detectors(DetectContext(store), ["spread_tree"])
    tree = reconstruct_spread(store)
    hint = spread_hint(store)
    assert hint is not None
    assert hint.patient_zero == tree.patient_zero
    assert hint.confidence == tree.confidence
    assert sorted(hint.infected) == sorted((h.ip, h.first_seen, h.parent) for h in tree.infected)


def test_no_tree_no_hint() -> None:
    assert spread_hint(Store.memory()) is None
