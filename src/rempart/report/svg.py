"""Inline SVG charts for self-contained reports (no script, no external resource)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape


@dataclass(frozen=True)
class Series:
    label: str
    color: str
    times: tuple[datetime, ...]  # one per event; the curve is the cumulative count


def epidemic_curve(
    series: Sequence[Series], *, width: int = 760, height: int = 280, title: str = ""
) -> str:
    """Cumulative counts over time as step lines, with axes and a legend."""
    all_times = [t for s in series for t in s.times]
    if not all_times:
        return ""
    t0 = min(all_times).timestamp()
    t1 = max(all_times).timestamp()
    span = max(t1 - t0, 60.0)
    top = max(len(s.times) for s in series) or 1
    left, right, upper, lower = 56, 16, 28, 40
    plot_w, plot_h = width - left - right, height - upper - lower

    def x(ts: float) -> float:
        return left + (ts - t0) / span * plot_w

    def y(n: int) -> float:
        return upper + plot_h - n / top * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
        f'<rect x="{left}" y="{upper}" width="{plot_w}" height="{plot_h}" fill="#fafafa" '
        'stroke="#ccc"/>',
    ]
    for i in range(5):
        n = round(top * i / 4)
        parts.append(
            f'<text x="{left - 6}" y="{y(n) + 4:.1f}" font-size="11" text-anchor="end">{n}</text>'
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(n):.1f}" y2="{y(n):.1f}" '
            'stroke="#eee"/>'
        )
        ts = t0 + span * i / 4
        label = datetime.fromtimestamp(ts, tz=min(all_times).tzinfo).strftime("%H:%M")
        parts.append(
            f'<text x="{x(ts):.1f}" y="{upper + plot_h + 16}" font-size="11" '
            f'text-anchor="middle">{label}</text>'
        )
    for k, s in enumerate(series):
        times = sorted(t.timestamp() for t in s.times)
        points = [f"{x(t0):.1f},{y(0):.1f}"]
        for n, ts in enumerate(times, start=1):
            points.append(f"{x(ts):.1f},{y(n - 1):.1f}")
            points.append(f"{x(ts):.1f},{y(n):.1f}")
        points.append(f"{x(t1):.1f},{y(len(times)):.1f}")
        parts.append(
            f'<polyline fill="none" stroke="{escape(s.color)}" stroke-width="2" '
            f'points="{" ".join(points)}"/>'
        )
        parts.append(
            f'<rect x="{left + 10 + k * 220}" y="8" width="12" height="12" '
            f'fill="{escape(s.color)}"/><text x="{left + 28 + k * 220}" y="18" '
            f'font-size="12">{escape(s.label)} ({len(times)})</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
