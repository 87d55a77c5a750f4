"""Two processes on one store: `rempart ingest` writing while another process opens it.

DuckDB lets one process write a file or several read it, never both at once. Opening the
store waits (bounded) for the other process; past the wait it fails with a message naming
the file and the process that holds it. Either way no ingested row is lost.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rempart.core.errors import StoreError
from rempart.store import Store
from rempart.store.duck import DEFAULT_LOCK_WAIT, LOCK_WAIT_ENV, lock_wait

HEADER = (
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n"
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\t"
    "orig_bytes\tresp_bytes\tconn_state\n"
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\t"
    "string\n"
)
FILES, ROWS = 3, 50

# The writer: opens the store, says so, then ingests each file with a pause between them,
# holding the store for about `hold` seconds in all (a long `rempart ingest`).
WRITER = """
import sys, time
from pathlib import Path
from rempart.ingest.files import FileStatus, ingest_file
from rempart.store import Store

db, ready, hold, *files = sys.argv[1:]
with Store(db) as store:
    Path(ready).write_text("open")
    for f in files:
        result = ingest_file(store, Path(f))
        assert result.status is FileStatus.INGESTED, result
        time.sleep(float(hold) / len(files))
"""

# The reader: holds the store read-only for `hold` seconds (a long `rempart alerts`).
READER = """
import sys, time
from pathlib import Path
from rempart.store import Store

db, ready, hold = sys.argv[1:]
with Store(db, read_only=True) as store:
    Path(ready).write_text("open")
    time.sleep(float(hold))
"""


def _logs(tmp_path: Path) -> list[Path]:
    out = []
    for f in range(FILES):
        lines = [
            f"{1552291200 + f * 1000 + i}.5\tC{f}x{i}\t10.1.0.{f + 1}\t{40000 + i}"
            f"\t10.1.1.{i % 200}\t445\ttcp\tsmb\t0.5\t100\t200\tSF\n"
            for i in range(ROWS)
        ]
        p = tmp_path / f"conn{f}.log"
        p.write_text(HEADER + "".join(lines), encoding="utf-8")
        out.append(p)
    return out


def _start(tmp_path: Path, script: str, *args: str) -> tuple[subprocess.Popen[bytes], Path]:
    ready = tmp_path / f"ready{time.monotonic_ns()}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(
        [sys.executable, "-c", script, args[0], str(ready), *args[1:]],
        env=env,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not ready.exists():
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            pytest.fail(f"helper process ended early: {err}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("helper process never opened the store")
        time.sleep(0.02)
    return proc, ready


def _finish(proc: subprocess.Popen[bytes]) -> None:
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()


def _flows(db: Path) -> int:
    with Store(db, read_only=True) as store:
        return store.count("network_flow")


def test_reader_waits_for_the_ingest_and_sees_every_row(tmp_path: Path) -> None:
    db = tmp_path / "rempart.duckdb"
    Store(db).close()
    files = _logs(tmp_path)
    writer, _ = _start(tmp_path, WRITER, str(db), "1.0", *map(str, files))
    try:
        started = time.monotonic()
        with Store(db, read_only=True, wait=120) as store:
            waited = time.monotonic() - started
            assert store.count("network_flow") == FILES * ROWS  # the whole ingest, committed
    finally:
        _finish(writer)
    assert waited > 0.1  # it did wait for the writer rather than fail


def test_reader_past_its_wait_gets_a_clear_error_and_nothing_is_lost(tmp_path: Path) -> None:
    db = tmp_path / "rempart.duckdb"
    Store(db).close()
    files = _logs(tmp_path)
    writer, _ = _start(tmp_path, WRITER, str(db), "3.0", *map(str, files))
    try:
        with pytest.raises(StoreError) as err:
            Store(db, read_only=True, wait=0.2)
    finally:
        _finish(writer)
    text = str(err.value)
    assert str(db) in text and f"process {writer.pid}" in text and LOCK_WAIT_ENV in text
    assert _flows(db) == FILES * ROWS


def test_ingest_waits_for_a_reader(tmp_path: Path) -> None:
    from rempart.ingest.files import FileStatus, ingest_file

    db = tmp_path / "rempart.duckdb"
    Store(db).close()
    reader, _ = _start(tmp_path, READER, str(db), "1.0")
    try:
        with Store(db, wait=120) as store:
            results = [ingest_file(store, p) for p in _logs(tmp_path)]
    finally:
        _finish(reader)
    assert all(r.status is FileStatus.INGESTED for r in results)
    assert _flows(db) == FILES * ROWS


def test_lock_wait_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LOCK_WAIT_ENV, raising=False)
    assert lock_wait() == DEFAULT_LOCK_WAIT
    monkeypatch.setenv(LOCK_WAIT_ENV, "2.5")
    assert lock_wait() == 2.5
    monkeypatch.setenv(LOCK_WAIT_ENV, "soon")
    assert lock_wait() == DEFAULT_LOCK_WAIT
