"""The retro-hunt over flows gives the same findings on DuckDB and on Spark (local mode)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from tests.detect.intel.test_intel_hunt import T0, indicators
from tests.detect.network.flowdata import Flows
from tests.detect.network.test_spark_equality import spark  # noqa: F401 (the fixture)

from rempart.detect.intel import hunt
from rempart.store import Store
from rempart.store import intel as ioc_store
from rempart.store.engine import Engine

pytestmark = pytest.mark.slow


def test_duckdb_and_spark_agree(spark: Any, tmp_path: Path) -> None:  # noqa: F811
    f = Flows()
    f.background(1)
    for k in range(4):
        f.add(10 + k * 30, "10.1.0.7", "203.0.113.66", 443)
    f.add(12, "10.1.0.8", "203.0.113.66", 80)
    f.add(13, "198.51.100.20", "10.1.0.30", 3389)
    path = tmp_path / "network_flow.parquet"
    table = f.table()
    pq.write_table(table, path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spark.read.parquet(str(path)).createOrReplaceTempView("network_flow")
    with Store.memory() as store:
        store.append("network_flow", table)
        ioc_store.merge_indicators(
            store, indicators(("ip", "203.0.113.66:443"), ("cidr", "198.51.100.0/27"))
        )
        iocs = ioc_store.hunt_table(store, T0)
        results = []
        for engine in (Engine.for_store(store), Engine.for_spark(spark)):
            found = hunt(engine, iocs, ["network_flow"])
            engine.close()
            results.append(sorted(found, key=lambda x: (x.entity, x.title)))
    on_duck, on_spark = results
    assert [(x.entity, x.evidence_count) for x in on_duck] == [("10.1.0.30", 1), ("10.1.0.7", 4)]
    for a, b in zip(on_duck, on_spark, strict=True):
        diff = {k: (v, getattr(b, k)) for k, v in vars(a).items() if getattr(b, k) != v}
        assert not diff, diff


def test_http_tls_dns_hunt_agrees_on_spark(spark: Any, tmp_path: Path) -> None:  # noqa: F811
    from tests.detect.intel.test_intel_http import IOCS, write_logs

    from rempart.ingest.files import ingest_file

    with Store.memory() as store:
        for path in write_logs(tmp_path):
            ingest_file(store, path)
        table = store.sql("SELECT * FROM network_event")
        path = tmp_path / "network_event.parquet"
        pq.write_table(table, path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            spark.read.parquet(str(path)).createOrReplaceTempView("network_event")
        ioc_store.merge_indicators(store, indicators(*IOCS))
        iocs = ioc_store.hunt_table(store, T0)
        results = []
        for engine in (Engine.for_store(store), Engine.for_spark(spark)):
            found = hunt(engine, iocs, ["network_event"])
            engine.close()
            results.append(sorted(found, key=lambda x: (x.entity, x.title)))
    on_duck, on_spark = results
    assert len(on_duck) == 13
    for a, b in zip(on_duck, on_spark, strict=True):
        diff = {k: (v, getattr(b, k)) for k, v in vars(a).items() if getattr(b, k) != v}
        assert not diff, diff
