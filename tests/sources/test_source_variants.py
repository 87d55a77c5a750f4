"""What real deployments write that the first sources did not read (issue 3: "real traffic
that is not in shared/"). Every file here is written by the test, after the formats' own
documentation; none is copied from a corpus. Each case: it is sniffed, the exact record is
read, and a broken line is rejected with its reason and line number while the rest goes on.
"""

from __future__ import annotations

import gzip
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.sources.zeekfields import CONN_FIELDS

from rempart.ingest.files import FileResult, FileStatus, ingest_file
from rempart.sources import ParseContext, sniff
from rempart.store import Store

REF = datetime(2019, 6, 1, tzinfo=UTC)
T0 = datetime(2019, 3, 11, 8, 0, 0, 500000, tzinfo=UTC)  # 1552291200.5


def _ingest(
    tmp_path: Path, name: str, data: str | bytes, reference: datetime = REF
) -> tuple[Store, FileResult]:
    p = tmp_path / name
    if isinstance(data, str):
        data = data.encode()
    p.write_bytes(data)
    store = Store.memory()
    res = ingest_file(store, p, reference=reference)
    assert res.status is FileStatus.INGESTED, res.error
    return store, res


def _rows(store: Store, order: str = "source_line, flow_uid") -> list[dict[str, object]]:
    return store.sql(f"SELECT * FROM network_flow ORDER BY {order}").to_pylist()


def _rejects(store: Store) -> list[dict[str, object]]:
    return store.sql("SELECT line, reason FROM rejects ORDER BY line").to_pylist()


# --- Zeek ASCII logs ---------------------------------------------------------------------

STD = CONN_FIELDS
VALUES = dict(
    zip(
        STD,
        [
            "1552291200.5",
            "C1",
            "10.1.0.5",
            "49152",
            "10.1.0.6",
            "445",
            "tcp",
            "smb",
            "0.5",
            "100",
            "200",
            "SF",
            "T",
            "T",
            "0",
            "ShADadFf",
            "5",
            "300",
            "4",
            "400",
            "(empty)",
        ],
        strict=True,
    ),
    community_id="1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
    vlan="12",
    orig_l2_addr="00:11:22:33:44:55",
    label="Benign",
)


def zeek_log(
    fields: list[str],
    rows: list[dict[str, str] | str],
    *,
    sep: str = "\t",
    path: str = "conn",
    close: bool = True,
    newline: str = "\n",
) -> str:
    """A Zeek ASCII log as the writer makes it: `#separator` escaped, other meta lines and
    rows joined by the separator; a row is a dict of values over VALUES, or a raw line."""
    meta = [
        f"#separator \\x{ord(sep):02x}",
        sep.join(("#set_separator", ",")),
        sep.join(("#empty_field", "(empty)")),
        sep.join(("#unset_field", "-")),
        sep.join(("#path", path)),
        sep.join(("#open", "2019-03-11-08-00-00")),
        sep.join(("#fields", *fields)),
        sep.join(("#types", *["string"] * len(fields))),
    ]
    body = [r if isinstance(r, str) else sep.join({**VALUES, **r}[f] for f in fields) for r in rows]
    tail = [sep.join(("#close", "2019-03-11-09-00-00"))] if close else []
    return newline.join(meta + body + tail) + newline


# community_id after the addresses, vlan in the middle, MAC and a label at the end: the
# order a site gets with Zeek packages loaded, and what labelled datasets append
EXTRA = [*STD[:6], "community_id", *STD[6:12], "vlan", *STD[12:], "orig_l2_addr", "label"]


def _both_paths(path: Path) -> tuple[Store, Store]:
    """The conn.log read through the compact flow table and through the numbered path."""
    fast = Store.memory()
    assert ingest_file(fast, path).status is FileStatus.INGESTED
    slow = Store.memory()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ParseContext, "emit_flows", lambda *a, **k: False)
        mp.setattr(ParseContext, "emit_query", lambda *a, **k: False)
        assert ingest_file(slow, path).status is FileStatus.INGESTED
    return fast, slow


def test_zeek_ipv6_empty_extra_fields_no_close(tmp_path: Path) -> None:
    """IPv6, `(empty)` values, package columns in between, a log cut before `#close`
    (rotation in progress, or a capture that was stopped); one row with a bad address."""
    text = zeek_log(
        EXTRA,
        [
            {"id.orig_h": "2001:db8::5", "id.resp_h": "fe80::1", "service": "(empty)"},
            {"uid": "C2", "id.orig_h": "10.1.0.5;rm", "ts": "1552291201.0"},
            {"uid": "C3", "ts": "1552291202.0", "conn_state": "S0", "resp_pkts": "0"},
        ],
        close=False,
    )
    p = tmp_path / "conn.log"
    p.write_text(text, encoding="utf-8")
    src = sniff(p)
    assert src is not None and src.NAME == "zeek_conn_tsv"
    for store in _both_paths(p):
        rows = _rows(store, "time")
        assert len(rows) == 2
        first = rows[0]
        assert (first["src_ip"], first["dst_ip"], first["dst_port"]) == (
            "2001:db8::5",
            "fe80::1",
            445,
        )
        assert first["service"] is None  # `(empty)` is Zeek's empty string, not a service
        assert (first["time"], first["bytes_out"], first["status"]) == (T0, 100, "success")
        assert (rows[1]["flow_uid"], rows[1]["status"]) == ("C3", "failure")
        assert _rejects(store) == [{"line": 10, "reason": "bad originator address"}]


@pytest.mark.parametrize(
    ("sep", "newline", "gz"),
    [(",", "\n", False), ("|", "\n", True), ("\t", "\r\n", False), (" ", "\r\n", True)],
)
def test_zeek_other_separator_crlf_gzip(tmp_path: Path, sep: str, newline: str, gz: bool) -> None:
    """`redef LogAscii::separator`, logs that went through Windows (CRLF), gzip."""
    text = zeek_log(
        STD,
        [{}, f"1552291201.0{sep}C2{sep}10.1.0.5", {"uid": "C3", "id.resp_p": "3389"}],
        sep=sep,
        newline=newline,
    )
    data = gzip.compress(text.encode()) if gz else text.encode()
    p = tmp_path / "conn.log"
    p.write_bytes(data)
    src = sniff(p)
    assert src is not None and src.NAME == "zeek_conn_tsv"
    for store in _both_paths(p):
        rows = _rows(store, "flow_uid")
        assert [r["flow_uid"] for r in rows] == ["C1", "C3"]
        assert (rows[0]["time"], rows[0]["src_port"], rows[0]["packets_in"]) == (T0, 49152, 4)
        assert rows[1]["dst_port"] == 3389
        assert _rejects(store) == [{"line": 10, "reason": "truncated line (too few fields)"}]


# Zeek 6 added `ip_proto`; a site's older sensor or an earlier log has no such column, and
# another orders `service` before `proto` (types and counts fit: read with the first header,
# its rows would swap them silently)
ZEEK6 = [*STD, "ip_proto"]
SWAPPED = [*STD[:6], "service", "proto", *STD[8:]]


@pytest.mark.parametrize("gz", [False, True])
def test_zeek_concatenated_logs_with_other_columns(tmp_path: Path, gz: bool) -> None:
    """`cat`/`zcat` of logs whose `#fields` differ: each section read under its own header,
    the rows named after the original file, a bad line rejected with its own line number."""
    first = zeek_log(STD, [{}])  # rows on line 9
    second = zeek_log(ZEEK6, [{"uid": "C2", "ip_proto": "6"}, "x\tC9\t10.1.0.5"])  # 19, 20
    third = zeek_log(SWAPPED, [{"uid": "C3", "proto": "udp", "service": "dns"}])  # 30
    fewer = zeek_log(STD[:12], [{"uid": "C4", "conn_state": "S0"}])  # 40 (no packets)
    parts = [first, second, third, fewer]
    data = b"".join(gzip.compress(x.encode()) for x in parts) if gz else "".join(parts).encode()
    p = tmp_path / ("conn.log.gz" if gz else "conn.log")
    p.write_bytes(data)
    fast, slow = _both_paths(p)
    for store in (fast, slow):
        rows = _rows(store, "flow_uid")
        assert [(r["flow_uid"], r["protocol"], r["service"], r["status"]) for r in rows] == [
            ("C1", "tcp", "smb", "success"), ("C2", "tcp", "smb", "success"),
            ("C3", "udp", "dns", "success"), ("C4", "tcp", "smb", "failure"),
        ]  # fmt: skip
        assert rows[3]["packets_out"] is None and rows[0]["packets_out"] is not None
        assert {r["source_file"] for r in rows} == {str(p)}
        assert [r["line"] for r in _rejects(store)] == [20]
    # (the compact table keeps no line for good rows: the Zeek uid names them)
    assert [r["source_line"] for r in _rows(slow, "flow_uid")] == [9, 19, 30, 40]
    assert not [x for x in tmp_path.iterdir() if x.name.startswith(".rempart-")]


def test_zeek_concatenated_and_cut_gzip(tmp_path: Path) -> None:
    """A concatenation of logs of other columns, gzipped and cut while it was copied: the
    rows before the cut are read under their own headers, the cut is one reject."""
    rnd = random.Random(3)
    rows = [{"uid": f"A{i}x{rnd.getrandbits(60):x}"} for i in range(1500)]
    later = [{"uid": f"B{i}x{rnd.getrandbits(60):x}", "ip_proto": "6"} for i in range(1500)]
    data = gzip.compress((zeek_log(STD, rows) + zeek_log(ZEEK6, later)).encode())
    p = tmp_path / "conn.log.gz"
    p.write_bytes(data[: len(data) * 9 // 10])
    store, res = _ingest(tmp_path, "conn.log.gz", p.read_bytes())
    assert res.rewritten is not None
    assert [reason for reason, _ in res.reasons] == [
        next(r for r, _ in res.reasons if r.startswith("gzip stream truncated"))
    ]
    uids = [r["flow_uid"] for r in _rows(store, "flow_uid")]
    assert len(uids) == res.records and 1500 < res.records < 3000
    assert {u[0] for u in uids} == {"A", "B"}
    assert {r["protocol"] for r in _rows(store, "flow_uid")} == {"tcp"}


def test_zeek_concatenated_log_of_another_separator(tmp_path: Path) -> None:
    """A section written with `redef LogAscii::separator = ","` after a tab one."""
    text = zeek_log(STD, [{}]) + zeek_log(STD, [{"uid": "C2"}], sep=",")
    p = tmp_path / "conn.log"
    p.write_text(text)
    for store in _both_paths(p):
        assert [r["flow_uid"] for r in _rows(store, "flow_uid")] == ["C1", "C2"]
        assert _rejects(store) == []
    # the team is told the file was read from a realigned copy, and why
    res = ingest_file(Store.memory(), p)
    assert res.rewritten is not None and "another #fields line" in res.rewritten
    # (what `rempart ingest` prints about it: tests/cli/test_commands_cli.py)


def test_zeek_repeated_header_keeps_line_numbers(tmp_path: Path) -> None:
    """Logs of the same columns concatenated need no rewriting; a bad line after the second
    header keeps its own number (DuckDB numbered rows without the skipped comments)."""
    text = zeek_log(STD, [{}]) + zeek_log(STD, [{"uid": "C2"}, {"uid": "C3", "id.orig_h": "x"}])
    p = tmp_path / "conn.log"
    p.write_text(text)
    fast, slow = _both_paths(p)
    for store in (fast, slow):
        assert [r["flow_uid"] for r in _rows(store, "flow_uid")] == ["C1", "C2"]
        assert _rejects(store) == [{"line": 20, "reason": "bad originator address"}]
    assert ingest_file(Store.memory(), p).rewritten is None
    assert [r["source_line"] for r in _rows(slow, "flow_uid")] == [9, 19]


def test_zeek_dns_logs_concatenated(tmp_path: Path) -> None:
    dns = [*STD[:6], "proto", "query", "rcode_name"]
    dns2 = [*STD[:6], "proto", "trans_id", "query", "rcode_name"]
    values = {"query": "a.example", "rcode_name": "NOERROR", "trans_id": "7", "proto": "udp"}
    text = zeek_log(dns, [values], path="dns") + zeek_log(
        dns2, [{**values, "uid": "D2", "query": "b.example"}], path="dns"
    )
    store, res = _ingest(tmp_path, "dns.log", text)
    assert (res.records, res.rejected) == (2, 0)
    rows = _rows(store)
    assert [(r["dns_query"], r["dns_rcode"], r["source_line"]) for r in rows] == [
        ("a.example", "NOERROR", 9), ("b.example", "NOERROR", 19)
    ]  # fmt: skip


def test_realign_keeps_every_line(tmp_path: Path) -> None:
    """The rewritten copy has as many lines as the file, one layout, the markers of the
    first section (a section whose unset marker is `?` and empty `<>`)."""
    from rempart.sources.zeek_layout import realign

    other = zeek_log(["ts", "uid", "proto"], [{"proto": "?"}, {"proto": "<>"}], sep="|")
    other = other.replace("#unset_field|-", "#unset_field|?").replace(
        "#empty_field|(empty)", "#empty_field|<>"
    )
    text = zeek_log(STD[:3], [{}]) + other
    src, dst = tmp_path / "in.log", tmp_path / "out.log"
    src.write_text(text)
    realign(src, dst)
    out = dst.read_text().split("\n")
    assert len(out) == len(text.split("\n"))
    union = ["ts", "uid", "id.orig_h", "proto"]
    assert [x for x in out if x.startswith("#fields")] == ["\t".join(["#fields", *union])] * 2
    assert out[8] == "1552291200.5\tC1\t10.1.0.5\t-"
    assert out[18:20] == ["1552291200.5\tC1\t-\t-", "1552291200.5\tC1\t-\t(empty)"]


def test_zeek_header_only_log_is_empty_not_failed(tmp_path: Path) -> None:
    """A quiet hour: Zeek writes the header and `#close`, no rows."""
    _, res = _ingest(tmp_path, "conn.log", zeek_log(STD, []))
    assert (res.source, res.records, res.rejected) == ("zeek_conn_tsv", 0, 0)


def test_zeek_dns_other_separator_without_rtt(tmp_path: Path) -> None:
    """dns.log without `rtt` (some Zeek versions and labelled sets), comma separated."""
    fields = "ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto trans_id query rcode_name"
    dns = {"query": "evil.example", "rcode_name": "NXDOMAIN", "trans_id": "7", "proto": "udp"}
    text = zeek_log(fields.split(), [dns, "1552291201.0,D2"], sep=",", path="dns")
    store, res = _ingest(tmp_path, "dns.log", text)
    assert res.source == "zeek_dns"
    row = _rows(store)[0]
    assert (row["dns_query"], row["dns_rcode"], row["duration"]) == (
        "evil.example",
        "NXDOMAIN",
        None,
    )
    assert row["time"] == T0 and row["record_kind"] == "dns"
    assert _rejects(store) == [{"line": 10, "reason": "truncated line (too few fields)"}]


# --- Zeek JSON ---------------------------------------------------------------------------


def test_zeek_json_dns_log_is_not_read_as_connections(tmp_path: Path) -> None:
    """dns.log, http.log... in JSON carry ts, uid and id.*: they are not conn.log."""
    p = tmp_path / "dns.json"
    p.write_text(
        '{"ts":1552291200.5,"uid":"D1","id.orig_h":"10.1.0.5","id.orig_p":5353,'
        '"id.resp_h":"10.9.0.1","id.resp_p":53,"proto":"udp","trans_id":1,"query":"x.example"}\n',
        encoding="utf-8",
    )
    src = sniff(p)
    assert src is None or src.NAME != "zeek_conn_json"


def test_zeek_json_stream_iso_millis_ipv6(tmp_path: Path) -> None:
    """One stream with `_path` per line (json-streaming-logs, Corelight): conn lines only.
    ts as ISO 8601 (`JSON::TS_ISO8601`) or integer milliseconds (`JSON::TS_MILLIS`)."""
    text = (
        '{"_path":"conn","_write_ts":"2019-03-11T08:00:02.000000Z","ts":"2019-03-11T08:00:00.500000Z",'
        '"uid":"J1","id.orig_h":"2001:db8::5","id.orig_p":5001,"id.resp_h":"2001:db8::53",'
        '"id.resp_p":53,"proto":"udp","conn_state":"S0","community_id":"1:x=","tunnel_parents":[]}\n'
        '{"_path":"dns","ts":1552291200.6,"uid":"J1","id.orig_h":"2001:db8::5","id.orig_p":5001,'
        '"id.resp_h":"2001:db8::53","id.resp_p":53,"proto":"udp","query":"x.example"}\n'
        '{"_path":"conn","ts":1552291201250,"uid":"J2","id.orig_h":"10.1.0.5","id.orig_p":5002,'
        '"id.resp_h":"10.1.0.6","id.resp_p":445,"proto":"tcp","conn_state":"SF","orig_bytes":9}\n'
        '{"_path":"conn","ts":1552291202.0,"uid":"J3","id.orig_h":"10.1.0.5","id.orig_p":\n'
    )
    store, res = _ingest(tmp_path, "zeek.json", text)
    assert res.source == "zeek_conn_json"
    rows = _rows(store)
    assert [r["flow_uid"] for r in rows] == ["J1", "J2"]
    assert (rows[0]["time"], rows[0]["src_ip"], rows[0]["status"]) == (T0, "2001:db8::5", "failure")
    assert rows[1]["time"] == datetime(2019, 3, 11, 8, 0, 1, 250000, tzinfo=UTC)
    assert (rows[1]["bytes_out"], rows[1]["status"]) == (9, "success")
    assert _rejects(store) == [{"line": 4, "reason": "not valid JSON"}]


# --- nfdump ------------------------------------------------------------------------------

# nfdump >= 1.7.5 default `-o csv`: new names, protocol numbers, milliseconds
NFDUMP_175 = (
    "firstSeen,duration,proto,srcAddr,srcPort,dstAddr,dstPort,packets,bytes,flows\n"
    "2019-03-11 08:00:00.500,1.024,6,10.1.0.5,49152,10.1.0.6,445,5,300,1\n"
    "2019-03-11 08:00:01.000,0.000,17,2001:db8::5,5353,2001:db8::53,53,1,70,1\n"
    "2019-03-11 08:00:02.000,0.000,1,203.0.113.9,0,10.1.0.6,8.0,1,84,1\n"
    "2019-03-11 08:00:03.000,0.000,6,10.1.0.5\n"
)
# `-o 'csv:%tsr,%ter,%pr,%sa,%sp,%da,%dp,%flg,%ipkt,%ibyt,%opkt,%obyt'`: epoch seconds
NFDUMP_RAW = (
    "firstSeen,lastSeen,proto,srcAddr,srcPort,dstAddr,dstPort,flags,inPackets,inBytes,"
    "outPackets,outBytes\n"
    "1552291200.500,1552291201.524,6,10.1.0.5,49152,10.1.0.6,445,...AP.SF,5,300,4,400\n"
    "1552291201.000,1552291201.000,6,10.1.0.5,49153,10.1.0.7,445,....S.,1,60,0,0\n"
    "1552291202.000,1552291202.000,6,10.1.0.5,49154,10.1.0.8,port,....S.,1,60,0,0\n"
)


def test_nfdump_175_default_csv(tmp_path: Path) -> None:
    store, res = _ingest(tmp_path, "flows.csv", NFDUMP_175)
    assert (res.source, res.records) == ("nfdump_csv", 3)
    tcp, udp, icmp = _rows(store)
    assert (tcp["time"], tcp["protocol"], tcp["dst_port"], tcp["duration"]) == (
        T0,
        "tcp",
        445,
        1.024,
    )
    assert (tcp["packets_out"], tcp["bytes_out"], tcp["status"]) == (5, 300, "unknown")
    assert (udp["src_ip"], udp["protocol"]) == ("2001:db8::5", "udp")
    # ICMP as Zeek stores it: type as source port, code as destination port
    assert (icmp["protocol"], icmp["src_port"], icmp["dst_port"]) == ("icmp", 8, 0)
    assert _rejects(store) == [{"line": 5, "reason": "truncated line (too few fields)"}]


def test_nfdump_quiet_without_header(tmp_path: Path) -> None:
    """`nfdump -q -o csv` writes no header line: both default layouts are read by shape,
    the records numbered from line 1."""
    from tests.sources.test_network_sources import NFDUMP

    store, res = _ingest(tmp_path, "flows.csv", NFDUMP_175.split("\n", 1)[1])
    assert (res.source, res.records) == ("nfdump_csv", 3)
    assert _rows(store)[0]["time"] == T0 and _rows(store)[0]["dst_port"] == 445
    assert _rejects(store) == [{"line": 4, "reason": "truncated line (too few fields)"}]
    old = tmp_path / "old"
    old.mkdir()
    store, res = _ingest(old, "flows.csv", NFDUMP.split("\n", 1)[1])
    assert (res.source, res.records) == ("nfdump_csv", 3)
    first = _rows(store)[0]
    assert (first["src_ip"], first["dst_ip"], first["bytes_out"], first["status"]) == (
        "10.1.0.5", "10.1.0.6", 300, "success"
    )  # fmt: skip
    assert _rejects(store) == [{"line": 3, "reason": "truncated line (too few fields)"}]
    # a CSV of two times and addresses but another number of fields is not taken for it
    other = tmp_path / "other.csv"
    other.write_text("2019-03-11 08:00:00,2019-03-11 08:00:01,1.0,10.1.0.5,10.1.0.6\n")
    assert sniff(other) is None


def test_nfdump_custom_csv_with_epoch_times(tmp_path: Path) -> None:
    store, res = _ingest(tmp_path, "flows.csv", NFDUMP_RAW)
    assert (res.source, res.records) == ("nfdump_csv", 2)
    ok, syn = _rows(store)
    assert (ok["time"], ok["bytes_in"], ok["packets_in"], ok["status"]) == (T0, 400, 4, "success")
    assert syn["status"] == "failure"
    assert _rejects(store) == [{"line": 4, "reason": "bad destination port"}]


def test_nfdump_16_icmp_port_encoding(tmp_path: Path) -> None:
    """nfdump 1.6 writes ICMP's type and code as one port number, type * 256 + code."""
    head = "ts,te,td,sa,da,sp,dp,pr,flg,ipkt,ibyt,opkt,obyt\n"
    row = (
        "2019-03-11 08:00:00,2019-03-11 08:00:00,0.000,203.0.113.9,10.1.0.6,0,771,ICMP,"
        "......,1,84,0,0\n"
    )
    store, _ = _ingest(tmp_path, "flows.csv", head + row)
    icmp = _rows(store)[0]
    assert (icmp["protocol"], icmp["src_port"], icmp["dst_port"]) == ("icmp", 3, 3)


# --- Suricata EVE ------------------------------------------------------------------------

EVE_FLOW = (
    '{"timestamp":"2019-03-11T09:00:00.500000+0100","flow_id":1,"in_iface":"eth0",'
    '"event_type":"flow","src_ip":"2001:db8::5","dest_ip":"2001:db8::6","proto":"IPv6-ICMP",'
    '"icmp_type":128,"icmp_code":0,"flow":{"pkts_toserver":1,"pkts_toclient":1,'
    '"bytes_toserver":104,"bytes_toclient":104,"age":0,"state":"established"}}\n'
)
EVE_TCP = (
    '{"timestamp":"2019-03-11T08:00:01.000000+0000","flow_id":2,"event_type":"flow",'
    '"src_ip":"10.1.0.5","src_port":49153,"dest_ip":"10.1.0.7","dest_port":445,"proto":"TCP",'
    '"flow":{"pkts_toserver":2,"pkts_toclient":0,"bytes_toserver":120,"bytes_toclient":0,'
    '"age":0,"state":"new"},"tcp":{"syn":true,"state":"syn_sent"}}\n'
)


@pytest.mark.parametrize("pad", [10, 9000])
def test_eve_opening_with_stats_event(tmp_path: Path, pad: int) -> None:
    """eve.json often opens with `stats` (no flow_id), longer than the 8 KiB sniffed."""
    stats = (
        '{"timestamp":"2019-03-11T08:00:00.000000+0000","event_type":"stats",'
        f'"stats":{{"uptime":1,"note":"{"x" * pad}"}}}}\n'
    )
    dns = (
        '{"timestamp":"2019-03-11T08:00:00.700000+0000","flow_id":3,"event_type":"dns",'
        '"src_ip":"10.1.0.5","dest_ip":"10.9.0.1","dns":{"type":"query","rrname":"x"}}\n'
    )
    text = stats + EVE_FLOW + dns + EVE_TCP + '{"timestamp":"2019-03-11T08:00:0\n'
    store, res = _ingest(tmp_path, "eve.json", text)
    # the dns event is suricata_eve_events' (a `network_event` row)
    assert (res.source, res.records) == ("suricata_eve_flow+suricata_eve_events", 3)
    icmp, tcp = _rows(store)
    assert (icmp["time"], icmp["protocol"], icmp["src_port"], icmp["dst_port"]) == (
        T0, "icmp", 128, 0
    )  # fmt: skip
    assert (icmp["src_ip"], icmp["bytes_out"]) == ("2001:db8::5", 104)
    assert (tcp["dst_port"], tcp["status"]) == (445, "failure")
    assert _rejects(store) == [{"line": 5, "reason": "not valid JSON"}]


# --- netfilter ---------------------------------------------------------------------------

NF_BODY = (
    "IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC=203.0.113.9 "
    "DST=10.1.0.1 LEN=60 TOS=0x00 PREC=0x00 TTL=50 ID=1 DF PROTO=TCP SPT=40000 DPT=22 "
    "WINDOW=1024 RES=0x00 SYN URGP=0"
)
SYSLOG = (
    "".join(
        f"Mar 11 07:59:{i:02d} fw1 sshd[{i}]: Connection closed by 10.0.0.{i}\n" for i in range(30)
    )
    + f"2019-03-11T09:00:00.500000+0100 fw1 kernel: [ 1234.567890] nft drop in: {NF_BODY}\n"
    + f"Mar 11 08:00:01.250000 fw1 kernel: {NF_BODY}\n"
    + f"<4>1 2019-03-11T08:00:02.000Z fw1 kernel - - - DROP-5424 {NF_BODY}\n"
    + "Mar 11 08:00:03 fw1 kernel: [1235.0] DROP6 IN=eth0 OUT= SRC=2001:db8::9 "
    "DST=2001:db8::1 LEN=104 TC=0 HOPLIMIT=64 FLOWLBL=1 PROTO=ICMPv6 TYPE=128 CODE=0 ID=1 SEQ=1\n"
    + "Mar 11 08:00:04 fw1 kernel: [1236.0] DROP IN=eth0 OUT= SRC=203.0.113.9 DST=10.1.\n"
    + "Mar 11 08:00:05 fw1 systemd[1]: Started Session 4 of user root.\n"
)


def test_netfilter_in_a_whole_syslog(tmp_path: Path) -> None:
    """A real /var/log/syslog: other daemons first (the LOG lines are past the first 20),
    rsyslog RFC 3339, journald short-precise, RFC 5424, IPv6/ICMPv6, empty `OUT=`."""
    store, res = _ingest(tmp_path, "syslog", SYSLOG)
    # the sshd lines are linux_auth_syslog's (chatter, not logins: skipped)
    assert (res.source, res.records) == ("netfilter_log+linux_auth_syslog", 4)
    iso, precise, rfc5424, v6 = _rows(store)
    assert (iso["time"], iso["rule"], iso["action"]) == (T0, "nft drop in:", "denied")
    assert (iso["src_ip"], iso["dst_port"], iso["conn_state"]) == ("203.0.113.9", 22, "SYN")
    assert precise["time"] == datetime(2019, 3, 11, 8, 0, 1, 250000, tzinfo=UTC)
    assert precise["rule"] is None and precise["action"] is None  # no prefix: no verdict
    assert (rfc5424["time"], rfc5424["rule"]) == (
        datetime(2019, 3, 11, 8, 0, 2, tzinfo=UTC),
        "DROP-5424",
    )
    assert (v6["protocol"], v6["src_port"], v6["dst_port"], v6["src_ip"]) == (
        "icmp", 128, 0, "2001:db8::9"
    )  # fmt: skip
    # other daemons' lines are skipped; the cut LOG line is rejected, with its line
    assert _rejects(store) == [{"line": 35, "reason": "truncated line (no PROTO=)"}]


def test_netfilter_output_chain_bridge_and_pri(tmp_path: Path) -> None:
    """OUTPUT chain (empty `IN=`) on a bridge (`PHYSOUT=`), a raw `<PRI>` before the stamp,
    and ulogd's LOGEMU lines (no `kernel:` tag, the prefix right after the host)."""
    text = (
        "<4>Mar 11 08:00:01 fw1 kernel: [1.0] ACCEPT-OUT IN= OUT=br0 PHYSOUT=eth1 "
        "SRC=10.1.0.5 DST=10.2.0.1 LEN=60 TOS=0x00 PROTO=UDP SPT=1234 DPT=53 LEN=40\n"
        f"Mar 11 08:00:02 fw1 DROP {NF_BODY}\n"
    )
    store, _ = _ingest(tmp_path, "messages", text)
    out, ulogd = _rows(store)
    assert (out["time"], out["rule"], out["action"]) == (
        datetime(2019, 3, 11, 8, 0, 1, tzinfo=UTC), "ACCEPT-OUT", "allowed"
    )  # fmt: skip
    assert (out["protocol"], out["dst_port"], out["bytes_out"]) == ("udp", 53, 60)
    assert (ulogd["src_ip"], ulogd["rule"], ulogd["action"]) == ("203.0.113.9", "DROP", "denied")


def test_netfilter_december_log_read_in_january(tmp_path: Path) -> None:
    """BSD syslog has no year: a December line read on 2 January is last year's."""
    line = f"Dec 31 23:59:58 fw1 kernel: DROP {NF_BODY}\n"
    store, _ = _ingest(tmp_path, "kern.log", line, reference=datetime(2020, 1, 2, tzinfo=UTC))
    assert _rows(store)[0]["time"] == datetime(2019, 12, 31, 23, 59, 58, tzinfo=UTC)


# --- FortiGate ---------------------------------------------------------------------------

FORTI = (
    # FortiOS 7 without date/time (some forwarders drop them), eventtime in ns, quoted
    # values with spaces
    'logver=700 eventtime=1552291200500000000 tz="+0100" logid="0000000013" type="traffic" '
    'subtype="forward" level="notice" devname="FGT CHU 1" srcip=10.1.0.5 srcport=49152 '
    'srcintf="port 1" dstip=10.2.0.9 dstport=1433 proto=6 action="deny" policyid=12 '
    'service="Microsoft SQL" sentbyte=0 rcvdbyte=0 sentpkt=1 rcvdpkt=0 sessionid=77\n'
    # FortiOS 6.2+: local date/time with its tz offset, no eventtime; bare type=traffic
    'date=2019-03-11 time=09:00:01 devname="FGT CHU 1" tz="+0100" logid="0000000013" '
    "type=traffic subtype=forward srcip=2001:db8::5 srcport=49153 dstip=2001:db8::6 "
    'dstport=443 proto=6 action="close" service="HTTPS" sentpkt=4 rcvdpkt=3 sessionid=78\n'
    'date=2019-03-11 time=09:00:02 tz="+0100" type="traffic" srcip=10.1.0.5 dstip=10.2.0.x '
    'proto=17 action="accept"\n'
)


def test_fortigate_without_date_with_tz_and_spaces(tmp_path: Path) -> None:
    store, res = _ingest(tmp_path, "fgt.log", FORTI)
    assert (res.source, res.records) == ("fortigate_traffic", 2)
    deny, ok = _rows(store)
    assert (deny["time"], deny["service"], deny["dst_port"], deny["action"]) == (
        T0, "microsoft sql", 1433, "denied"
    )  # fmt: skip
    assert (deny["status"], deny["flow_uid"], deny["rule"]) == ("failure", "77", "12")
    assert ok["time"] == datetime(2019, 3, 11, 8, 0, 1, tzinfo=UTC)  # 09:00:01 at +01:00
    assert (ok["src_ip"], ok["status"], ok["packets_in"]) == ("2001:db8::5", "success", 3)
    assert _rejects(store) == [{"line": 3, "reason": "bad destination address"}]


def test_key_inside_quoted_text_does_not_shadow_the_field(tmp_path: Path) -> None:
    """A `key=` written inside another field's quoted value (a message quoting a log) is
    not the field: quoted values are consumed whole (FortiOS and WELF alike)."""
    fgt = (
        'date=2019-03-11 time=08:00:00 type="traffic" msg="peer srcip=6.6.6.6 dstport=22 '
        'blocked" srcip=10.1.0.5 srcport=49152 dstip=10.2.0.9 dstport=445 proto=6 '
        'action="deny" sentbyte=0 rcvdbyte=0\n'
    )
    store, _ = _ingest(tmp_path, "fgt.log", fgt)
    row = _rows(store)[0]
    assert (row["src_ip"], row["dst_port"], row["action"]) == ("10.1.0.5", 445, "denied")
    sns = tmp_path / "sns"
    sns.mkdir()
    welf = (
        'id=firewall time="2019-03-11 08:00:00" fw="SNS" tz=+0000 msg="src=6.6.6.6 seen" '
        "ipproto=tcp src=10.1.0.5 srcport=49152 dst=10.2.0.9 dstport=445 sent=0 rcvd=0 "
        'action=block logtype="connection"\n'
    )
    store, _ = _ingest(sns, "l_connection", welf)
    assert _rows(store)[0]["src_ip"] == "10.1.0.5"


# --- the Arrow path (a sink without SQL) reads the same --------------------------------


@pytest.mark.parametrize(
    ("name", "text"),
    [("a.csv", NFDUMP_175), ("b.csv", NFDUMP_RAW), ("syslog", SYSLOG), ("fgt.log", FORTI),
     ("eve.json", EVE_FLOW + EVE_TCP)],
)  # fmt: skip
def test_arrow_path_matches_query_path(tmp_path: Path, name: str, text: str) -> None:
    store, _ = _ingest(tmp_path, name, text)
    fast = _rows(store)
    p = tmp_path / name
    src = sniff(p)
    assert src is not None
    other = Store.memory()
    ctx = ParseContext(
        path=p,
        digest=str(fast[0]["event_uid"]).split(":")[0],
        sink=lambda data: other.append("network_flow", data),
        reference_time=REF,
    )
    src.parse(p, ctx)
    ctx.close()
    assert _rows(other) == fast


def test_zeek_dns_and_smb_as_json(tmp_path: Path) -> None:
    """Security Onion, Corelight and `LogAscii::use_json=T` sites write every log as JSON."""
    dns = (
        '{"ts":"2019-03-11T08:00:00.500000Z","uid":"D1","id.orig_h":"10.1.0.5","id.orig_p":5353,'
        '"id.resp_h":"10.9.0.1","id.resp_p":53,"proto":"udp","trans_id":7,"rtt":0.01,'
        '"query":"evil.example","qtype_name":"A","rcode_name":"NXDOMAIN","answers":[]}\n'
        '{"ts":1552291201.0,"uid":"D2","id.orig_h":\n'
    )
    store, res = _ingest(tmp_path, "dns.json", dns)
    assert (res.source, res.records) == ("zeek_dns_json", 1)
    row = _rows(store)[0]
    assert (row["time"], row["dns_query"], row["dns_rcode"], row["duration"]) == (
        T0, "evil.example", "NXDOMAIN", 0.01
    )  # fmt: skip
    assert (row["record_kind"], row["flow_uid"], row["dst_port"]) == ("dns", "D1", 53)
    assert _rejects(store) == [{"line": 2, "reason": "not valid JSON"}]
    smb = (
        '{"_path":"smb_mapping","ts":1552291200.5,"uid":"S1","id.orig_h":"10.1.0.5",'
        '"id.orig_p":49152,"id.resp_h":"10.1.0.6","id.resp_p":445,'
        '"path":"\\\\\\\\10.1.0.6\\\\ADMIN$","share_type":"DISK"}\n'
    )
    store, res = _ingest(tmp_path, "smb.json", smb)
    assert (res.source, res.records) == ("zeek_smb_mapping_json", 1)
    row = _rows(store)[0]
    assert (row["smb_path"], row["smb_action"], row["time"]) == ("\\\\10.1.0.6\\ADMIN$", "DISK", T0)
    # smb_files without `_path` and without `fuid` (logged only when a file analysis ran)
    files = (
        '{"ts":1552291200.5,"uid":"S2","id.orig_h":"10.1.0.5","id.orig_p":49153,'
        '"id.resp_h":"10.1.0.6","id.resp_p":445,"action":"SMB::FILE_OPEN",'
        '"path":"\\\\\\\\DC\\\\sysvol","name":"gpt.ini","size":22}\n'
    )
    store, res = _ingest(tmp_path, "smb_files.json", files)
    assert (res.source, res.records) == ("zeek_smb_files_json", 1)
    row = _rows(store)[0]
    assert (row["smb_action"], row["flow_uid"], row["dst_port"]) == ("SMB::FILE_OPEN", "S2", 445)


def test_stratosphere_zeek_logs_read_whole(shared_data: Path) -> None:
    """Real Zeek output (with and without `#close`, labelled extra columns, IPv6): every
    conn.log and dns.log row is read; only those of a capture with relative timestamps
    (1970: captures 001 and 005) are rejected, each for its implausible time."""
    root = shared_data / "stratosphere_zeek"
    if not root.is_dir():
        pytest.skip(f"{root} not present")
    seen = relative = 0
    for p in sorted(root.rglob("*.log*")):
        if not p.name.startswith(("conn.log", "labeled-conn.log", "dns.log")):
            continue
        src = sniff(p)
        assert src is not None and src.NAME in ("zeek_conn_tsv", "zeek_dns"), p
        with p.open(encoding="utf-8", errors="replace") as fh:
            stamps = [float(line.split("\t", 1)[0]) for line in fh if not line.startswith("#")]
        data, old = len(stamps), sum(1 for ts in stamps if ts < 946_684_800)  # 2000-01-01
        res = ingest_file(Store.memory(), p)
        assert (res.status, res.records, res.rejected) == (FileStatus.INGESTED, data - old, old)
        assert res.implausible == old and res.all_implausible == (old == data), p
        relative += bool(old)
        seen += 1
    assert seen >= 8 and relative >= 2


def test_line_numbers_when_the_file_is_read_in_parallel_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Line-based sources number lines from the order DuckDB keeps when it reads a file in
    parts on several threads (`flowsql.lines_scan`); small buffers force many parts here."""
    import rempart.sources.flowsql as flowsql

    monkeypatch.setattr(flowsql, "LINES_READ_OPTIONS", ", buffer_size=65536, max_line_size=4096")
    line = (
        "date=2019-03-11 time=08:{m:02d}:{s:02d} type=traffic srcip=10.1.{a}.{b} "
        "srcport={p} dstip=10.2.0.9 dstport=445 proto=6 action=deny sentbyte=0 rcvdbyte=0\n"
    )
    bad = {7, 15_001, 39_999}  # an address that is not one, on known lines
    text = "".join(
        line.format(
            m=i // 60 % 60, s=i % 60, a="x" if i in bad else i // 250 % 250, b=i % 250, p=1024 + i
        )
        for i in range(1, 40_001)
    )
    store, res = _ingest(tmp_path, "fgt.log", text)
    assert (res.records, res.rejected) == (40_000 - len(bad), len(bad))
    assert [r["line"] for r in _rejects(store)] == sorted(bad)
    # every row's line number names the line it came from (its source port is 1024 + line)
    off = (
        store.sql("SELECT count(*) AS n FROM network_flow WHERE src_port <> 1024 + source_line")
        .column("n")[0]
        .as_py()
    )
    assert off == 0
