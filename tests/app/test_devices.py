from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa

from rempart.app.devices import devices
from rempart.schema import NETWORK_FLOW
from rempart.store import Store

HOSPITAL = """hospital: {name: CH Test}
zones:
  - {id: biomed, name: Biomédical, kind: medical, cidrs: [10.40.0.0/16]}
  - {id: dc, name: Serveurs, kind: server, cidrs: [10.10.0.0/16]}
assets:
  - {hostname: pompe-1, ip: 10.40.0.5, zone: biomed, kind: medical_device}
  - {hostname: pacs, ip: 10.10.0.4, zone: dc, kind: server, role: pacs}
"""


def _flow(i: int, dst: str, port: int, t: datetime) -> dict[str, object]:
    return {
        "time": t, "src_ip": "10.40.0.5", "src_port": 40000 + i, "dst_ip": dst,
        "dst_port": port, "protocol": "tcp", "status": "success", "conn_state": "SF",
        "bytes_out": 100, "bytes_in": 100, "event_uid": f"f:{i}", "source_file": "f",
        "source_line": i, "source_format": "test",
    }  # fmt: skip


def test_devices_lists_the_internet_connection_only(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "hospital.yaml").write_text(HOSPITAL, encoding="utf-8")
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    rows = [_flow(i, "10.10.0.4", 104, t0 + timedelta(hours=i)) for i in range(30)]
    rows.append(_flow(99, "203.0.113.50", 443, t0 + timedelta(hours=40)))
    with Store(ws / "rempart.duckdb") as store:
        store.append("network_flow", pa.Table.from_pylist(rows, schema=NETWORK_FLOW))
    found = devices(ws).rows
    assert [(r["peer"], r["concern"]) for r in found] == [("203.0.113.50", "internet")]
    everything = devices(ws, all_rows=True).rows
    assert {r["peer"] for r in everything} == {"203.0.113.50", "10.10.0.4"}
