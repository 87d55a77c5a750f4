"""Hostile and broken network logs (issue 21, defects 1-3): one bad line is one reject with
its line number and reason; a name read from a file never becomes SQL. Every file is made
here."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from rempart.ingest.files import FileStatus, ingest_file
from rempart.store import Store

HEAD = (
    "#separator \\x09\n#path\t{path}\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\t"
    "id.resp_p\tproto\t{last}\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\n"
)


def zeek_json(n: int) -> bytes:
    rows = [
        {
            "ts": 1552291200.0 + i,
            "uid": f"C{i}",
            "id.orig_h": "10.0.0.1",
            "id.orig_p": 50000 + i,
            "id.resp_h": "10.0.0.2",
            "id.resp_p": 445,
            "proto": "tcp",
            "service": "smb",
            "duration": 0.1,
            "orig_bytes": 10,
            "resp_bytes": 20,
            "conn_state": "SF",
            "orig_pkts": 1,
            "resp_pkts": 1,
        }
        for i in range(n)
    ]
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def eve(n: int) -> bytes:
    rows = [
        {
            "timestamp": f"2019-03-11T08:00:{i % 60:02d}.000000+0000",
            "flow_id": 1000 + i,
            "event_type": "flow",
            "src_ip": "10.0.0.1",
            "src_port": 50000 + i,
            "dest_ip": "10.0.0.2",
            "dest_port": 445,
            "proto": "TCP",
            "app_proto": "smb",
            "flow": {
                "pkts_toserver": 1,
                "pkts_toclient": 1,
                "bytes_toserver": 10,
                "bytes_toclient": 20,
                "start": "2019-03-11T08:00:00.000000+0000",
                "end": "2019-03-11T08:00:01.000000+0000",
                "state": "closed",
            },
        }
        for i in range(n)
    ]
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def zeek_tsv(n: int, *, path: str = "conn", last: str = "conn_state") -> bytes:
    value = "SF" if path == "conn" else "example.fr"
    lines = [
        f"{1552291200 + i}.5\tC{i}\t10.0.0.1\t{50000 + i}\t10.0.0.2\t445\ttcp\t{value}\n"
        for i in range(n)
    ]
    return (HEAD.format(path=path, last=last) + "".join(lines)).encode()


def damage(data: bytes, line: int, at: int, new: bytes) -> bytes:
    """`data` with byte `at` of line `line` (1-based) replaced by `new`."""
    lines = data.split(b"\n")
    text = lines[line - 1]
    lines[line - 1] = text[:at] + new + text[at + 1 :]
    return b"\n".join(lines)


def ingest_one(path: Path) -> tuple[Store, FileStatus, int, list[tuple[int, str]]]:
    store = Store.memory()
    res = ingest_file(store, path)
    assert res.status is FileStatus.INGESTED, res.error
    rejects = store.sql("SELECT line, reason FROM rejects ORDER BY line").to_pylist()
    return store, res.status, res.records, [(r["line"], r["reason"]) for r in rejects]


@pytest.mark.parametrize(
    ("name", "make", "n", "line"),
    [
        ("conn.json", zeek_json, 60, 31),
        ("eve.json", eve, 144, 31),
        ("conn-first.json", zeek_json, 60, 1),
        ("eve-first.json", eve, 144, 1),
    ],
)
def test_invalid_utf8_costs_one_json_record(
    tmp_path: Path, name: str, make: object, n: int, line: int
) -> None:
    assert callable(make)
    path = tmp_path / name
    path.write_bytes(damage(make(n), line, 20, b"\xff"))
    _, _, records, rejects = ingest_one(path)
    assert records == n - 1
    assert rejects == [(line, "invalid UTF-8")]


def test_invalid_utf8_in_a_gzip_json_log(tmp_path: Path) -> None:
    path = tmp_path / "conn.json.gz"
    path.write_bytes(gzip.compress(damage(zeek_json(40), 7, 5, b"\xc3\x28")))
    _, _, records, rejects = ingest_one(path)
    assert records == 39 and rejects == [(7, "invalid UTF-8")]


@pytest.mark.parametrize("gz", [False, True])
def test_stray_cr_costs_one_tsv_record(tmp_path: Path, gz: bool) -> None:
    data = damage(zeek_tsv(60), 31, 20, b"\r")
    path = tmp_path / ("conn.log.gz" if gz else "conn.log")
    path.write_bytes(gzip.compress(data) if gz else data)
    store, _, records, rejects = ingest_one(path)
    assert records == 59
    assert rejects == [(31, "carriage return inside a line")]
    lines = store.sql("SELECT min(source_line) AS lo, max(source_line) AS hi FROM network_flow")
    assert lines.to_pylist() in ([{"lo": None, "hi": None}], [{"lo": 5, "hi": 64}])


def test_stray_cr_and_invalid_utf8_in_one_tsv(tmp_path: Path) -> None:
    data = damage(damage(zeek_tsv(60), 10, 20, b"\r"), 40, 3, b"\xff")
    path = tmp_path / "conn.log"
    path.write_bytes(data)
    _, _, records, rejects = ingest_one(path)
    assert records == 58
    assert rejects == [(10, "carriage return inside a line"), (40, "invalid UTF-8")]


def test_stray_cr_with_a_layout_change(tmp_path: Path) -> None:
    """Both rewrites in turn: the lines without the stray CR, then in one layout."""
    second = zeek_tsv(5).replace(b"\tproto\t", b"\tproto\tservice\t")
    second = b"\n".join(
        line if line.startswith(b"#") else line.replace(b"\ttcp\t", b"\ttcp\tsmb\t")
        for line in second.split(b"\n")
    )
    body = [line for line in second.split(b"\n") if not line.startswith(b"#separator")]
    data = damage(zeek_tsv(20), 8, 20, b"\r") + b"\n".join(body)
    path = tmp_path / "conn.log"
    path.write_bytes(data)
    store = Store.memory()
    res = ingest_file(store, path)
    assert res.status is FileStatus.INGESTED, res.error
    assert res.records == 24 and res.rejected == 1
    assert res.rewritten is not None
    assert "carriage return" in res.rewritten and "#fields" in res.rewritten


@pytest.mark.parametrize("name", ['a"b', 'x", 42 AS "y', 'q" FROM (SELECT 1) --'])
@pytest.mark.parametrize("log", ["conn", "dns"])
def test_field_names_never_become_sql(tmp_path: Path, name: str, log: str) -> None:
    path = tmp_path / f"{log}.log"
    data = zeek_tsv(20, path=log, last="query" if log == "dns" else "conn_state")
    lines = data.split(b"\n")
    lines[2] += b"\t" + name.encode()  # the #fields line
    lines[3] += b"\tstring"
    lines[4:] = [ln + b"\t-" if ln else ln for ln in lines[4:]]
    # one line the reader rejects, so the line finder (the text scan) runs too
    lines.insert(10, b"bad\tCx\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\tSF\t-")
    path.write_bytes(b"\n".join(lines))
    store = Store.memory()
    res = ingest_file(store, path)
    assert res.status is FileStatus.INGESTED, res.error
    assert res.records == 20 and res.rejected == 1
    assert store.count("network_flow") == 20


def test_control_character_in_a_field_name_fails_with_where(tmp_path: Path) -> None:
    path = tmp_path / "conn.log"
    path.write_bytes(zeek_tsv(3, last="conn\x00state"))
    res = ingest_file(Store.memory(), path)
    assert res.status is FileStatus.FAILED
    assert res.error is not None and str(path) in res.error and "#fields" in res.error


def test_one_crlf_line_among_lf_lines(tmp_path: Path) -> None:
    """The second cause of a whole TSV lost: one line ended CRLF in an LF file."""
    lines = zeek_tsv(30).split(b"\n")
    lines[10] += b"\r"
    path = tmp_path / "conn.log"
    path.write_bytes(b"\n".join(lines))
    _, _, records, rejects = ingest_one(path)
    assert records == 30 and rejects == []


def test_a_line_longer_than_the_reader_takes(tmp_path: Path) -> None:
    lines = eve(30).split(b"\n")
    lines[5] = lines[5][:-1] + b', "x": "' + b"y" * 2_100_000 + b'"}'
    path = tmp_path / "eve.json"
    path.write_bytes(b"\n".join(lines))
    _, _, records, rejects = ingest_one(path)
    assert records == 29 and rejects == [(6, "line too long")]
