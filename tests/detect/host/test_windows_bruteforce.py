"""Windows failures against the machine's own habits: a quiet server's burst counts."""

from __future__ import annotations

import json
from pathlib import Path

from rempart.detect import DetectContext
from rempart.detect.host.windows_auth import WindowsBruteForce
from rempart.ingest.files import ingest_file
from rempart.store import Store


def _events(tmp_path: Path, stamps: list[str], code: int = 4625) -> Store:
    rows = [
        {"Hostname": "SQL1", "Channel": "Security", "EventID": code, "@timestamp": s,
         "TargetUserName": "sa", "IpAddress": "10.0.0.5", "Status": "0xc000006d"}
        for s in stamps
    ]  # fmt: skip
    path = tmp_path / "sql1.json"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    store = Store.memory()
    ingest_file(store, path)
    return store


def test_burst_against_the_baseline(tmp_path: Path) -> None:
    usual = [f"2026-01-01T{h:02d}:10:00Z" for h in range(1, 6)]  # one a hour
    burst = [f"2026-01-01T08:{m:02d}:00Z" for m in range(6)]  # six in one hour
    found = WindowsBruteForce().run(DetectContext(_events(tmp_path, usual + burst)))
    assert [(f.entity, f.evidence_count) for f in found] == [("SQL1", 6)]
    assert found[0].params["usual"] == "1.0"


def test_a_steady_rate_is_not_a_burst(tmp_path: Path) -> None:
    steady = [f"2026-01-01T{h:02d}:{m:02d}:00Z" for h in range(1, 6) for m in (0, 20, 40)]
    assert WindowsBruteForce().run(DetectContext(_events(tmp_path, steady))) == []
