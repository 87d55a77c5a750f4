"""Medical devices' connections for the console, read-only (`rempart devices` opens the store
as a writer; a page must not). The query scans the flows: its result is kept per version of
the store file (a new ingest changes it) and of the hospital model."""

from __future__ import annotations

import threading
from pathlib import Path

from rempart.app.devices import COLUMNS, DeviceConnections
from rempart.app.webread import reading
from rempart.detect.network.medical import device_connections
from rempart.store import Workspace
from rempart.store.engine import Engine

_cache: dict[tuple[str, bool], tuple[tuple[float, float], DeviceConnections]] = {}
_lock = threading.Lock()


def _version(root: Path) -> tuple[float, float]:
    ws = Workspace.at(root, create=False)
    db = ws.db_path.stat().st_mtime if ws.db_path.exists() else 0.0
    model = ws.hospital_path.stat().st_mtime if ws.hospital_path.exists() else 0.0
    return (db, model)


def device_report(workspace: Path | str, *, all_rows: bool = False) -> DeviceConnections:
    root = Workspace.at(workspace, create=False).root
    key, version = (str(root), all_rows), _version(root)
    with _lock:
        hit = _cache.get(key)
    if hit is not None and hit[0] == version:
        return hit[1]
    found = _device_report(root, all_rows)
    with _lock:
        _cache[key] = (version, found)
    return found


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
