"""Layouts for the SVG drawings of the pages: numbers only. The templates draw them, so
every label (a zone name, a host name) goes through autoescaping; colours are classes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from rempart.app.dashboard import HourCount, ZoneState
from rempart.app.incident_view import TreeNode

BUILDING_COLUMNS = 4
ZONE_H = 34
BUILDING_W = 230
GAP = 16


def hospital_plan(zones: Sequence[ZoneState]) -> dict[str, Any]:
    """Buildings in a grid, each drawn as a box holding its zones one under the other."""
    by_building: dict[str, list[ZoneState]] = defaultdict(list)
    for z in zones:
        by_building[z.building].append(z)
    buildings = []
    col_heights = [0] * BUILDING_COLUMNS
    for i, (name, members) in enumerate(sorted(by_building.items())):
        col = i % BUILDING_COLUMNS
        x = GAP + col * (BUILDING_W + GAP)
        y = GAP + col_heights[col]
        h = 28 + len(members) * (ZONE_H + 6)
        states = {z.state for z in members}
        worst = next((s for s in ("infected", "suspected", "isolated") if s in states), "clean")
        buildings.append(
            {
                "x": x,
                "y": y,
                "w": BUILDING_W,
                "h": h,
                "label": name,
                "state": worst,
                "tx": x + 8,
                "ty": y + 18,
                "zones": [
                    {
                        "x": x + 8,
                        "y": y + 26 + j * (ZONE_H + 6),
                        "w": BUILDING_W - 16,
                        "h": ZONE_H,
                        "tx": x + 14,
                        "ty": y + 26 + j * (ZONE_H + 6) + 14,
                        "cy": y + 26 + j * (ZONE_H + 6) + 28,
                        "zone": z,
                    }
                    for j, z in enumerate(members)
                ],
            }
        )
        col_heights[col] += h + GAP
    width = GAP + BUILDING_COLUMNS * (BUILDING_W + GAP)
    return {"buildings": buildings, "width": width, "height": max(col_heights, default=0) + GAP}


def bars(hours: Sequence[HourCount], width: int = 720, height: int = 160) -> dict[str, Any]:
    """Alerts per hour as bars (the tallest fills the height)."""
    if not hours:
        return {"bars": [], "width": width, "height": height}
    top = max(h.count for h in hours) or 1
    step = width / len(hours)
    out = []
    for i, h in enumerate(hours):
        bh = max(1.0, (height - 30) * h.count / top)
        out.append(
            {
                "x": round(i * step + 1, 1),
                "y": round(height - 20 - bh, 1),
                "w": round(max(1.0, step - 2), 1),
                "h": round(bh, 1),
                "count": h.count,
                "hour": h.hour,
                "label": i == 0 or i == len(hours) - 1 or len(hours) <= 12,
                "lx": round(i * step + step / 2, 1),
            }
        )
    return {"bars": out, "width": width, "height": height}


def curves(
    points: Sequence[tuple[str, float, float, float]],
    baseline: Sequence[float],
    width: int = 300,
    height: int = 140,
) -> dict[str, Any]:
    """The twin's estimate at 1 h, 6 h, 24 h with its interval, and the no-action baseline."""
    top = max([p[3] for p in points] + list(baseline) + [1.0])
    n = len(points)
    left, bottom = 36, 20

    def y(v: float) -> float:
        return round(height - bottom - (height - bottom - 10) * v / top, 1)

    step = (width - left - 20) / max(1, n - 1)
    out = []
    for i, (label, mean, low, high) in enumerate(points):
        x = round(left + i * step, 1)
        out.append(
            {
                "x": x,
                "label": label,
                "mean": mean,
                "low": low,
                "high": high,
                "y": y(mean),
                "ylow": y(low),
                "yhigh": y(high),
                "ybase": y(baseline[i]) if i < len(baseline) else None,
            }
        )
    line = " ".join(f"{p['x']},{p['y']}" for p in out)
    base = " ".join(f"{p['x']},{p['ybase']}" for p in out if p["ybase"] is not None)
    return {
        "points": out,
        "line": line,
        "base": base,
        "width": width,
        "height": height,
        "top": round(top),
        "ytop": y(top),
        "yzero": y(0),
        "left": left,
    }


def tree(nodes: Sequence[TreeNode], depth: int, width: int) -> dict[str, Any]:
    """The spread tree, one row per generation."""
    col_w, row_h = 120, 70
    pos = {n.ip: (40 + n.x * col_w, 30 + n.depth * row_h) for n in nodes}
    drawn = [{"node": n, "cx": pos[n.ip][0], "cy": pos[n.ip][1]} for n in nodes]
    edges = [
        {"x1": pos[n.parent][0], "y1": pos[n.parent][1], "x2": pos[n.ip][0], "y2": pos[n.ip][1]}
        for n in nodes
        if n.parent is not None and n.parent in pos
    ]
    return {
        "nodes": drawn,
        "edges": edges,
        "width": 80 + max(1, width) * col_w,
        "height": 60 + max(1, depth) * row_h,
    }


__all__ = ["bars", "curves", "hospital_plan", "tree"]
