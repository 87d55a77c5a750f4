"""`rempart devices`: JSON rendering, and the error without a hospital model."""

from __future__ import annotations

import json
from pathlib import Path

from tests.app.test_devices import HOSPITAL, _flow
from typer.testing import CliRunner

from rempart.cli import app
from rempart.core.errors import ConfigError


def test_devices_json_and_missing_model(tmp_path: Path) -> None:
    import pyarrow as pa

    from rempart.schema import NETWORK_FLOW
    from rempart.store import Store

    ws = tmp_path / "ws"
    ws.mkdir()
    res = CliRunner().invoke(app, ["devices", "--workspace", str(ws)])
    assert res.exit_code != 0 and isinstance(res.exception, ConfigError)
    (ws / "hospital.yaml").write_text(HOSPITAL, encoding="utf-8")
    from datetime import UTC, datetime

    with Store(ws / "rempart.duckdb") as store:
        rows = [_flow(1, "203.0.113.50", 443, datetime(2024, 1, 1, tzinfo=UTC))]
        store.append("network_flow", pa.Table.from_pylist(rows, schema=NETWORK_FLOW))
    out = CliRunner().invoke(app, ["devices", "--workspace", str(ws), "--format", "json"])
    assert out.exit_code == 0, out.output
    assert [(r["peer"], r["concern"]) for r in json.loads(out.output)] == [
        ("203.0.113.50", "internet")
    ]
