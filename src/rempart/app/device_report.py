"""Medical devices' connections for the console, read-only (`rempart devices` opens the store
as a writer; a page must not). The query scans the flows: its result is kept until the store
or the hospital model changes (`rempart.app.webcache`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rempart.app.devices import COLUMNS, DeviceConnections
from rempart.app.webcache import memo
from rempart.app.webread import reading
from rempart.detect.network.medical import device_connections
from rempart.store.engine import Engine


def device_report(workspace: Path | str, *, all_rows: bool = False) -> DeviceConnections:
    return memo(
        workspace,
        "device_report",
        all_rows,
        lambda: _device_report(Path(workspace), all_rows),
        depends=("store", "model"),
    )


PAGE_SIZE = 100


@dataclass(frozen=True)
class DevicePage:
    """One page of the report: the page stays bounded however many connections there are."""

    columns: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]
    total: int
    page: int
    pages: int


def device_page(workspace: Path | str, *, all_rows: bool = False, page: int = 1) -> DevicePage:
    """`device_report`, PAGE_SIZE connections at a time (most concerning first, as the report
    orders them)."""
    found = device_report(workspace, all_rows=all_rows)
    total = len(found.rows)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    lo = (page - 1) * PAGE_SIZE
    return DevicePage(found.columns, found.rows[lo : lo + PAGE_SIZE], total, page, pages)


def _device_report(workspace: Path, all_rows: bool) -> DeviceConnections:
    with reading(workspace) as r:
        if r.store is None or r.hospital is None:
            return DeviceConnections((), ())
        engine = Engine.for_store(r.store)
        try:
            table = device_connections(engine, r.hospital)
        finally:
            engine.close()
    rows = tuple(
        {c: x.get(c) for c in COLUMNS if c in x}
        for x in table.to_pylist()
        if all_rows or x.get("concern") is not None
    )
    return DeviceConnections(tuple(c for c in COLUMNS if c in table.column_names), rows)


__all__ = ["PAGE_SIZE", "DevicePage", "device_page", "device_report"]
