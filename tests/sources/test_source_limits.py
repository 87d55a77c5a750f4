"""Known limits of the network sources, lifted (issue 3, "real traffic not in shared/"):
Zeek JSON with a nested `id` object, Suricata `netflow` events, gzip files cut in the
middle. Every file is written by the test after the formats' own documentation.
"""

from __future__ import annotations

import gzip
import json
import random
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.sources.test_source_variants import (
    NF_BODY,
    REF,
    STD,
    T0,
    _both_paths,
    _ingest,
    _rejects,
    _rows,
    zeek_log,
)

from rempart.ingest.files import FileStatus, ingest_file
from rempart.sources import file_digest, sniff
from rempart.sources.gzipcut import gunzip_until_cut
from rempart.store import Store

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


def test_zeek_json_fast_path_reads_what_the_line_path_reads(tmp_path: Path) -> None:
    """The JSON reader's path (compact flow table, both cores) stores the same rows and
    names the same rejected lines, with the same reasons, as the line-by-line path."""
    lines = [json.dumps(r) for r in CONN_JSON]
    lines += [
        '{"ts":1552291202.0,"uid":"B1","id.orig_h":"10.1.0.5",',  # cut mid-record
        "",  # a blank line
        json.dumps({**CONN_JSON[0], "uid": "B2", "id.orig_h": "10.1.0.5;x"}),
        json.dumps({**CONN_JSON[0], "uid": "B3", "id.resp_p": "smb"}),
        json.dumps({**CONN_JSON[0], "uid": "B4", "ts": "yesterday"}),
        json.dumps(
            {
                "_path": "dns",
                "ts": 1552291203.0,
                "uid": "D1",
                "id.orig_h": "10.1.0.5",
                "id.resp_h": "10.9.0.1",
                "query": "x.example",
            }
        ),
        json.dumps({**CONN_JSON[1], "uid": "G3", "ts": "2019-03-11T08:00:04.250Z"}),
    ]
    p = tmp_path / "conn.json"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fast, slow = _both_paths(p)
    assert (
        fast.sql("SELECT count(*) AS n FROM flow_conn").column("n")[0].as_py() == 3
    )  # the compact table: the reader's path was taken
    keep = ("time", "src_ip", "dst_ip", "src_port", "dst_port", "protocol", "service",
            "bytes_out", "bytes_in", "packets_out", "packets_in", "status", "flow_uid")  # fmt: skip
    got = [{k: r[k] for k in keep} for r in _rows(fast, "flow_uid")]
    assert got == [{k: r[k] for k in keep} for r in _rows(slow, "flow_uid")]
    assert [r["flow_uid"] for r in got] == ["G3", "N1", "N2"]
    assert (
        _rejects(fast)
        == _rejects(slow)
        == [
            {"line": 3, "reason": "not valid JSON"},
            {"line": 5, "reason": "bad originator address"},
            {"line": 6, "reason": "bad responder port"},
            {"line": 7, "reason": "missing or bad timestamp"},
        ]
    )


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


# --- Suricata `netflow` events -------------------------------------------------------------


def _netflow(flow_id: int, src: str, sp: int, dst: str, dp: int, **kw: object) -> str:
    """A netflow record as Suricata's output-json-netflow writes it (one direction)."""
    record: dict[str, object] = {
        "timestamp": "2019-03-11T08:00:05.000000+0000",
        "flow_id": flow_id,
        "event_type": "netflow",
        "src_ip": src,
        "src_port": sp,
        "dest_ip": dst,
        "dest_port": dp,
        "proto": kw.pop("proto", "TCP"),
        "app_proto": kw.pop("app_proto", "failed"),
        "netflow": {
            "pkts": kw.pop("pkts"),
            "bytes": kw.pop("bytes"),
            "start": "2019-03-11T09:00:00.500000+0100",
            "end": "2019-03-11T09:00:02.750000+0100",
            "age": 2,
            "min_ttl": 64,
            "max_ttl": 64,
        },
        **kw,
    }
    return json.dumps(record) + "\n"


def test_eve_netflow_one_row_per_direction(tmp_path: Path) -> None:
    """Each netflow record is its own row as Suricata wrote it (the reverse record of a
    flow has src/dest swapped and the same flow_id); *_in stays NULL; the outcome comes
    from that side's TCP flags (SYN without ACK: the handshake never completed)."""
    client = {"syn": True, "ack": True, "psh": True, "fin": True, "tcp_flags": "1b"}
    server = {"syn": True, "ack": True, "fin": True, "tcp_flags": "13"}
    text = (
        _netflow(7, "10.1.0.5", 49152, "10.1.0.6", 445, pkts=5, bytes=300, app_proto="smb",
                 tcp=client)
        + _netflow(7, "10.1.0.6", 445, "10.1.0.5", 49152, pkts=4, bytes=400, app_proto="smb",
                   tcp=server)
        + _netflow(8, "10.1.0.5", 49153, "10.1.0.7", 445, pkts=2, bytes=120,
                   tcp={"syn": True, "tcp_flags": "02"})
        + _netflow(9, "10.1.0.5", 5353, "10.9.0.1", 53, pkts=1, bytes=70, proto="UDP")
        + '{"timestamp":"2019-03-11T08:00:06.000000+0000","flow_id":10,"event_type":"netf\n'
        + _netflow(11, "10.1.0.5", 49154, "10.1.0.8;x", 445, pkts=1, bytes=60)
    )  # fmt: skip
    store, res = _ingest(tmp_path, "eve.json", text)
    assert (res.source, res.records, res.rejected) == ("suricata_eve_flow", 4, 2)
    fwd, rev, syn, udp = _rows(store, "source_line")
    assert fwd == {
        **fwd,
        "time": T0,
        "duration": 2.25,
        "src_ip": "10.1.0.5",
        "src_port": 49152,
        "dst_ip": "10.1.0.6",
        "dst_port": 445,
        "protocol": "tcp",
        "service": "smb",
        "bytes_out": 300,
        "packets_out": 5,
        "bytes_in": None,
        "packets_in": None,
        "status": "success",
        "flow_uid": "7",
        "record_kind": "flow",
        "source_line": 1,
    }
    assert (rev["src_ip"], rev["src_port"], rev["dst_ip"], rev["dst_port"]) == (
        "10.1.0.6", 445, "10.1.0.5", 49152
    )  # fmt: skip
    assert (rev["bytes_out"], rev["packets_out"], rev["bytes_in"], rev["flow_uid"]) == (
        400, 4, None, "7"
    )  # fmt: skip
    assert (syn["status"], syn["bytes_out"], syn["time"]) == ("failure", 120, T0)
    assert (udp["protocol"], udp["status"], udp["packets_out"]) == ("udp", "unknown", 1)
    assert _rejects(store) == [
        {"line": 5, "reason": "not valid JSON"},
        {"line": 6, "reason": "bad destination address"},
    ]


def test_eve_netflow_and_flow_events_together(tmp_path: Path) -> None:
    """A file with both `flow` and `netflow` events (both types enabled) reads both; an
    eve.json of netflow events only is recognised."""
    flow = (
        '{"timestamp":"2019-03-11T08:00:00.500000+0000","flow_id":1,"event_type":"flow",'
        '"src_ip":"10.1.0.5","src_port":1,"dest_ip":"10.1.0.6","dest_port":445,'
        '"proto":"TCP","flow":{"pkts_toserver":2,"pkts_toclient":0,"bytes_toserver":120,'
        '"bytes_toclient":0,"age":0,"state":"new"},"tcp":{"syn":true}}\n'
    )
    only = _netflow(2, "10.1.0.5", 2, "10.1.0.6", 445, pkts=1, bytes=60)
    p = tmp_path / "netflow.json"
    p.write_text(only, encoding="utf-8")
    src = sniff(p)
    assert src is not None and src.NAME == "suricata_eve_flow"
    store, res = _ingest(tmp_path, "eve.json", flow + only)
    rows = _rows(store, "source_line")
    assert [(r["flow_uid"], r["bytes_out"], r["bytes_in"]) for r in rows] == [
        ("1", 120, 0),
        ("2", 60, None),
    ]
    assert res.rejected == 0


# --- gzip files cut in the middle --------------------------------------------------------


def _conn_rows(n: int) -> list[dict[str, str]]:
    """n distinct connections (random uids, so the gzip is not all repetition)."""
    rng = random.Random(n)
    return [
        {"ts": f"{1552291200.5 + i}", "uid": f"C{rng.getrandbits(64):016x}",
         "id.orig_p": str(1024 + rng.randrange(60000)), "orig_bytes": str(rng.randrange(9999))}
        for i in range(n)
    ]  # fmt: skip


def _json_lines(n: int) -> str:
    return "".join(
        json.dumps({**CONN_JSON[0], "ts": 1552291200.5 + i, "uid": r["uid"],
                    "id.orig_p": int(r["id.orig_p"]), "orig_bytes": int(r["orig_bytes"])}) + "\n"
        for i, r in enumerate(_conn_rows(n))
    )  # fmt: skip


def _eve_lines(n: int) -> str:
    return "".join(
        _netflow(i, "10.1.0.5", 1024 + i, "10.1.0.6", 445, pkts=i % 7 + 1, bytes=60 * i)
        for i in range(n)
    )


def _nfdump_lines(n: int) -> str:
    head = "firstSeen,duration,proto,srcAddr,srcPort,dstAddr,dstPort,packets,bytes,flows\n"
    return head + "".join(
        f"2019-03-11 08:{i // 60 % 60:02d}:{i % 60:02d}.500,1.0,6,10.1.0.5,{1024 + i},"
        f"10.1.0.6,445,5,{300 + i},1\n"
        for i in range(n)
    )


def _netfilter_lines(n: int) -> str:
    return "".join(
        f"Mar 11 08:{i // 60 % 60:02d}:{i % 60:02d}.500000 fw1 kernel: [{i}.0] DROP "
        + NF_BODY.replace("SPT=40000", f"SPT={1024 + i}")
        + "\n"
        for i in range(n)
    )


# (file name, text of n records, header lines, source)
FORMATS = [
    ("conn.log", lambda n: zeek_log(STD, list(_conn_rows(n)), close=True), 8, "zeek_conn_tsv"),
    ("conn.json", _json_lines, 0, "zeek_conn_json"),
    # a long EVE file may hold alerts past its head: suricata_eve_events reads it too
    ("eve.json", _eve_lines, 0, "suricata_eve_flow+suricata_eve_events"),
    ("flows.csv", _nfdump_lines, 1, "nfdump_csv"),
    ("kern.log", _netfilter_lines, 0, "netfilter_log"),
]


def _kept_lines(cut: bytes) -> int:
    """Complete lines Python's zlib gets from a cut gzip (what should be read)."""
    return zlib.decompressobj(wbits=31).decompress(cut).count(b"\n")


@pytest.mark.parametrize(("name", "make", "header", "source"), FORMATS)
def test_gzip_cut_in_the_middle_keeps_the_rows_before(
    tmp_path: Path, name: str, make: Callable[[int], str], header: int, source: str
) -> None:
    """A .gz copied while it was written: the rows before the cut are stored, the partial
    last line is rejected with the reason, the file counts as ingested, and its identity
    is the cut file's own digest (ingesting it again is a no-op)."""
    text = make(3000)
    whole = gzip.compress(text.encode())
    cut = whole[: len(whole) // 2]
    kept = _kept_lines(cut)
    assert 1000 < kept < text.count("\n")
    p = tmp_path / f"{name}.gz"
    p.write_bytes(cut)
    ws = tmp_path / "ws"
    ws.mkdir()
    store = Store(ws / "rempart.duckdb")
    res = ingest_file(store, p, reference=REF)
    assert (res.status, res.source) == (FileStatus.INGESTED, source), res.error
    reason = f"gzip stream truncated: rows after byte {len(cut)} of the compressed file are missing"
    assert (res.records, res.rejected, dict(res.reasons)) == (kept - header, 1, {reason: 1})
    assert _rejects(store) == [{"line": kept + 1, "reason": reason}]
    first = _rows(store, "time, src_port")[0]
    assert (first["time"], first["source_file"]) == (T0, str(p))
    logged = store.sql("SELECT file_sha256, path FROM ingest_log").to_pylist()
    assert logged == [{"file_sha256": file_digest(p), "path": str(p)}]
    assert ingest_file(store, p).status is FileStatus.ALREADY
    assert not [x for x in ws.iterdir() if "gunzip" in x.name]  # the plain copy is removed
    store.close()


def test_gzip_cut_zeek_tsv_both_store_paths(tmp_path: Path) -> None:
    """The compact flow table and the numbered path keep the same rows of a cut conn.log."""
    rows = _conn_rows(2000)
    whole = gzip.compress(zeek_log(STD, list(rows)).encode())
    cut = whole[: len(whole) // 2]
    p = tmp_path / "conn.log.gz"
    p.write_bytes(cut)
    kept = _kept_lines(cut) - 8
    fast, slow = _both_paths(p)
    for store in (fast, slow):
        got = _rows(store, "time")
        assert [r["flow_uid"] for r in got] == [r["uid"] for r in rows[:kept]]
        assert got[0]["src_port"] == int(rows[0]["id.orig_p"])
        assert [r["line"] for r in _rejects(store)] == [kept + 9]


def test_gzip_multi_member_whole_and_cut(tmp_path: Path) -> None:
    """Concatenated members (`cat a.gz b.gz`, or pigz/bgzip blocks) are read whole; cut in
    the second member, the first member's rows and the second's before the cut are kept."""
    text = _json_lines(2000)
    split = text.index("\n", len(text) // 2) + 1
    a, b = gzip.compress(text[:split].encode()), gzip.compress(text[split:].encode())
    _, res = _ingest(tmp_path, "whole.json.gz", a + b)
    assert (res.records, res.rejected) == (2000, 0)
    cut = a + b[: len(b) // 2]
    kept = text[:split].count("\n") + _kept_lines(b[: len(b) // 2])
    _, res = _ingest(tmp_path, "cut.json.gz", cut)
    assert (res.source, res.records, res.rejected) == ("zeek_conn_json", kept, 1)


def test_gzip_cut_between_lines(tmp_path: Path) -> None:
    """A cut at a line end loses no partial line, but the loss is still said (no line)."""
    text = _json_lines(1500)
    first = text[: text.index("\n", len(text) // 2) + 1]
    # a sync flush ends a deflate block at a line end: what a writer stopped there leaves
    c = zlib.compressobj(wbits=31)
    cut = c.compress(first.encode()) + c.flush(zlib.Z_SYNC_FLUSH)
    store, res = _ingest(tmp_path, "a.json.gz", cut)
    assert (res.records, res.rejected) == (first.count("\n"), 1)
    assert _rejects(store) == [
        {
            "line": None,
            "reason": f"gzip stream truncated: rows after byte {len(cut)} of the compressed "
            "file are missing",
        }
    ]


def test_gunzip_until_cut_corrupt_and_whole(tmp_path: Path) -> None:
    """zlib's own checks (the CRC included, which DuckDB's reader does not verify) stop the
    stream at a corrupt block; a whole stream is not a cut."""
    text = _json_lines(4000).encode()
    whole = gzip.compress(text)
    assert len(whole) > 1 << 16
    src, plain = tmp_path / "a.gz", tmp_path / "a"
    src.write_bytes(whole)
    assert gunzip_until_cut(src, plain) is None
    bad = bytearray(whole)
    bad[-8] ^= 0xFF  # the CRC
    src.write_bytes(bytes(bad))
    cut = gunzip_until_cut(src, plain)
    assert (
        cut is not None and cut.kind == "corrupt" and cut.reason.startswith("gzip stream corrupt")
    )
    kept = plain.read_bytes()  # what zlib gave before the failing chunk, whole lines
    assert text.startswith(kept) and kept.endswith(b"\n") and cut.lines == kept.count(b"\n")
    assert cut.offset == len(whole) - len(whole) % (1 << 16) and 0 < cut.lines < 4000


def test_gzip_cut_inside_its_header_fails_clearly(tmp_path: Path) -> None:
    """Nothing decompresses from a file cut in the gzip header: failed, naming the file."""
    p = tmp_path / "conn.log.gz"
    p.write_bytes(gzip.compress(zeek_log(STD, [{}]).encode())[:6])
    res = ingest_file(Store.memory(), p)
    assert res.status is FileStatus.FAILED
    assert res.error is not None and str(p) in res.error and "gzip" in res.error


def test_gzip_cut_hashed_while_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A big file is hashed on a thread while it is parsed: after the failed first read
    and the parse of the plain copy, its identity is still the cut file's digest."""
    monkeypatch.setattr("rempart.ingest.files.HASH_WHILE_PARSING_BYTES", 0)
    whole = gzip.compress(_eve_lines(2000).encode())
    p = tmp_path / "eve.json.gz"
    p.write_bytes(whole[: len(whole) // 2])
    store = Store.memory()
    res = ingest_file(store, p)
    assert (res.status, res.rejected) == (FileStatus.INGESTED, 1)
    logged = store.sql("SELECT file_sha256 FROM ingest_log").column(0).to_pylist()
    assert logged == [file_digest(p)]
    assert ingest_file(store, p).status is FileStatus.ALREADY


# --- Zeek connections in ECS (Filebeat's Zeek module, Elasticsearch exports) ---------------

# names as Filebeat's Zeek module documents them (values written here), dotted as Kibana
# and flattening tools write them
ECS_DOTTED = {
    "@timestamp": "2026-03-11T08:15:02.125Z",
    "destination.bytes": 206,
    "destination.ip": "10.10.0.53",
    "destination.packets": 1,
    "destination.port": 53,
    "event.dataset": "zeek.connection",
    "event.duration": 42500000,
    "network.protocol": "dns",
    "network.transport": "udp",
    "source.bytes": 103,
    "source.ip": "10.20.4.17",
    "source.packets": 1,
    "source.port": 51234,
    "zeek.connection.state": "SF",
    "zeek.session_id": "CkR2vb3yUqT9dWm1Za",
}
# nested, as Elasticsearch stores it, under `_source` as elasticdump exports a hit
ECS_HIT = {
    "_index": "filebeat-zeek",
    "_id": "x1",
    "_source": {
        "@timestamp": "2026-03-11T08:15:03.500Z",
        "source": {"ip": "10.20.4.18", "port": 49711, "bytes": 0, "packets": 0},
        "destination": {"ip": "203.0.113.80", "port": 80, "bytes": 0, "packets": 0},
        "network": {"transport": "tcp"},
        "event": {"dataset": "zeek.connection", "module": "zeek"},
        "zeek": {"session_id": "CbX7pW2nQe4Lr8sT1a", "connection": {"state": "S0"}},
    },
}
ECS_ICMP = {
    "@timestamp": "2026-03-11T08:15:04.000Z",
    "source": {"ip": "198.51.100.7", "bytes": 107, "packets": 1},
    "destination": {"ip": "10.20.4.19", "bytes": 0, "packets": 0},
    "network": {"transport": "icmp"},
    "event": {"dataset": "zeek.connection"},
    "zeek": {"session_id": "Cq9ZfH3jKd5Mn2Vb7", "connection": {"state": "OTH",
             "icmp": {"type": 3, "code": 3}}},
}  # fmt: skip
ECS_DNS = {
    "@timestamp": "2026-03-11T08:15:02.125Z",
    "event": {"dataset": "zeek.dns"},
    "source": {"ip": "10.20.4.17"},
    "dns": {"question": {"name": "x.example"}},
}


def test_ecs_zeek_connections_nested_dotted_and_hits(tmp_path: Path) -> None:
    """Another dataset first (skipped, not rejected: the sniffer looks past it), a dotted
    record, an Elasticsearch hit, ICMP, and a broken line rejected with its number."""
    lines = [json.dumps(x) for x in (ECS_DNS, ECS_DOTTED, ECS_HIT, ECS_ICMP)] + ["{broken"]
    p = tmp_path / "export.ndjson"
    p.write_text("\n".join(lines) + "\n")
    assert (src := sniff(p)) is not None and src.NAME == "zeek_conn_ecs"
    store = Store.memory()
    res = ingest_file(store, p)
    assert (res.records, res.rejected, res.reasons) == (3, 1, (("not valid JSON", 1),))
    rows = store.sql("SELECT * FROM network_flow ORDER BY source_line").to_pylist()
    dns, syn, icmp = rows
    assert dns["time"] == datetime(2026, 3, 11, 8, 15, 2, 125000, tzinfo=UTC)
    assert (dns["src_ip"], dns["src_port"], dns["dst_ip"], dns["dst_port"]) == (
        "10.20.4.17", 51234, "10.10.0.53", 53
    )  # fmt: skip
    assert (dns["protocol"], dns["service"], dns["duration"]) == ("udp", "dns", 0.0425)
    assert (dns["bytes_out"], dns["bytes_in"], dns["packets_out"], dns["packets_in"]) == (
        103, 206, 1, 1
    )  # fmt: skip
    assert (dns["status"], dns["flow_uid"], dns["source_line"]) == (
        "success", "CkR2vb3yUqT9dWm1Za", 2
    )  # fmt: skip
    assert (syn["dst_port"], syn["conn_state"], syn["status"]) == (80, "S0", "failure")
    assert syn["flow_uid"] == "CbX7pW2nQe4Lr8sT1a"
    assert (icmp["protocol"], icmp["src_port"], icmp["dst_port"]) == ("icmp", 3, 3)
    assert store.sql("SELECT line FROM rejects").column("line").to_pylist() == [5]


def test_ecs_other_datasets_are_not_zeek_connections(tmp_path: Path) -> None:
    p = tmp_path / "dns.ndjson"
    p.write_text(json.dumps(ECS_DNS) + "\n")
    found = sniff(p)
    assert found is None or found.NAME != "zeek_conn_ecs"
