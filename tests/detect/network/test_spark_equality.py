"""The same network detectors on DuckDB and on Spark (local mode) give the same alerts.

The flows are written to Parquet and read by Spark, as a regional SOC's lake would be.
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from tests.detect.network.flowdata import Flows
from tests.detect.network.test_border_detectors import beacon, probes
from tests.detect.network.test_network_detectors import hospital, spread_flows, worm

from rempart.detect.network.c2 import detect_c2
from rempart.detect.network.fanout import detect_udp_fanout
from rempart.detect.network.inbound import detect_exposed, detect_inbound
from rempart.detect.network.lateral import detect_lateral
from rempart.detect.network.medical import detect_medical
from rempart.detect.network.nets import NetParams, prepare
from rempart.detect.network.outbound import detect_outbound
from rempart.detect.network.policy import detect_policy
from rempart.detect.network.scan import detect_scans
from rempart.detect.network.spread import tree_findings
from rempart.detect.network.tree import spread_from_engine
from rempart.store.engine import Engine

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    if shutil.which("java") is None:
        pytest.skip("Java is not installed: Spark cannot start")
    pyspark_sql = pytest.importorskip("pyspark.sql")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        session = (
            pyspark_sql.SparkSession.builder.master("local[1]")
            .appName("rempart-test")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "1")
            .config("spark.default.parallelism", "1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.driver.host", "127.0.0.1")
            .getOrCreate()
        )
        session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def mixed_flows() -> Flows:
    f = spread_flows()
    for i in range(30):
        f.add(60 + i * 0.05, "10.1.0.66", f"10.1.2.{i + 1}", 445, ok=(i % 10 == 0))
    for port in range(20, 40):
        f.add(70 + port * 0.01, "203.0.113.9", "10.9.0.10", port, ok=False)
    worm(f, "10.9.0.10", 100, [f"10.1.7.{i}" for i in range(2, 40)])
    f.add(30, "10.1.0.4", "10.2.0.9", 445, ok=False)
    f.add(31, "10.5.0.7", "8.8.4.4", 443)
    f.add(33, "10.1.0.4", "198.51.100.7", 21)
    f.add(150, "10.5.0.7", "10.1.0.99", 22)
    # border: probes from the internet, a prober's RDP sessions, a dead C&C and a beacon
    # (whole seconds: Spark's epoch has no fraction)
    probes(f, "10.1.0.30", 6)
    for k in range(3):
        f.add(50 + k, "203.0.113.2", "10.1.0.30", 3389)
    beacon(f, "10.1.0.7", "41.108.179.197", 1177, every=1.0, n=40, ok=False, jitter=False)
    beacon(f, "10.1.0.8", "45.33.2.79", 8443, every=5.0, n=40)
    for i in range(6):  # spam and a flood, judged with small thresholds below
        f.add(200 + i * 0.5, "10.1.0.40", f"198.18.0.{i + 1}", 25)
    for k in range(40):
        f.add(210 + k / 60, "10.1.0.41", "192.0.2.200", 80, ok=k % 3 == 0)
    for i in range(25):  # a peer-to-peer bot's UDP fan-out to high ports
        f.add(230 + i / 6, "10.1.0.42", f"203.0.114.{i + 1}", 16471, proto="udp", ok=i % 4 == 0)
    return f


def test_duckdb_and_spark_agree(spark: Any, tmp_path: Path) -> None:
    flows = mixed_flows()
    path = tmp_path / "network_flow.parquet"
    pq.write_table(flows.table(), path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spark.read.parquet(str(path)).createOrReplaceTempView("network_flow")
    params = NetParams()
    model = hospital()
    duck = Engine.for_store(flows.store())
    lake = Engine.for_spark(spark)
    results = []
    trees = []
    for engine in (duck, lake):
        prepare(engine, model, params)
        found = []
        for detect in (
            detect_scans, detect_lateral, detect_policy, detect_medical,
            detect_inbound, detect_exposed, detect_c2, detect_udp_fanout,
        ):  # fmt: skip
            found.extend(detect(engine, model, params))
        small = NetParams(spam_min_servers=5, flood_min_conns=30)
        found.extend(detect_outbound(engine, model, small))
        tree = spread_from_engine(engine, model, params)
        found.extend(tree_findings(tree))
        trees.append(tree)
        results.append(sorted(found, key=lambda x: (x.detector, x.entity, x.title)))
        engine.close()
    on_duck, on_spark = results
    assert len(on_duck) >= 10
    assert {x.detector for x in on_duck} == {
        "network_scan", "lateral_spread", "spread_tree", "zone_policy", "medical_exposure",
        "inbound_probe", "exposed_service", "c2_beacon", "outbound_abuse", "udp_fanout",
    }  # fmt: skip
    assert on_duck == on_spark
    assert trees[0] == trees[1]
    assert trees[0].patient_zero == "10.1.0.50"
