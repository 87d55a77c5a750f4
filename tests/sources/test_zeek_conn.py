from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import pytest

from rempart.ingest.files import FileStatus, ingest_file
from rempart.sources import ParseContext, sniff
from rempart.store import Store

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
    row = store.sql("SELECT * FROM network_flow ORDER BY time, flow_uid LIMIT 1").to_pylist()[0]
    assert row["src_ip"] == "10.1.0.5" and row["dst_port"] == 445 and row["service"] == "smb"
    assert row["time"].timestamp() == 1552291200.123456
    assert (row["bytes_out"], row["bytes_in"], row["status"]) == (100, 200, "success")
    # a conn.log row is identified by Zeek's own uid (what its other logs name it by)
    assert row["event_uid"] == "C1" and row["source_line"] is None
    assert (row["source_file"], row["source_format"]) == (str(p), "zeek_conn_tsv")
    assert (row["record_kind"], row["action"], row["packets_out"]) == ("flow", None, 5)
    last = store.sql("SELECT flow_uid, status FROM network_flow ORDER BY flow_uid")
    assert last.column("flow_uid").to_pylist() == ["C1", "C2", "C4"]
    assert last.column("status").to_pylist()[1] == "failure"


def test_gzip_without_extension_is_sniffed(tmp_path: Path) -> None:
    p = tmp_path / "capture"
    p.write_bytes(gzip.compress((HEADER + GOOD).encode()))
    source = sniff(p)
    assert source is not None and source.NAME == "zeek_conn_tsv"
    res = ingest_file(Store.memory(), p)
    assert res.records == 1


def test_separator_line_with_a_tab(tmp_path: Path) -> None:
    """Some exporters write `#separator<TAB>\\x09` instead of Zeek's space (zat's sample
    `conn_date_issue.log`): the same file, read the same."""
    p = _conn(tmp_path, GOOD + FAILED)
    p.write_text(p.read_text().replace("#separator ", "#separator\t", 1))
    source = sniff(p)
    assert source is not None and source.NAME == "zeek_conn_tsv"
    res = ingest_file(Store.memory(), p)
    assert (res.records, res.rejected) == (2, 0)


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
        if i == 500:
            line = "-" + line[line.index("\t") :]  # unset timestamp
        if i == 600:
            line = "soon" + line[line.index("\t") :]  # a timestamp that is not a number
        if i == 1700:
            line = line.replace("\t10.1.0.5\t", "\t10.1.0.5;rm\t")  # bad address
        if i == 2100:
            line = line.replace("\t445\t", "\tport\t")  # bad responder port
        if i == 2500 and extra:
            line = extra
        rows.append(line)
    return _conn(tmp_path, "".join(rows))


def _ingest(path: Path, compact: bool) -> Store:
    """Ingest through the compact flow table, or through the numbered text path."""
    store = Store.memory()
    if not compact:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(ParseContext, "emit_flows", lambda *a, **k: False)
            mp.setattr(ParseContext, "emit_query", lambda *a, **k: False)
            assert ingest_file(store, path).status is FileStatus.INGESTED
        return store
    assert ingest_file(store, path).status is FileStatus.INGESTED
    return store


@pytest.mark.parametrize("extra", ["", GOOD.replace("\n", "\textra\tfields\n")])
def test_compact_path_matches_the_numbered_path(tmp_path: Path, extra: str) -> None:
    """The compact flow table (read in parallel, no line numbers) stores the same flows
    as the numbered text path and rejects the same lines for the same reasons."""
    p = _big_conn(tmp_path, extra)
    fast = _ingest(p, compact=True)
    slow = _ingest(p, compact=False)
    cols = (
        "time, duration, src_ip, src_port, dst_ip, dst_port, protocol, service, bytes_out, "
        "bytes_in, packets_out, packets_in, conn_state, status, flow_uid, record_kind"
    )
    q = f"SELECT {cols} FROM network_flow ORDER BY flow_uid"
    assert fast.sql(q).to_pylist() == slow.sql(q).to_pylist()
    assert fast.count("network_flow") == 2995 - (1 if extra else 0)
    r = "SELECT line, reason FROM rejects ORDER BY line"
    assert fast.sql(r).to_pylist() == slow.sql(r).to_pylist()
    expected = [
        {"line": 8 + 501, "reason": "missing or bad timestamp"},
        {"line": 8 + 601, "reason": "missing or bad timestamp"},
        {"line": 8 + 1235, "reason": "truncated line (too few fields)"},
        {"line": 8 + 1701, "reason": "bad originator address"},
        {"line": 8 + 2101, "reason": "bad responder port"},
    ]
    assert fast.sql(r).to_pylist()[:5] == expected
    assert fast.sql("SELECT count(*) AS n FROM flow_conn").to_pylist()[0]["n"] == fast.count(
        "network_flow"
    )  # rejected rows are not kept


def test_compact_table_and_older_workspace(tmp_path: Path) -> None:
    """A workspace whose `network_flow` was a table keeps its rows, now beside conn.logs."""
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    con.execute(
        "CREATE TABLE network_flow AS SELECT TIMESTAMPTZ '2019-03-11 08:00:00+00' AS time, "
        "'10.0.0.1' AS src_ip, '10.0.0.2' AS dst_ip, 'old:1' AS event_uid, "
        "'old.log' AS source_file, 1::BIGINT AS source_line, 'x' AS source_format"
    )
    con.close()
    with Store(db) as store:
        assert store.count("network_flow") == 1
        ingest_file(store, _conn(tmp_path, GOOD + FAILED))
        rows = store.sql("SELECT event_uid, status FROM network_flow ORDER BY time").to_pylist()
        assert rows[0] == {"event_uid": "old:1", "status": None}
        assert [r["status"] for r in rows[1:]] == ["success", "failure"]
    with Store(db, read_only=True) as store:
        assert store.count("network_flow") == 3


def _gzipped(path: Path) -> Path:
    """The file gzipped: a conn.log DuckDB's reader writes to `flow_conn` (Arrow reads only
    plain files in byte ranges)."""
    out = path.with_suffix(".log.gz")
    out.write_bytes(gzip.compress(path.read_bytes()))
    return out


def test_compact_columns_keep_their_chosen_compression(tmp_path: Path) -> None:
    """`flow_conn` is written with one compression per column, not DuckDB's per row group
    choice: uids plainly, addresses with dictionary+FSST, times and ports bit-packed."""
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        ingest_file(store, _gzipped(_conn(tmp_path, GOOD + FAILED)))
        store.sql("CHECKPOINT")
        used = {
            r["column_name"]: r["compression"]
            for r in store.sql(
                "SELECT DISTINCT column_name, compression FROM pragma_storage_info('flow_conn') "
                "WHERE segment_type <> 'VALIDITY'"
            ).to_pylist()
        }
    assert used["flow_uid"] == "Uncompressed"
    assert used["src_ip"] == used["conn_state"] == "DICT_FSST"
    assert used["time"] == used["src_port"] == "BitPacking"


def test_flow_conn_with_a_stored_status(tmp_path: Path) -> None:
    """A `flow_conn` from when `status` was stored as text keeps working: its rows get
    their `outcome` from conn_state when the column is added, and the view names it."""
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        ingest_file(store, _gzipped(_conn(tmp_path, GOOD)))
        assert store.sql("SELECT outcome FROM flow_conn").to_pylist() == [{"outcome": 1}]
        store.sql("ALTER TABLE flow_conn DROP COLUMN outcome")
        store.sql("ALTER TABLE flow_conn ADD COLUMN status VARCHAR")
        store.sql("UPDATE flow_conn SET status = 'stale'")
    with Store(db) as store:
        ingest_file(store, _conn(tmp_path, FAILED, name="conn2.log"))
        rows = store.sql("SELECT status FROM network_flow ORDER BY time").to_pylist()
        assert [r["status"] for r in rows] == ["success", "failure"]
        assert store.sql(
            "SELECT count(*) AS n FROM flow_conn WHERE outcome IS NULL"
        ).to_pylist() == [{"n": 0}]


def test_big_file_hashed_while_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A big new file is hashed on a thread during the parse; the digest still decides:
    the same content under another name is skipped, even if only known at the end."""
    from rempart.ingest import files as ingest_mod

    monkeypatch.setattr(ingest_mod, "HASH_WHILE_PARSING_BYTES", 0)
    p = _conn(tmp_path, GOOD + FAILED)
    store = Store.memory()
    assert ingest_file(store, p).records == 2
    logged = store.sql("SELECT file_sha256, quick FROM ingest_log").to_pylist()[0]
    assert len(logged["file_sha256"]) == 64 and len(logged["quick"]) == 64
    files = store.sql("SELECT file_id FROM flow_files").to_pylist()
    assert files == [{"file_id": logged["file_sha256"][:16]}]
    copy = tmp_path / "copy.log"
    copy.write_bytes(p.read_bytes())
    assert ingest_file(store, copy).status is FileStatus.ALREADY  # fingerprint, then digest
    monkeypatch.setattr(Store, "may_be_ingested", lambda self, quick: False)
    assert ingest_file(store, copy).status is FileStatus.ALREADY  # digest known at the end
    assert store.count("network_flow") == 2 and store.count("flow_files") == 1


def test_address_inventory_feeds_the_host_table(tmp_path: Path) -> None:
    """Each conn.log's good addresses are listed once (`flow_addresses`), and the detectors'
    host table built from that list equals the one built from a scan of the flows."""
    from rempart.detect.network import nets
    from rempart.detect.network.nets import NetParams
    from rempart.store.engine import Engine

    bad = GOOD.replace("C1", "C9").replace("10.1.0.6", "10.1.0.6;drop")
    db = tmp_path / "a.duckdb"
    with Store(db) as store:
        ingest_file(store, _conn(tmp_path, GOOD + FAILED + bad))
        listed = store.sql("SELECT file_no, ip FROM flow_addresses ORDER BY ip").to_pylist()
        assert listed == [{"file_no": 1, "ip": f"10.1.0.{n}"} for n in (5, 6, 7)]
        # a workspace from before the inventory: read-only, the flows are read instead;
        # opened for writing, its addresses are listed
        store.sql("DROP TABLE flow_addresses")
    with Store(db, read_only=True) as store:
        engine = Engine.for_store(store)
        assert engine.addresses is None
        nets._CACHE.clear()
        nets.prepare(engine, None, NetParams())
        assert engine.hosts is not None and engine.hosts.num_rows == 3
    with Store(db) as store:
        assert store.count("flow_addresses") == 3
        fast = Engine.for_store(store)
        slow = Engine(store.con, "duckdb")  # no inventory: addresses read from the flows
        tables = []
        for engine in (fast, slow):
            nets._CACHE.clear()  # (the host table is cached per connection and data)
            nets.prepare(engine, None, NetParams())
            assert engine.hosts is not None
            tables.append(engine.hosts.sort_by("ip").to_pylist())
        assert tables[0] == tables[1] and len(tables[0]) == 3


def test_address_inventory_names_only_stored_flows(tmp_path: Path) -> None:
    """A row rejected for its time does not list its addresses, and a file whose rows are
    all rejected lists none: the inventory stands for the stored flows (the host table is
    built from it), on both paths (a memory store writes the table, a store on disk the
    Parquet parts)."""
    late = GOOD.replace("C1", "C8").replace("1552291200.123456", "-")
    late = late.replace("10.1.0.6", "10.9.9.9")  # an address only this row names
    for disk in (False, True):
        (tmp_path / str(disk)).mkdir()
        db = tmp_path / str(disk) / "a.duckdb"
        with Store(db) if disk else Store.memory() as store:
            kept = ingest_file(store, _conn(tmp_path, GOOD + FAILED + late))
            assert (kept.records, kept.rejected) == (2, 1)
            listed = store.sql("SELECT ip FROM flow_addresses ORDER BY ip").column("ip")
            assert listed.to_pylist() == [f"10.1.0.{n}" for n in (5, 6, 7)]
            none = ingest_file(store, _conn(tmp_path, late, name="late.log"))
            assert (none.records, none.rejected) == (0, 1)
            assert store.count("flow_addresses") == 3
            flows = store.sql(
                "SELECT DISTINCT src_ip AS ip FROM network_flow "
                "UNION SELECT DISTINCT dst_ip FROM network_flow ORDER BY ip"
            ).column("ip")
            assert flows.to_pylist() == listed.to_pylist()


def test_file_digest_is_the_sha256(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Mapped in chunks or read (empty file), the digest is the file's plain sha256."""
    import hashlib
    import mmap

    from rempart.sources import base

    monkeypatch.setattr(base, "DIGEST_CHUNK", mmap.ALLOCATIONGRANULARITY)
    step = mmap.ALLOCATIONGRANULARITY
    for size in (0, 1, step - 1, step, 3 * step + 5):
        p = tmp_path / f"f{size}"
        p.write_bytes(bytes(range(256)) * (size // 256) + b"x" * (size % 256))
        assert base.file_digest(p) == hashlib.sha256(p.read_bytes()).hexdigest()
