"""The addresses Zeek marked local (`local_orig` / `local_resp`) are internal to
`rempart.app.detect`: a capture of a network numbered in public space is judged without
`--internal`, as the sensor's own configuration says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.sources.test_source_variants import STD, zeek_log

from rempart.app.alerts import alerts
from rempart.app.detect import detect
from rempart.detect.network.nets import RFC1918
from rempart.ingest.files import ingest_file
from rempart.store import Store, Workspace

DEVICE = "147.32.81.167"  # a monitored device with a public address


def _probed_rows() -> list[dict[str, str]]:
    """Thirty internet sources knocking on the device's telnet, never answered; the device's
    own traffic out, marked local by the sensor; an internal host behind NAT."""
    rows = []
    for i in range(30):
        rows.append({"ts": f"{1552291200 + i * 10}.0", "uid": f"P{i}",
                     "id.orig_h": f"198.51.100.{i + 1}", "id.orig_p": str(40000 + i),
                     "id.resp_h": DEVICE, "id.resp_p": "23", "service": "-",
                     "conn_state": "S0", "local_orig": "F", "local_resp": "T",
                     "orig_bytes": "0", "resp_bytes": "0", "history": "S"})  # fmt: skip
    rows.append({"ts": "1552291600.0", "uid": "O1", "id.orig_h": DEVICE,
                 "id.resp_h": "93.184.216.34", "id.resp_p": "443", "local_orig": "T",
                 "local_resp": "F"})  # fmt: skip
    rows.append({"ts": "1552291601.0", "uid": "O2", "id.orig_h": "192.168.1.7",
                 "id.resp_h": "93.184.216.34", "id.resp_p": "443", "local_orig": "T",
                 "local_resp": "F"})  # fmt: skip
    return rows


def test_tsv_and_json_conn_logs_keep_what_the_sensor_marked_local(tmp_path: Path) -> None:
    tsv = tmp_path / "conn.log"
    tsv.write_text(zeek_log(STD, _probed_rows()), encoding="utf-8")
    records = []
    for r in _probed_rows():
        rec = {k: r.get(k) for k in ("ts", "uid", "id.orig_h", "id.resp_h", "conn_state")}
        local = {"local_orig": r["local_orig"] == "T", "local_resp": r["local_resp"] == "T"}
        rec |= {"ts": float(r["ts"]), "proto": "tcp", "id.orig_p": 1, "id.resp_p": 23, **local}
        records.append(rec)
    dotted = tmp_path / "conn.json"
    dotted.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    nested = tmp_path / "nested.json"
    nested.write_text(
        "".join(
            json.dumps({
                "id": {"orig_h": r["id.orig_h"], "orig_p": 1, "resp_h": r["id.resp_h"],
                       "resp_p": 23},
                **{k: v for k, v in r.items() if not k.startswith("id.")},
            }) + "\n"
            for r in records
        ),
        encoding="utf-8",
    )  # fmt: skip
    for path in (tsv, dotted, nested):
        with Store.memory() as store:
            res = ingest_file(store, path)
            assert res.records == 32, (path.name, res)
            assert store.sensor_local_ranges(RFC1918) == (f"{DEVICE}/32",), path.name
            # inside the ranges already in force, nothing is added
            assert store.sensor_local_ranges((*RFC1918, "147.32.0.0/16")) == ()


@pytest.mark.parametrize("sensor_local", [True, False])
def test_detect_judges_the_device_the_sensor_monitors(tmp_path: Path, sensor_local: bool) -> None:
    ws = Workspace.at(tmp_path / "ws")
    log = tmp_path / "conn.log"
    log.write_text(zeek_log(STD, _probed_rows()), encoding="utf-8")
    with Store(ws.db_path) as store:
        ingest_file(store, log)
    result = detect(ws.root, sensor_local=sensor_local)
    probed = [a for a in alerts(ws.root) if a.detector == "inbound_probe" and a.entity == DEVICE]
    if sensor_local:
        assert f"{DEVICE}/32" in result.sensor_local
        assert probed
    else:
        assert result.sensor_local == ()
        assert not probed


def test_detect_says_when_no_address_is_internal(tmp_path: Path) -> None:
    rows = [
        {**r, "local_orig": "F", "local_resp": "F"}
        for r in _probed_rows()
        if not r["id.orig_h"].startswith("192.168.")
    ]
    ws = Workspace.at(tmp_path / "ws")
    log = tmp_path / "conn.log"
    log.write_text(zeek_log(STD, rows), encoding="utf-8")
    with Store(ws.db_path) as store:
        ingest_file(store, log)
    result = detect(ws.root)
    assert result.none_internal and result.addresses == 32
    assert not detect(ws.root, internal=["147.32.0.0/16"]).none_internal
    ws2 = Workspace.at(tmp_path / "ws2")
    log.write_text(zeek_log(STD, _probed_rows()), encoding="utf-8")
    with Store(ws2.db_path) as store:
        ingest_file(store, log)
    assert not detect(ws2.root, sensor_local=False).none_internal
