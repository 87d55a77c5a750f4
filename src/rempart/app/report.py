"""The incident report: what the store holds, and the HTML written into the workspace."""

from __future__ import annotations

from pathlib import Path

from rempart.core.i18n import Lang
from rempart.report import ReportData, render_html
from rempart.store import Store

_INGESTED = """SELECT event_class, count(*) AS files, sum(records) AS records,
                      sum(rejected) AS rejected FROM ingest_log GROUP BY 1 ORDER BY 1"""


def ingested(store: Store) -> tuple[tuple[str, int, int, int], ...]:
    """(event class, files, records, rejected) the store holds, whenever they were ingested."""
    return tuple(
        (str(r["event_class"]), int(r["files"]), int(r["records"]), int(r["rejected"]))
        for r in store.sql(_INGESTED).to_pylist()
    )


def write_report(data: ReportData, out: Path, lang: Lang) -> Path:
    """Render the report as HTML (self-contained, nothing fetched) into `out`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(data, lang), encoding="utf-8")
    return out


__all__ = ["ingested", "write_report"]
