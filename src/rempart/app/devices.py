"""Medical devices' connections, and those that may not be needed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rempart.app.session import Session
from rempart.detect.network.medical import device_connections
from rempart.store.engine import Engine

COLUMNS = ("device", "hostname", "device_zone", "peer", "port", "flows", "bytes", "concern")


@dataclass(frozen=True)
class DeviceConnections:
    columns: tuple[str, ...]  # those of COLUMNS the result has, in that order
    rows: tuple[dict[str, Any], ...]


def devices(workspace: Path | str | None, *, all_rows: bool = False) -> DeviceConnections:
    """`rempart devices`: the connections with a concern (every one with `all_rows`)."""
    with Session.writer(workspace) as session:
        hospital = session.require_hospital("a hospital.yaml is needed to know the devices")
        engine = Engine.for_store(session.store)
        try:
            table = device_connections(engine, hospital)
        finally:
            engine.close()
    rows = tuple(
        {c: r.get(c) for c in COLUMNS if c in r}
        for r in table.to_pylist()
        if all_rows or r.get("concern") is not None
    )
    return DeviceConnections(tuple(c for c in COLUMNS if c in table.column_names), rows)


__all__ = ["COLUMNS", "DeviceConnections", "devices"]
