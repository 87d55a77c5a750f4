"""EVTX and JSON sources on the public corpora (skipped when ../shared/data is absent)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from rempart.ingest.files import FileStatus, ingest_file
from rempart.sources import sniff
from rempart.sources.winevent import EvtxSource, WinJsonSource
from rempart.store import Store

pytestmark = pytest.mark.corpus


def _evtx(shared_data: Path) -> Path:
    path = shared_data / "evtx_attack_samples" / "Execution" / "exec_msxsl_xsl_sysmon_1_7.evtx"
    if not path.exists():
        pytest.skip("evtx_attack_samples corpus absent")
    return path


def test_evtx_counts_and_one_exact_record(shared_data: Path) -> None:
    path = _evtx(shared_data)
    assert isinstance(sniff(path), EvtxSource)
    store = Store.memory()
    res = ingest_file(store, path)
    assert res.status is FileStatus.INGESTED
    assert res.records == store.count("process") > 0
    assert res.rejected == 0
    row = store.sql(
        "SELECT host, channel, event_code, image, fields['EventID'] AS eid FROM process "
        "WHERE event_code = 1 ORDER BY record_id LIMIT 1"
    ).to_pylist()[0]
    assert row["channel"] == "Microsoft-Windows-Sysmon/Operational"
    assert row["eid"] == "1"
    assert row["image"].lower().endswith(".exe")


def test_corrupted_evtx_warns_and_reads_the_rest(shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / "evtx_attack_samples" / "Lateral Movement" / "LM_5145_Remote_FileCopy.evtx"
    if not path.exists():
        pytest.skip("evtx_attack_samples corpus absent")
    good = Store.memory()
    total = ingest_file(good, path).records
    data = bytearray(path.read_bytes())
    # Damage the middle of the first chunk's records (after the 4 KiB file header).
    for i in range(4096 + 1024, 4096 + 1024 + 600):
        data[i] = 0xFF
    bad = tmp_path / "damaged.evtx"
    bad.write_bytes(bytes(data))
    store = Store.memory()
    res = ingest_file(store, bad)
    assert res.status is FileStatus.INGESTED
    assert res.rejected >= 1
    assert any("damaged EVTX" in reason for reason, _ in res.reasons)
    assert 0 < res.records < total


def test_otrf_zip_json_lines(shared_data: Path, tmp_path: Path) -> None:
    path = (
        shared_data
        / "otrf_security_datasets"
        / "atomic"
        / "windows"
        / "lateral_movement"
        / "host"
        / "covenant_copy_smb_CreateRequest.zip"
    )
    if not path.exists():
        pytest.skip("otrf_security_datasets corpus absent")
    assert isinstance(sniff(path), WinJsonSource)
    store = Store.memory()
    res = ingest_file(store, path)
    assert res.records == 506  # manifest.csv: 506 records
    assert store.sql("SELECT count(DISTINCT host) AS n FROM process").to_pylist()[0]["n"] >= 1


def test_json_lines_bad_line_rejected(tmp_path: Path) -> None:
    ev = {
        "@timestamp": "2020-12-19T06:59:28.410Z",
        "Hostname": "PC1",
        "Channel": "Security",
        "EventID": 4625,
        "TargetUserName": "bob",
        "IpAddress": "10.0.0.5",
    }
    path = tmp_path / "events.json"
    path.write_text(json.dumps(ev) + "\n{not json\n" + json.dumps(ev) + "\n", encoding="utf-8")
    zpath = tmp_path / "events.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.write(path, "events.json")
    for p in (path, zpath):
        store = Store.memory()
        res = ingest_file(store, p, source=WinJsonSource())
        assert (res.records, res.rejected) == (2, 1)
        row = store.sql("SELECT host, event_code, source_line FROM process LIMIT 1").to_pylist()
        assert row == [{"host": "PC1", "event_code": 4625, "source_line": 1}]


def test_collection_folder_names_the_hosts(shared_data: Path, tmp_path: Path) -> None:
    from rempart.app.triage import triage

    src = (
        shared_data
        / "evtx_attack_samples"
        / "Defense Evasion"
        / "DE_1102_security_log_cleared.evtx"
    )
    if not src.exists():
        pytest.skip("evtx_attack_samples corpus absent")
    (tmp_path / "PC-URG-01").mkdir()
    (tmp_path / "PC-URG-01" / "Security.evtx").write_bytes(src.read_bytes())
    res = triage([tmp_path], hosts_from_folders=True)
    assert [(v.host, v.verdict) for v in res.hosts] == [("PC-URG-01", "suspicious")]
    assert res.hits[0].rule_id == "6f0c1d2e-7a51-4c1b-9a77-2b1f0e3c4a06"  # log cleared
