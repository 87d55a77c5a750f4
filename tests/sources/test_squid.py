"""Squid access.log (native format) as `network_event` rows of kind `proxy`: counts,
rejects with their reasons, one exact record."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.sources.harness import ingest_sample

LINES = [
    "1552291200.123    532 10.2.3.4 TCP_TUNNEL/200 4521 CONNECT 203.0.113.66:443 - "
    "HIER_DIRECT/203.0.113.66 -",
    "1552291260.456     87 10.2.3.5 TCP_MISS/200 1432 GET http://Dl.example:8080/a.zip?x=1 "
    "- HIER_DIRECT/198.51.100.7 application/zip",
    "1552291261.000      0 10.2.3.6 NONE_NONE/503 0 CONNECT c2.example:443 - HIER_NONE/- text/html",
    "1552291262.000     12 10.2.3.7 TCP_MISS/200 10 GET http://[2001:db8::1]/x - "
    "HIER_DIRECT/2001:db8::1 text/plain",
    "this is not squid",
    "yesterday 12 10.2.3.7 TCP_MISS/200 10 GET http://a.example/ - HIER_DIRECT/1.2.3.4 -",
    "",
]


def test_squid_access_log(tmp_path: Path) -> None:
    got = ingest_sample(tmp_path, "access.log", "\n".join(LINES) + "\n")
    assert got.ok
    assert got.result.source == "squid_access"
    assert got.counts == (4, 2)
    assert got.reasons == {"not a squid access.log line": 1, "no timestamp": 1}
    assert got.reject_lines == [5, 6]
    rows = got.rows("network_event")
    assert [r["kind"] for r in rows] == ["proxy"] * 4
    get = got.record("network_event", source_line=2)
    assert {k: get[k] for k in ("time", "src_ip", "dst_ip", "dst_port", "name", "detail",
                                 "status", "url", "app_proto")} == {
        "time": datetime(2019, 3, 11, 8, 1, 0, 456000, tzinfo=UTC),
        "src_ip": "10.2.3.5", "dst_ip": "198.51.100.7", "dst_port": 8080,
        "name": "dl.example", "detail": "GET http://Dl.example:8080/a.zip?x=1",
        "status": "TCP_MISS/200", "url": "http://Dl.example:8080/a.zip?x=1",
        "app_proto": "http",
    }  # fmt: skip
    connect = got.record("network_event", source_line=1)
    assert (connect["name"], connect["dst_port"], connect["url"]) == ("203.0.113.66", 443, None)
    failed = got.record("network_event", source_line=3)
    assert (failed["dst_ip"], failed["status"]) == (None, "NONE_NONE/503")
    v6 = got.record("network_event", source_line=4)
    assert (v6["name"], v6["dst_ip"], v6["dst_port"]) == ("2001:db8::1", "2001:db8::1", 80)
