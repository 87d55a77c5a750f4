"""What every bench shares: the machine's load average printed before and after the run;
for the conn.log benches, the generated file, DuckDB's scan of it and the peak memory.

A figure measured while other work runs is slower than the same figure on a quiet machine;
printing the 1-, 5- and 15-minute load averages (runnable processes, to compare with the core
count) on both sides of a run lets the reader judge how much noise the figures carry.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def load_line(when: str) -> str:
    """`load before: 1.02 0.87 0.80 (2 cores)`: the three load averages and the core count."""
    one, five, fifteen = os.getloadavg()
    return f"load {when}: {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)"


@contextmanager
def loadavg(stream: object = None) -> Iterator[None]:
    """Print the load average before the block and after it (also when it fails)."""
    out = stream if stream is not None else sys.stdout
    print(load_line("before"), file=out, flush=True)  # type: ignore[arg-type]
    try:
        yield
    finally:
        print(load_line("after"), file=out, flush=True)  # type: ignore[arg-type]


class RssSampler(threading.Thread):
    """Peak resident set size of this process, from /proc, every 50 ms."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                for line in Path("/proc/self/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        self.peak = max(self.peak, int(line.split()[1]) * 1024)
            except OSError:
                return
            self.stop.wait(0.05)

    def finish(self) -> int:
        """Stop sampling; the peak in bytes (checked against getrusage's)."""
        self.stop.set()
        self.join()
        return max(self.peak, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)


def scan_floor(path: Path) -> float:
    """DuckDB read_csv of a conn.log with every column parsed (types sniffed): the baseline
    the network and intel benches measure against, in the same run."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET threads = 2")
    cols = con.sql(
        f"SELECT * FROM read_csv('{path}', delim='\t', comment='#', header=false) LIMIT 0"
    ).columns
    counts = ", ".join(f'count("{c}")' for c in cols)
    t = time.perf_counter()
    con.sql(
        f"SELECT count(*), {counts} FROM read_csv('{path}', delim='\t', comment='#', header=false)"
    ).fetchall()
    elapsed = time.perf_counter() - t
    con.close()
    return elapsed


def generate_conn_log(
    workdir: Path,
    rows: int,
    hours: float,
    seed: int,
    *,
    worm: bool = False,
    generator: str = "twin",
    twin_src: str | None = None,
) -> tuple[Path, int, str]:
    """Write `workdir/conn.log` (and `hospital.json` with the twin) in a child process
    (`bench/netgen.py`, so the generator's memory is not the bench's); returns the path,
    the rows written and the generator used (the twin falls back to netgen without it)."""
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    env = dict(os.environ)
    if twin_src:
        env["PYTHONPATH"] = twin_src
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    cmd = [sys.executable, str(Path(__file__).parent / "netgen.py"), "--workdir", str(workdir),
           "--rows", str(rows), "--hours", str(hours), "--seed", str(seed),
           "--generator", generator, *(["--worm"] if worm else [])]  # fmt: skip
    subprocess.run(cmd, check=True, env=env)
    gen = json.loads((workdir / "gen.json").read_text())
    return workdir / "conn.log", int(gen["rows"]), str(gen["generator"])
