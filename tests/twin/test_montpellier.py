from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from rempart.ingest.files import FileStatus, ingest_file
from rempart.model import Hospital
from rempart.store import Store
from rempart.twin.hospital import generate_hospital
from rempart.twin.scenarios.montpellier import (
    FIRST_INFECTION,
    ScenarioFiles,
    load_ground_truth,
    write_montpellier,
)

ROWS = 20_000


@pytest.fixture(scope="module")
def small() -> Hospital:
    return generate_hospital(machines=400, seed=1)


@pytest.fixture(scope="module")
def files(small: Hospital, tmp_path_factory: pytest.TempPathFactory) -> ScenarioFiles:
    return write_montpellier(small, tmp_path_factory.mktemp("a"), seed=3, rows=ROWS, runs=40)


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_same_seed_same_bytes(small: Hospital, files: ScenarioFiles, tmp_path: Path) -> None:
    again = write_montpellier(small, tmp_path, seed=3, rows=ROWS, runs=40)
    for a, b in (
        (files.mailbox, again.mailbox),
        (files.conn_log, again.conn_log),
        (files.ground_truth_path, again.ground_truth_path),
    ):
        assert _sha(a) == _sha(b), a.name
    assert again.ground_truth == files.ground_truth


def test_ground_truth_is_consistent(small: Hospital, files: ScenarioFiles) -> None:
    gt = files.ground_truth
    assert load_ground_truth(files.ground_truth_path) == gt
    assets = {a.hostname: a for a in small.assets}
    pz = gt.patient_zero
    assert pz == gt.infected[0]
    assert pz.infected_at == FIRST_INFECTION
    assert assets[pz.hostname].user == pz.user
    assert pz.user in gt.phishing.recipients
    assert len(gt.phishing.recipients) > 1
    assert len(gt.infected) > 1
    times = [h.infected_at for h in gt.infected]
    assert times == sorted(times)
    for h in gt.infected:
        assert assets[h.hostname].zone == h.zone
        assert assets[h.hostname].ip == h.ip
        assert "Windows" in (assets[h.hostname].os or "")
    assert sum(n for _, n in gt.by_zone) == len(gt.infected)
    data = json.loads(files.ground_truth_path.read_text(encoding="utf-8"))
    assert data["totals"]["infected"] == len(gt.infected)
    assert data["historical_response"]["isolated_zones"]


def test_conn_log_ingests_with_the_worm(files: ScenarioFiles) -> None:
    store = Store.memory()
    res = ingest_file(store, files.conn_log)
    assert res.status is FileStatus.INGESTED
    assert res.rejected == 0
    assert res.records > ROWS
    gt = files.ground_truth
    pz = gt.patient_zero.ip
    probes = store.sql(
        f"SELECT count(*) AS n, count(DISTINCT dst_ip) AS peers, "
        f"count(*) FILTER (WHERE conn_state = 'S0') AS s0 FROM network_flow "
        f"WHERE src_ip = '{pz}' AND dst_port = 445"
    ).to_pylist()[0]
    assert probes["peers"] > 30
    assert probes["s0"] > probes["n"] / 3  # most probes hit empty addresses
    infected = {h.ip for h in gt.infected[1:]}
    sessions = (
        store.sql(
            "SELECT DISTINCT dst_ip FROM network_flow WHERE dst_port = 445 AND conn_state = 'SF' "
            "AND bytes_out > 300000 AND dst_ip NOT LIKE '10.10.%'"
        )
        .column(0)
        .to_pylist()
    )
    assert set(sessions) == infected
    isolation = gt.isolation_at.replace(tzinfo=None)
    zones_after = store.sql(
        "SELECT count(*) FILTER (WHERE conn_state <> 'S0') AS ok, count(*) AS n "
        "FROM network_flow WHERE dst_port = 445 AND substr(src_ip, 1, 6) <> substr(dst_ip, 1, 6) "
        f"AND src_ip LIKE '10.2%' AND dst_ip LIKE '10.2%' AND time > TIMESTAMP '{isolation}'"
        " AND bytes_out < 300000"
    ).to_pylist()[0]
    assert zones_after["n"] > 0
    assert zones_after["ok"] == 0  # after isolation every cross-building probe is dropped


def test_mailbox_ingests_with_the_phishing(files: ScenarioFiles) -> None:
    store = Store.memory()
    res = ingest_file(store, files.mailbox)
    assert (res.source, res.rejected) == ("mbox", 0)
    assert res.records > 250
    gt = files.ground_truth
    rows = store.sql(
        "SELECT * FROM email WHERE message_id = ?", params=[gt.phishing.message_id]
    ).to_pylist()
    assert len(rows) == 1
    ph = rows[0]
    assert ph["subject"] == gt.phishing.subject
    assert set(ph["to_addrs"]) == set(gt.phishing.recipients)
    assert ph["reply_to"] != ph["from_addr"]
    assert "spf=fail" in ph["auth_results"]
    assert "dmarc=fail" in ph["auth_results"]
    assert gt.phishing.url in ph["urls"]
    assert [a["name"] for a in ph["attachments"]] == [gt.phishing.attachment]
    others = store.sql("SELECT count(*) FROM email WHERE auth_results LIKE '%spf=fail%'")
    assert others.column(0).to_pylist() == [1]
