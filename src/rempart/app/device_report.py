"""Medical devices' connections for the console, read-only (`rempart devices` opens the store
as a writer; a page must not). The query scans the flows: its result is kept until the store
or the hospital model changes (`rempart.app.webcache`)."""

from __future__ import annotations

from pathlib import Path

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


__all__ = ["device_report"]
