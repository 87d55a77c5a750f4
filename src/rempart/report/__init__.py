"""Reports: self-contained HTML (inline CSS and SVG), French by default."""

from rempart.report.html import (
    ImpactRow,
    PlanView,
    ReportData,
    TruthView,
    ZoneStatus,
    render_html,
)

__all__ = ["ImpactRow", "PlanView", "ReportData", "TruthView", "ZoneStatus", "render_html"]
