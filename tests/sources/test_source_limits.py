"""Known limits of the network sources, lifted (issue 3, "real traffic not in shared/"):
Zeek JSON with a nested `id` object, Suricata `netflow` events, gzip files cut in the
middle. Every file is written by the test after the formats' own documentation.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.sources.test_source_variants import T0, _ingest, _rejects, _rows

from rempart.sources import sniff

# --- Zeek JSON with a nested `id` --------------------------------------------------------


def _nested(record: dict[str, object]) -> dict[str, object]:
    """The same Zeek record with `id.*` moved into an `id` object (Filebeat, jq, Logstash)."""
    ids = {k[3:]: v for k, v in record.items() if k.startswith("id.")}
    rest = {k: v for k, v in record.items() if not k.startswith("id.")}
    return {"ts": rest.pop("ts"), "uid": rest.pop("uid"), "id": ids, **rest}


CONN_JSON = [
    {"ts": 1552291200.5, "uid": "N1", "id.orig_h": "10.1.0.5", "id.orig_p": 49152,
     "id.resp_h": "10.1.0.6", "id.resp_p": 445, "proto": "tcp", "service": "smb",
     "duration": 0.5, "orig_bytes": 100, "resp_bytes": 200, "conn_state": "SF",
     "missed_bytes": 0, "orig_pkts": 5, "resp_pkts": 4},
    {"ts": 1552291201.0, "uid": "N2", "id.orig_h": "2001:db8::5", "id.orig_p": 5001,
     "id.resp_h": "2001:db8::53", "id.resp_p": 53, "proto": "udp", "conn_state": "S0"},
]  # fmt: skip


def test_zeek_json_nested_id_reads_like_dotted(tmp_path: Path) -> None:
    """`{"id": {"orig_h": ...}}` gives the very records the dotted keys give."""
    dotted = "".join(json.dumps(r) + "\n" for r in CONN_JSON)
    nested = "".join(json.dumps(_nested(r)) + "\n" for r in CONN_JSON)
    assert '"id": {"orig_h": "10.1.0.5"' in nested
    nested += '{"ts":1552291202.0,"uid":"N3","id":{"orig_h":"10.1.0.5","orig_p":\n'
    nested += '{"ts":1552291203.0,"uid":"N4","id":{"orig_h":"10.1.0.5;x","orig_p":1,'
    nested += '"resp_h":"10.1.0.6","resp_p":445},"proto":"tcp","conn_state":"S0"}\n'
    want, _ = _ingest(tmp_path, "dotted.json", dotted)
    store, res = _ingest(tmp_path, "nested.json", nested)
    assert (res.source, res.records, res.rejected) == ("zeek_conn_json", 2, 2)
    strip = ("event_uid", "source_file")
    got = [{k: v for k, v in r.items() if k not in strip} for r in _rows(store)]
    assert got == [{k: v for k, v in r.items() if k not in strip} for r in _rows(want)]
    first = _rows(store)[0]
    assert (first["time"], first["src_ip"], first["src_port"], first["dst_port"]) == (
        T0, "10.1.0.5", 49152, 445
    )  # fmt: skip
    assert (first["bytes_in"], first["packets_out"], first["status"]) == (200, 5, "success")
    assert _rejects(store) == [
        {"line": 3, "reason": "not valid JSON"},
        {"line": 4, "reason": "bad originator address"},
    ]


def test_zeek_json_nested_dns_and_smb(tmp_path: Path) -> None:
    """dns.log and smb_mapping.log re-emitted with a nested `id` are recognised and read."""
    dns = {"ts": 1552291200.5, "uid": "D1", "id": {"orig_h": "10.1.0.5", "orig_p": 5353,
           "resp_h": "10.9.0.1", "resp_p": 53}, "proto": "udp", "trans_id": 7, "rtt": 0.01,
           "query": "evil.example", "qtype_name": "A", "rcode_name": "NXDOMAIN"}  # fmt: skip
    p = tmp_path / "dns.json"
    p.write_text(json.dumps(dns) + "\n", encoding="utf-8")
    src = sniff(p)
    assert src is not None and src.NAME == "zeek_dns_json"
    store, res = _ingest(tmp_path, "dns.json", json.dumps(dns) + "\n")
    row = _rows(store)[0]
    assert (row["time"], row["src_ip"], row["dst_ip"], row["dst_port"]) == (
        T0, "10.1.0.5", "10.9.0.1", 53
    )  # fmt: skip
    assert (row["dns_query"], row["record_kind"], res.rejected) == ("evil.example", "dns", 0)
    smb = {"_path": "smb_mapping", "ts": 1552291200.5, "uid": "S1",
           "id": {"orig_h": "10.1.0.5", "orig_p": 49152, "resp_h": "10.1.0.6", "resp_p": 445},
           "path": "\\\\10.1.0.6\\ADMIN$", "share_type": "DISK"}  # fmt: skip
    store, res = _ingest(tmp_path, "smb.json", json.dumps(smb) + "\n")
    assert (res.source, res.records) == ("zeek_smb_mapping_json", 1)
    row = _rows(store)[0]
    assert (row["src_ip"], row["dst_port"], row["smb_path"]) == (
        "10.1.0.5", 445, "\\\\10.1.0.6\\ADMIN$"
    )  # fmt: skip
