from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

import rempart.twin.traffic as traffic
from rempart.ingest.files import FileStatus, ingest_file
from rempart.model import Hospital
from rempart.store import Store
from rempart.twin.hospital import generate_hospital
from rempart.twin.traffic import CONN_FIELDS, attack_flows, write_conn_log

START = datetime(2019, 3, 11, tzinfo=UTC)


@pytest.fixture(scope="module")
def small() -> Hospital:
    return generate_hospital(machines=400, seed=2)


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_same_seed_same_bytes(small: Hospital, tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.log", tmp_path / "b.log", tmp_path / "c.log"
    assert write_conn_log(small, a, start=START, rows=5000, seed=1) == 5000
    write_conn_log(small, b, start=START, rows=5000, seed=1)
    write_conn_log(small, c, start=START, rows=5000, seed=2)
    assert _sha(a) == _sha(b) != _sha(c)
    lines = a.read_text().splitlines()
    assert lines[0] == "#separator \\x09"
    assert [ln.split("\t")[0] for ln in lines[:8]] == [
        "#separator \\x09", "#set_separator", "#empty_field", "#unset_field", "#path",
        "#open", "#fields", "#types",
    ]  # fmt: skip
    assert lines[6].split("\t")[1:] == list(CONN_FIELDS)
    assert lines[-1].startswith("#close\t2019-03-12-00-00-00")
    assert all(len(ln.split("\t")) == len(CONN_FIELDS) for ln in lines[8:-1])


def test_ingests_with_zero_rejects_and_realistic_content(
    small: Hospital, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pc = next(a for a in small.assets if a.zone == "bat-c")
    worm = attack_flows(
        [START.timestamp() + 3600 * 9 + k for k in range(3)],
        [pc.ip or ""] * 3,
        ["10.22.0.250", "10.22.0.251", "10.23.0.9"],
        [445, 445, 445],
        ["SF", "S0", "S0"],
        service="smb",
    )
    path = tmp_path / "conn.log"
    # several chunks, to cover the windowed writer and the merge of extra flows
    monkeypatch.setattr(traffic, "CHUNK_ROWS", 7000)
    n = write_conn_log(small, path, start=START, rows=30_000, seed=5, extra=worm)
    assert n == 30_003
    store = Store.memory()
    res = ingest_file(store, path)
    assert res.status is FileStatus.INGESTED
    assert (res.records, res.rejected) == (30_003, 0)
    rows = store.sql(
        "SELECT count(*) AS n, min(time) AS lo, max(time) AS hi, "
        "count(*) FILTER (WHERE status = 'failure') AS failed, "
        "count(*) FILTER (WHERE dst_port = 88) AS krb, "
        "count(*) FILTER (WHERE dst_port = 104) AS dicom, "
        "count(*) FILTER (WHERE dst_ip = '198.51.100.20') AS treasury, "
        "count(*) FILTER (WHERE hour(time) BETWEEN 8 AND 15) AS day, "
        "count(*) FILTER (WHERE hour(time) < 4) AS night FROM network_flow"
    ).to_pylist()[0]
    assert rows["lo"].date() == rows["hi"].date() == START.date()
    assert 0.005 * n < rows["failed"] < 0.1 * n
    assert min(rows["krb"], rows["dicom"], rows["treasury"]) > 0
    assert rows["day"] > 4 * rows["night"]
    times = store.sql("SELECT time FROM network_flow ORDER BY source_line").column(0).to_pylist()
    assert times == sorted(times)
    got = store.sql(
        f"SELECT dst_ip, conn_state FROM network_flow WHERE src_ip = '{pc.ip}' "
        "AND dst_port = 445 AND time = TIMESTAMP '2019-03-11 09:00:01'"
    ).to_pylist()
    assert got == [{"dst_ip": "10.22.0.251", "conn_state": "S0"}]


def test_attack_flows_with_unknown_state_are_refused(small: Hospital, tmp_path: Path) -> None:
    bad = attack_flows([START.timestamp()], ["10.22.0.1"], ["10.22.0.2"], [445], ["BOGUS"])
    with pytest.raises(ValueError, match="state"):
        write_conn_log(small, tmp_path / "x.log", start=START, rows=10, seed=0, extra=bad)


def test_public_names_exist() -> None:
    import rempart.twin as twin

    assert sorted(twin.__all__) == sorted(set(twin.__all__))
    for name in twin.__all__:
        assert getattr(twin, name) is not None
