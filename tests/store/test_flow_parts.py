"""Conn.logs written by Arrow as Parquet parts beside the store (`flows.insert_parquet`):
the same rows and the same rejects as DuckDB's reader path, nothing left behind on a refusal,
and a workspace that can be moved."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from tests.sources.zeekfields import CONN_FIELDS

from rempart.ingest.files import FileResult, FileStatus, ingest_file
from rempart.schema.flowsql import ArrowFlows
from rempart.sources.base import IMPLAUSIBLE_TIME, RewriteNeeded
from rempart.store import Store

FIELDS = CONN_FIELDS
HEADER = (
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n"
    "#open\t2019-03-11-08-00-00\n#fields\t" + "\t".join(FIELDS) + "\n"
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\t"
    "string\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\n"
)
STATES = ("SF", "S0", "REJ", "RSTO", "OTH", "SH", "S1")


def _line(i: int, ts: str | None = None, src: str | None = None) -> str:
    state = STATES[i % len(STATES)]
    service = ("smb", "http", "-", "(empty)")[i % 4]
    when = ts if ts is not None else f"{1552291200 + i * 7}.{(i * 7919) % 1000000:06d}"
    return (
        f"{when}\tC{i:07d}x\t{src or f'10.1.{i % 5}.{i % 200}'}\t{40000 + i % 20000}\t"
        f"10.2.{i % 3}.{i % 50}\t{(445, 80, 53, 3389)[i % 4]}\t{('tcp', 'udp', 'icmp')[i % 3]}\t"
        f"{service}\t{i % 13 / 7:.6f}\t{i * 3}\t{i * 5}\t{state}\tT\tF\t0\tShADadFf\t{i % 9}\t0\t"
        f"{i % 4}\t0\t-\n"
    )


def _conn(path: Path, lines: list[str], trailer: str = "#close\t2019-03-11-09-00-00\n") -> Path:
    path.write_text(HEADER + "".join(lines) + trailer, encoding="utf-8")
    return path


def _ingest(store: Store, path: Path) -> FileResult:
    res = ingest_file(store, path)
    assert res.status is FileStatus.INGESTED
    return res


FLOW = (
    "time, duration, src_ip, src_port, dst_ip, dst_port, protocol, service, bytes_out, "
    "bytes_in, packets_out, packets_in, conn_state, status, flow_uid, event_uid, record_kind, "
    "source_file, source_format"
)


def _same(disk: Store, memory: Store) -> None:
    q = f"SELECT {FLOW} FROM network_flow ORDER BY flow_uid"
    assert disk.sql(q).to_pylist() == memory.sql(q).to_pylist()
    r = "SELECT line, reason FROM rejects ORDER BY line, reason"
    assert disk.sql(r).to_pylist() == memory.sql(r).to_pylist()
    for table in ("flow_pairs", "flow_addresses"):
        t = f"SELECT * EXCLUDE (file_no) FROM {table} ORDER BY ALL"
        assert disk.sql(t).to_pylist() == memory.sql(t).to_pylist(), table


def _disk(tmp_path: Path) -> Store:
    """A store in a workspace folder (the parts go beside its file)."""
    (tmp_path / "ws").mkdir(exist_ok=True)
    return Store(tmp_path / "ws" / "rempart.duckdb")


def _parquet(directory: Path) -> set[str]:
    return {p.name for p in directory.glob("*.parquet")} if directory.is_dir() else set()


def test_parts_hold_what_duckdb_stores_and_reject_the_same_lines(tmp_path: Path) -> None:
    lines = [_line(i) for i in range(4000)]
    lines[100] = _line(100, ts="-")  # unset time: a reject the reader lets through
    lines[2100] = _line(2100, src="10.1.0.5;rm")  # a bad address: judged per value
    lines[3000] = _line(3000, ts="1.5")  # 1970: an implausible time
    # the same header again (two logs of one layout joined): no row, no reject
    lines.insert(2500, "#fields\t" + "\t".join(FIELDS) + "\n")
    path = _conn(tmp_path / "conn.log", lines)
    memory = Store.memory()
    want = _ingest(memory, path)
    with _disk(tmp_path) as disk:
        got = _ingest(disk, path)
        assert (got.records, got.rejected, dict(got.reasons)) == (
            want.records,
            want.rejected,
            dict(want.reasons),
        )
        assert got.records == 3997
        assert set(dict(got.reasons)) == {
            "missing or bad timestamp",
            "bad originator address",
            IMPLAUSIBLE_TIME,
        }
        _same(disk, memory)
        # written as Parquet, not in the table; the parts rewritten without the rejected
        # rows, the first ones gone
        assert disk.sql("SELECT count(*) AS n FROM flow_conn").column("n")[0].as_py() == 0
        parts = disk.sql("SELECT name, rows FROM flow_parts").to_pylist()
        assert sum(p["rows"] for p in parts) == got.records == disk.count("network_flow")
        assert _parquet(disk.parts) == {Path(p["name"]).name for p in parts}  # type: ignore[arg-type]


def test_a_file_arrow_refuses_goes_through_duckdb_and_leaves_no_part(tmp_path: Path) -> None:
    lines = [_line(i) for i in range(3000)]
    lines[1500] = _line(1500, ts="soon")  # not a number: the reader's path names the line
    lines[2000] = "1552291202.0\tCx\t10.1.0.5\n"  # too few fields
    path = _conn(tmp_path / "conn.log", lines)
    memory = Store.memory()
    want = _ingest(memory, path)
    with _disk(tmp_path) as disk:
        got = _ingest(disk, path)
        assert (got.records, dict(got.reasons)) == (want.records, dict(want.reasons))
        assert got.rejected == 2
        _same(disk, memory)
        assert disk.sql("SELECT count(*) AS n FROM flow_parts").column("n")[0].as_py() == 0
        assert disk.parts is not None and _parquet(disk.parts) == set()


def test_another_layout_mid_file_is_realigned_as_before(tmp_path: Path) -> None:
    """A `#fields` line with other columns: Arrow refuses, and the reader's path asks for
    the realignment it always did."""
    other = [f for f in FIELDS if f != "service"]
    lines = [_line(i) for i in range(50)] + ["#fields\t" + "\t".join(other) + "\n"]
    lines += [
        "\t".join(v for k, v in zip(FIELDS, _line(i).rstrip("\n").split("\t"), strict=True)
                  if k != "service") + "\n"
        for i in range(50, 80)
    ]  # fmt: skip
    path = _conn(tmp_path / "conn.log", lines)
    results = []
    for store in (Store.memory(), _disk(tmp_path)):
        try:
            res = ingest_file(store, path)
            results.append((res.status, res.records, res.rejected))
        except RewriteNeeded as exc:  # (raised to the caller either way)
            results.append((type(exc), 0, 0))
        store.close()
    assert results[0] == results[1]
    assert results[0][1] == 80  # every row kept, the second section realigned


def test_ranges_cut_at_line_ends_and_cover_the_file(tmp_path: Path) -> None:
    path = _conn(tmp_path / "conn.log", [_line(i) for i in range(97)])
    data = path.read_bytes()
    arrow = ArrowFlows(path, lambda a, b: iter(()))
    assert arrow.ranges(4, least=len(data)) == [(0, len(data))]  # a small file: one range
    assert len(arrow.ranges(4, least=len(data) // 2)) == 2
    for n in range(1, 7):
        spans = arrow.ranges(n)
        assert spans[0][0] == 0 and spans[-1][1] == len(data)
        assert all(a < b for a, b in spans)
        assert all(spans[k][1] == spans[k + 1][0] for k in range(len(spans) - 1))
        assert all(data[a - 1 : a] == b"\n" for a, _ in spans[1:])
        assert len(spans) == n


def test_orphans_are_removed_and_a_moved_workspace_reads_its_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = tmp_path / "ws"
    with _disk(tmp_path) as store:
        _ingest(store, _conn(tmp_path / "conn.log", [_line(i) for i in range(500)]))
        parts = store.parts
        assert parts is not None
        kept = _parquet(parts)
        want = store.sql(f"SELECT {FLOW} FROM network_flow ORDER BY flow_uid").to_pylist()
    old = parts / "000009-0-0000000000000000.parquet"
    new = parts / "000009-1-0000000000000000.parquet"
    for stray in (old, new):
        shutil.copy(parts / sorted(kept)[0], stray)
    hour_ago = time.time() - 7200
    os.utime(old, (hour_ago, hour_ago))
    with Store(ws / "rempart.duckdb") as store:
        # a part no ingest registered goes; one written in the last hour may be an ingest
        # still running on another connection: it stays until later
        assert _parquet(parts) == kept | {new.name}
        assert store.count("network_flow") == 500
    moved = tmp_path / "elsewhere" / "ws2"
    shutil.move(ws, moved)
    monkeypatch.chdir(tmp_path)
    with Store(moved / "rempart.duckdb", read_only=True) as store:
        got = store.sql(f"SELECT {FLOW} FROM network_flow ORDER BY flow_uid").to_pylist()
        assert [r["flow_uid"] for r in got] == [r["flow_uid"] for r in want]
        assert [r["time"] for r in got] == [r["time"] for r in want]


def test_a_rolled_back_ingest_leaves_no_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parts are written before the commit: when the file's transaction is rolled back
    (here the ingest log fails; in life, a digest known late names a file already in),
    they go with it, and the next ingest of the file stores it once."""
    path = _conn(tmp_path / "conn.log", [_line(i) for i in range(300)])
    with _disk(tmp_path) as store:

        def fail(*args: object, **kwargs: object) -> None:
            raise OSError("disk full")

        with monkeypatch.context() as mp:
            mp.setattr(Store, "log_ingest", fail)
            res = ingest_file(store, path)
        assert res.status is not FileStatus.INGESTED
        assert store.parts is not None and _parquet(store.parts) == set()
        assert store.count("network_flow") == 0
        assert _ingest(store, path).records == 300
        assert store.count("network_flow") == 300 and len(_parquet(store.parts)) == 1


@pytest.mark.corpus
def test_real_zeek_logs_store_the_same_through_both_paths(
    shared_data: Path, tmp_path: Path
) -> None:
    """Stratosphere's conn.logs (written by Zeek, some with label columns, some with
    relative times): the Parquet path and DuckDB's path keep the same rows, rejects and
    pair sums, and the Parquet path is the one taken for each file with rows."""
    logs = sorted((shared_data / "stratosphere_zeek").glob("*/**/*conn*.log*"))
    if not logs:
        pytest.skip("no Stratosphere conn.log in the corpora")
    taken = 0
    for k, log in enumerate(logs):
        memory = Store.memory()
        want = ingest_file(memory, log)
        (tmp_path / str(k)).mkdir()
        with Store(tmp_path / str(k) / "rempart.duckdb") as disk:
            got = ingest_file(disk, log)
            assert (got.records, got.rejected) == (want.records, want.rejected), log
            _same(disk, memory)
            parts = disk.sql("SELECT count(*) AS n FROM flow_parts").column("n")[0].as_py()
            taken += bool(parts)
            assert bool(parts) == bool(got.records), log
        memory.close()
    assert taken >= 1
