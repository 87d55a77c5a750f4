"""Small synthetic flow tables for the network detector tests (built in the tests)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa

from rempart.schema import EVENT_CLASSES
from rempart.store import Store

T0 = datetime(2019, 3, 11, 6, 0, tzinfo=UTC)


class Flows:
    """Collects flows as columns, then appends them to a store in one Arrow table."""

    def __init__(self) -> None:
        self.rows: list[dict[str, object]] = []

    def add(
        self,
        minute: float,
        src: str,
        dst: str,
        port: int,
        *,
        ok: bool = True,
        proto: str = "tcp",
        service: str | None = None,
        bytes_out: int = 100,
    ) -> None:
        n = len(self.rows)
        self.rows.append(
            {
                "time": T0 + timedelta(minutes=minute),
                "src_ip": src,
                "src_port": 40000 + n % 20000,
                "dst_ip": dst,
                "dst_port": port,
                "protocol": proto,
                "service": service,
                "bytes_out": bytes_out,
                "bytes_in": 200 if ok else 0,
                "conn_state": "SF" if ok else "S0",
                "status": "success" if ok else "failure",
                "event_uid": f"t:{n + 1}",
                "source_file": "synthetic",
                "source_line": n + 1,
                "source_format": "test",
            }
        )

    def background(self, hours: float = 3.0) -> None:
        """Ordinary clients reaching a few servers all along, so time spans a morning."""
        for i in range(int(hours * 6)):
            for c in range(1, 6):
                self.add(i * 10, f"10.1.0.{c}", "10.9.0.10", 445)
                self.add(i * 10 + 1, f"10.1.0.{c}", "93.184.216.34", 443)

    def table(self) -> pa.Table:
        return pa.Table.from_pylist(self.rows, schema=EVENT_CLASSES["network_flow"])

    def store(self) -> Store:
        store = Store.memory()
        store.append("network_flow", self.table())
        return store
