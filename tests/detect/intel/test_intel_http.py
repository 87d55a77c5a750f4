"""The retro-hunt over HTTP, TLS and DNS records (`network_event`): Suricata EVE and Zeek
http/ssl logs written here, indicators by host (with subdomains), SNI, URL (whole and as a
prefix), path, JA3/JA3S and user agent; the entity is the client."""

from __future__ import annotations

import json
from pathlib import Path

from tests.detect.intel.test_intel_hunt import T0, indicators

from rempart.detect.intel import hunt
from rempart.ingest.files import FileStatus, ingest_file
from rempart.store import Store
from rempart.store import intel as ioc_store
from rempart.store.engine import Engine

JA3 = "e7d705a3286e19ea42f587b344ee6865"
JA3S = "ec74a5c51106f0419184d0dd08fb05bc"
UA = "Mozilla/4.0 (compatible; MSIE 7.0; Qakbot)"


def _eve(
    i: int, src: str, kind: str, body: dict[str, object], dst: str = "192.0.2.10", port: int = 80
) -> str:
    return json.dumps(
        {
            "timestamp": f"2024-03-12T08:00:{i:02d}.000000+0000",
            "flow_id": i,
            "event_type": kind,
            "src_ip": src,
            "src_port": 50000 + i,
            "dest_ip": dst,
            "dest_port": port,
            "proto": "TCP",
            kind: body,
        }
    )


def _zeek(path: str, fields: list[str], rows: list[list[str]]) -> str:
    head = [
        "#separator \\x09",
        "#set_separator\t,",
        "#empty_field\t(empty)",
        "#unset_field\t-",
        f"#path\t{path}",
        "#fields\t" + "\t".join(fields),
    ]
    return "\n".join(head + ["\t".join(r) for r in rows]) + "\n"


def write_logs(folder: Path) -> list[Path]:
    eve = folder / "eve.json"
    eve.write_text(
        "\n".join(
            [
                _eve(
                    1,
                    "10.1.0.7",
                    "http",
                    {
                        "hostname": "cdn.evil-c2.example",
                        "url": "/gate.php?id=7",
                        "http_method": "POST",
                        "status": 200,
                        "http_user_agent": UA,
                    },
                ),
                _eve(
                    2,
                    "10.1.0.8",
                    "http",
                    {
                        "hostname": "notevil-c2.example",
                        "url": "/index.html",
                        "http_method": "GET",
                        "http_user_agent": "Mozilla/5.0",
                    },
                ),
                _eve(
                    3,
                    "10.1.0.9",
                    "tls",
                    {
                        "sni": "update.example.org",
                        "version": "TLS 1.2",
                        "ja3": {"hash": JA3, "string": "771,4865"},
                        "ja3s": {"hash": JA3S, "string": "771,4865"},
                    },
                    port=443,
                ),
                _eve(
                    4,
                    "10.1.0.11",
                    "dns",
                    {"type": "query", "rrname": "EVIL-C2.example.", "rrtype": "A"},
                    dst="10.9.0.53",
                    port=53,
                ),
                _eve(
                    5,
                    "10.9.0.53",
                    "dns",
                    {
                        "type": "answer",
                        "rrname": "evil-c2.example",
                        "rrtype": "A",
                        "rcode": "NOERROR",
                    },
                    dst="10.1.0.11",
                    port=53,
                ),
            ]
        )
        + "\n",
        "utf-8",
    )
    http = folder / "http.log"
    fields = [
        "ts",
        "uid",
        "id.orig_h",
        "id.orig_p",
        "id.resp_h",
        "id.resp_p",
        "method",
        "host",
        "uri",
        "user_agent",
        "status_code",
    ]
    ts = f"{T0.timestamp():.6f}"
    http.write_text(
        _zeek(
            "http",
            fields,
            [
                [
                    ts,
                    "C1",
                    "10.1.0.20",
                    "50100",
                    "198.51.100.5",
                    "80",
                    "GET",
                    "files.bad.example",
                    "/dl/payload.bin",
                    "curl/8.0",
                    "200",
                ],
                [
                    ts,
                    "C2",
                    "10.1.0.21",
                    "50101",
                    "198.51.100.5",
                    "80",
                    "GET",
                    "files.bad.example",
                    "/dlx/other.bin",
                    "curl/8.0",
                    "200",
                ],
                [
                    ts,
                    "C3",
                    "10.1.0.22",
                    "50102",
                    "198.51.100.6",
                    "8080",
                    "GET",
                    "Exact.example",
                    "/a.php",
                    "-",
                    "200",
                ],
                [
                    ts,
                    "C4",
                    "10.1.0.23",
                    "50103",
                    "198.51.100.6",
                    "80",
                    "GET",
                    "exact.example",
                    "/a.php.bak",
                    "-",
                    "404",
                ],
            ],
        ),
        "utf-8",
    )
    ssl = folder / "ssl.log"
    fields = [
        "ts",
        "uid",
        "id.orig_h",
        "id.orig_p",
        "id.resp_h",
        "id.resp_p",
        "version",
        "server_name",
        "established",
        "ja3",
        "ja3s",
    ]
    ssl.write_text(
        _zeek(
            "ssl",
            fields,
            [
                [
                    ts,
                    "C5",
                    "10.1.0.30",
                    "50200",
                    "203.0.113.9",
                    "443",
                    "TLSv12",
                    "login.evil-c2.example",
                    "T",
                    "-",
                    "-",
                ],
                [
                    ts,
                    "C6",
                    "10.1.0.31",
                    "50201",
                    "203.0.113.10",
                    "443",
                    "TLSv13",
                    "www.example.net",
                    "T",
                    JA3.upper(),
                    "-",
                ],
            ],
        ),
        "utf-8",
    )
    proxy = folder / "access.log"
    proxy.write_text(
        "1710230400.000    100 10.1.0.50 TCP_TUNNEL/200 10 CONNECT cdn.cloud-sync.example:443"
        " - HIER_DIRECT/203.0.113.99 -\n"
        "1710230401.000    100 10.1.0.51 TCP_TUNNEL/200 10 CONNECT 203.0.113.99:443"
        " - HIER_DIRECT/203.0.113.99 -\n"
        "1710230402.000    100 10.1.0.52 TCP_MISS/200 10 GET http://files.bad.example/dl/x.bin"
        " - HIER_DIRECT/198.51.100.5 application/octet-stream\n",
        "utf-8",
    )
    return [eve, http, ssl, proxy]


IOCS = (
    ("domain", "evil-c2[.]example"),
    ("url", "hxxps://files.bad[.]example/dl/"),  # a prefix (the scheme is not the sign)
    ("url", "http://exact.example:8080/a.php"),  # whole
    ("uri", "/gate.php"),
    ("ja3", JA3),
    ("ja3s", JA3S),
    ("user_agent", UA),
    ("ip", "203.0.113.99"),
)


def _hunt(store: Store) -> list[tuple[str, str, str]]:
    ioc_store.merge_indicators(store, indicators(*IOCS))
    engine = Engine.for_store(store)
    try:
        found = hunt(engine, ioc_store.hunt_table(store, T0), ["network_event"])
    finally:
        engine.close()
    assert all(f.evidence_class == "network_event" for f in found)
    return [(f.entity, str(f.params["type"]), str(f.params["matched"])) for f in found]


def test_http_tls_dns_sightings(tmp_path: Path) -> None:
    with Store.memory() as store:
        for path in write_logs(tmp_path):
            res = ingest_file(store, path)
            assert res.status is FileStatus.INGESTED and res.rejected == 0, (path, res.reasons)
        got = _hunt(store)
    assert len(got) == len(set(got))  # one finding per indicator and machine
    assert set(got) == {
        ("10.1.0.7", "domain", "cdn.evil-c2.example"),  # HTTP host, a subdomain
        ("10.1.0.7", "uri", "http://cdn.evil-c2.example/gate.php?id=7"),
        ("10.1.0.7", "user_agent", UA),
        ("10.1.0.9", "ja3", JA3),
        ("10.1.0.9", "ja3s", JA3S),
        ("10.1.0.11", "domain", "EVIL-C2.example."),  # the query; the answer names no one
        ("10.1.0.20", "url", "http://files.bad.example/dl/payload.bin"),  # prefix
        ("10.1.0.22", "url", "http://Exact.example:8080/a.php"),  # whole
        ("10.1.0.30", "domain", "login.evil-c2.example"),  # SNI
        ("10.1.0.31", "ja3", JA3.lower()),  # Zeek's JA3, any case
        # behind the proxy: the address it reached for a name, the address asked for (once)
        ("10.1.0.50", "ip", "cdn.cloud-sync.example"),
        ("10.1.0.51", "ip", "203.0.113.99"),
        ("10.1.0.52", "url", "http://files.bad.example/dl/x.bin"),
    }


def test_columns_of_the_sources(tmp_path: Path) -> None:
    with Store.memory() as store:
        for path in write_logs(tmp_path):
            ingest_file(store, path)
        rows = store.sql(
            "SELECT source_format, url, user_agent, ja3, ja3s FROM network_event "
            "WHERE url IS NOT NULL OR ja3 IS NOT NULL ORDER BY source_format, source_line"
        ).to_pylist()
    assert {
        "source_format": "suricata_eve_events",
        "url": "http://cdn.evil-c2.example/gate.php?id=7",
        "user_agent": UA,
        "ja3": None,
        "ja3s": None,
    } in rows
    assert {
        "source_format": "suricata_eve_events",
        "url": None,
        "user_agent": None,
        "ja3": JA3,
        "ja3s": JA3S,
    } in rows
    assert {
        "source_format": "zeek_http",
        "url": "http://Exact.example:8080/a.php",
        "user_agent": None,
        "ja3": None,
        "ja3s": None,
    } in rows
    assert {
        "source_format": "zeek_ssl",
        "url": None,
        "user_agent": None,
        "ja3": JA3,
        "ja3s": None,
    } in rows
