from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from rempart.sources import sniff, zeek_conn
from rempart.store import Store
from rempart.store.ingest import FileStatus, ingest_file

HEADER = (
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n"
    "#open\t2019-03-11-08-00-00\n"
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\t"
    "orig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\t"
    "orig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\n"
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\t"
    "string\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\n"
)
GOOD = (
    "1552291200.123456\tC1\t10.1.0.5\t49152\t10.1.0.6\t445\ttcp\tsmb\t0.5\t100\t200\tSF\t"
    "T\tT\t0\tShADadFf\t5\t300\t4\t400\t-\n"
)
FAILED = (
    "1552291201.0\tC2\t10.1.0.5\t49153\t10.1.0.7\t445\ttcp\t-\t-\t-\t-\tS0\tT\tT\t0\tS\t1\t60\t"
    "0\t0\t-\n"
)


def _conn(tmp_path: Path, body: str, name: str = "conn.log") -> Path:
    p = tmp_path / name
    p.write_text(HEADER + body + "#close\t2019-03-11-09-00-00\n", encoding="utf-8")
    return p


def test_tsv_exact_record_and_rejects(tmp_path: Path) -> None:
    p = _conn(tmp_path, GOOD + FAILED + "1552291202.0\tC3\t10.1.0.5\n" + GOOD.replace("C1", "C4"))
    store = Store.memory()
    res = ingest_file(store, p)
    assert res.status is FileStatus.INGESTED and res.source == "zeek_conn_tsv"
    assert (res.records, res.rejected) == (3, 1)
    assert dict(res.reasons) == {"truncated line (too few fields)": 1}
    rej = store.sql("SELECT line, reason FROM rejects").to_pylist()
    assert rej == [{"line": 11, "reason": "truncated line (too few fields)"}]
    row = store.sql("SELECT * FROM network_flow ORDER BY source_line LIMIT 1").to_pylist()[0]
    assert row["src_ip"] == "10.1.0.5" and row["dst_port"] == 445 and row["service"] == "smb"
    assert row["time"].timestamp() == 1552291200.123456
    assert (row["bytes_out"], row["bytes_in"], row["status"]) == (100, 200, "success")
    assert row["source_line"] == 9 and row["event_uid"].endswith(":9")
    last = store.sql("SELECT source_line, status FROM network_flow ORDER BY source_line")
    assert last.column("source_line").to_pylist() == [9, 10, 12]
    assert last.column("status").to_pylist()[1] == "failure"


def test_gzip_without_extension_is_sniffed(tmp_path: Path) -> None:
    p = tmp_path / "capture"
    p.write_bytes(gzip.compress((HEADER + GOOD).encode()))
    source = sniff(p)
    assert source is not None and source.NAME == "zeek_conn_tsv"
    res = ingest_file(Store.memory(), p)
    assert res.records == 1


def test_reingest_adds_nothing(tmp_path: Path) -> None:
    p = _conn(tmp_path, GOOD + FAILED)
    store = Store.memory()
    assert ingest_file(store, p).records == 2
    assert ingest_file(store, p).status is FileStatus.ALREADY
    assert store.count("network_flow") == 2


def test_json_lines_with_iso_and_broken_line(tmp_path: Path) -> None:
    p = tmp_path / "conn.json"
    p.write_text(
        '{"ts":1552291200.5,"uid":"J1","id.orig_h":"10.2.0.1","id.orig_p":5000,'
        '"id.resp_h":"8.8.8.8","id.resp_p":53,"proto":"udp","service":"dns","conn_state":"SF"}\n'
        '{"ts":"2019-03-11T08:00:01.000000Z","uid":"J2","id.orig_h":"10.2.0.1",'
        '"id.orig_p":5001,"id.resp_h":"8.8.8.8","id.resp_p":53,"proto":"udp","conn_state":"S0"}\n'
        '{"ts":1552291202, "uid": "J3", "id.orig_h": "10.2.\n',
        encoding="utf-8",
    )
    store = Store.memory()
    res = ingest_file(store, p)
    assert res.source == "zeek_conn_json"
    assert (res.records, res.rejected) == (2, 1)
    assert dict(res.reasons) == {"not valid JSON": 1}
    times = store.sql("SELECT epoch(time) AS t FROM network_flow ORDER BY t").column("t")
    assert times.to_pylist() == [1552291200.5, 1552291201.0]


def test_not_a_conn_log_is_not_sniffed(tmp_path: Path) -> None:
    p = tmp_path / "notes.txt"
    p.write_text("#fields are not enough\nhello\n", encoding="utf-8")
    assert sniff(p) is None


def _big_conn(tmp_path: Path, extra: str = "") -> Path:
    rows = []
    for i in range(3000):
        line = GOOD.replace("C1", f"C{i}").replace("1552291200.123456", f"{1552291200 + i}.5")
        if i == 1234:
            line = "1552291202.0\tCx\t10.1.0.5\n"  # truncated: a row with a reason
        if i == 2100:
            line = line.replace("\t445\t", "\tport\t")  # bad responder port
        if i == 2500 and extra:
            line = extra
        rows.append(line)
    return _conn(tmp_path, "".join(rows))


def _ingest_split(path: Path, parts: int, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setattr(zeek_conn, "SPLIT_MIN_BYTES", 0 if parts > 1 else 1 << 62)
    monkeypatch.setattr(zeek_conn, "_split_parts", lambda: parts)
    store = Store.memory()
    assert ingest_file(store, path).status is FileStatus.INGESTED
    return store


@pytest.mark.parametrize("extra", ["", GOOD.replace("\n", "\textra\tfields\n")])
def test_parts_numbered_side_by_side_match_one_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: str
) -> None:
    """Cutting a big file into parts (each numbered by its own scan) stores exactly what
    one scan stores: same rows, same event_uid and line numbers, same rejects. A line
    DuckDB's reader drops (too many fields) makes it fall back to one scan."""
    p = _big_conn(tmp_path, extra)
    one = _ingest_split(p, 1, monkeypatch)
    three = _ingest_split(p, 3, monkeypatch)
    q = "SELECT * FROM network_flow ORDER BY source_line"
    assert one.sql(q).to_pylist() == three.sql(q).to_pylist()
    assert one.count("network_flow") == 2998 - (1 if extra else 0)
    r = "SELECT line, reason FROM rejects ORDER BY line"
    assert one.sql(r).to_pylist() == three.sql(r).to_pylist()
    lines = [row["line"] for row in three.sql(r).to_pylist()]
    assert lines[:2] == [8 + 1235, 8 + 2101]
    assert (
        three.sql("SELECT source_line FROM network_flow WHERE flow_uid = 'C2999'").to_pylist()[0][
            "source_line"
        ]
        == 8 + 3000 - (1 if extra else 0)  # one scan numbers the rows DuckDB keeps
    )


def test_row_cuts(tmp_path: Path) -> None:
    p = _big_conn(tmp_path)
    cuts = zeek_conn._row_cuts(p, 8, 3)
    size = p.stat().st_size
    assert (
        zeek_conn._row_cuts(p, 8, 3) == [] if size < zeek_conn.SPLIT_MIN_BYTES else len(cuts) == 3
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(zeek_conn, "SPLIT_MIN_BYTES", 0)
        cuts = zeek_conn._row_cuts(p, 8, 3)
        assert len(cuts) == 3 and cuts[0] == 0 and 900 < cuts[1] < 1100 < 1900 < cuts[2] < 2100
        # a comment line past the header: rows and lines no longer match, one scan
        text = p.read_text(encoding="utf-8").splitlines(keepends=True)
        text.insert(500, "#note\n")
        p.write_text("".join(text), encoding="utf-8")
        assert zeek_conn._row_cuts(p, 8, 3) == []
        # a blank line (DuckDB skips it, its `skip` option counts it): one scan
        text[500] = "\n"
        p.write_text("".join(text), encoding="utf-8")
        assert zeek_conn._row_cuts(p, 8, 3) == []
        text[500] = GOOD
        p.write_text("".join(text), encoding="utf-8")
        assert len(zeek_conn._row_cuts(p, 8, 3)) == 3
