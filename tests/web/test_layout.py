"""The drawings' layouts (numbers only) and the spread tree, without Django or a store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rempart.app.dashboard import HourCount, ZoneState
from rempart.app.incident_view import spread_tree
from rempart.incidents import Incident, IncidentHost
from rempart.web import svg

T0 = datetime(2019, 3, 11, 6, 0, tzinfo=UTC)


def _zone(zid: str, building: str, state: str) -> ZoneState:
    return ZoneState(zid, zid.upper(), building, "building", state, 1, 0, 0, 10)


def test_plan_groups_zones_by_building_worst_state_first() -> None:
    zones = [_zone("a1", "A", "clean"), _zone("a2", "A", "infected"), _zone("b1", "B", "isolated")]
    plan = svg.hospital_plan(zones)
    by = {b["label"]: b for b in plan["buildings"]}
    assert by["A"]["state"] == "infected" and by["B"]["state"] == "isolated"
    assert len(by["A"]["zones"]) == 2
    a1, a2 = by["A"]["zones"]
    assert a2["y"] > a1["y"] and a1["x"] == a2["x"]
    assert plan["width"] > 0 and plan["height"] >= by["A"]["h"]


def test_bars_scale_to_the_tallest() -> None:
    hours = [HourCount(T0 + timedelta(hours=i), n) for i, n in enumerate((1, 4, 2))]
    chart = svg.bars(hours, width=300, height=100)
    heights = [b["h"] for b in chart["bars"]]
    assert max(heights) == heights[1] and heights[0] < heights[2] < heights[1]
    assert svg.bars([])["bars"] == []


def _host(ip: str, by: str | None, minutes: int) -> IncidentHost:
    return IncidentHost(
        ip, f"pc-{ip[-1]}", "bat-c", "infected", T0 + timedelta(minutes=minutes), by
    )


def test_spread_tree_layers_and_survives_a_cycle() -> None:
    hosts = (
        _host("10.0.0.1", None, 0),
        _host("10.0.0.2", "10.0.0.1", 5),
        _host("10.0.0.3", "10.0.0.1", 6),
        _host("10.0.0.4", "10.0.0.2", 9),
        _host("10.0.0.8", "10.0.0.9", 20),  # a cycle: 8 <- 9 <- 8
        _host("10.0.0.9", "10.0.0.8", 21),
    )
    inc = Incident("i", "t", "high", T0, T0, hosts[0], None, hosts, ())
    nodes, depth, width = spread_tree(inc)
    by = {n.ip: n for n in nodes}
    assert len(nodes) == 6 and depth >= 3 and width >= 2
    assert by["10.0.0.4"].parent == "10.0.0.2" and by["10.0.0.4"].depth == 2
    drawn = svg.tree(nodes, depth, width)
    assert len(drawn["edges"]) == sum(1 for n in nodes if n.parent is not None)
