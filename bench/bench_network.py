"""Network benchmark: ingest a twin conn.log and run every network detector over it.

    nice .venv/bin/python bench/bench_network.py                  # 20 million rows
    .venv/bin/python bench/bench_network.py --rows 1000000       # a quick run

Baseline, measured in the same run: DuckDB's own `read_csv` scan of the same file, every
column parsed (the floor: parsing it once; the faster of two scans). Each round scans,
ingests into a fresh store and runs every network detector (`--repeat`, default 3: this
machine's times vary by a third from run to run, so every round is printed and the
median round stands for the run). Printed: ingest + all network detectors against
that scan (goal <= 2, every round <= 2.3; issue 26) and all detectors over the stored
data against it (goal <= 0.25), and the peak resident memory of this process (goal <=
2 GB), sampled every 50 ms and checked against getrusage. The file is generated in a
child process (so its memory is not counted) by the twin
(`rempart.twin.traffic.write_conn_log`), or by bench/netgen.py when the twin is not
installed (`benchlib.generate_conn_log`, shared with bench_intel.py); a worm (a tree
of 4 PCs, 300 SMB contacts) is mixed in so the detectors have something to find.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rempart.store import Store

sys.path.insert(0, str(Path(__file__).parent))
from benchlib import RssSampler, generate_conn_log, loadavg, scan_floor


def _open(db: Path, memory: str) -> Store:
    from rempart.store import Store

    store = Store(db)
    store.con.execute("SET threads = 2")
    store.con.execute(f"SET memory_limit = '{memory}'")
    return store


def main() -> int:
    parser = argparse.ArgumentParser(description="ingest + network detectors vs DuckDB scan")
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/rempart-bench-network"))
    parser.add_argument("--conn", type=Path, help="use this conn.log (+ hospital.json beside)")
    parser.add_argument("--twin-src", help="PYTHONPATH for the generator (a twin checkout)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--repeat", type=int, default=3, help="rounds (the median is kept)")
    parser.add_argument(
        "--memory", default="1800MB", help="DuckDB memory_limit (peak RSS goal: 2 GB)"
    )
    args = parser.parse_args()

    from rempart.detect import DetectContext, network_detectors, run_detectors
    from rempart.ingest.files import ingest_file
    from rempart.model import Hospital

    workdir: Path = args.workdir
    if args.conn:
        conn = args.conn
        generator = "given"
    else:
        t = time.perf_counter()
        conn, n, generator = generate_conn_log(
            workdir, args.rows, args.hours, args.seed, worm=True, twin_src=args.twin_src
        )
        print(f"generated {n:,} rows with {generator} in {time.perf_counter() - t:.1f} s")
    model_path = conn.parent / "hospital.json"
    hospital = (
        Hospital.model_validate_json(model_path.read_text(encoding="utf-8"))
        if model_path.exists()
        else None
    )
    size = conn.stat().st_size
    sampler = RssSampler()
    sampler.start()

    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "bench.duckdb"
    rounds: list[tuple[float, float, float]] = []
    for k in range(args.repeat):
        # The floor is DuckDB parsing the file once, at its best: read twice, the faster
        # counts (the first may also pay for reading the file from disk).
        scan = min(scan_floor(conn), scan_floor(conn))
        db.unlink(missing_ok=True)
        shutil.rmtree(db.parent / f"{db.stem}.flows", ignore_errors=True)  # its Parquet parts
        # As `rempart ingest` then `rempart detect` run: one store connection each, both
        # held to 2 threads and a buffer pool that keeps the process under the 2 GB budget.
        store = _open(db, args.memory)
        t = time.perf_counter()
        res = ingest_file(store, conn)
        store.close()
        ingest = time.perf_counter() - t
        store = _open(db, args.memory)
        t = time.perf_counter()
        runs = run_detectors(DetectContext(store, hospital), network_detectors())
        detect = time.perf_counter() - t
        store.close()
        rounds.append((scan, ingest, detect))
        print(f"round {k + 1}: scan {scan:.2f} s, ingest {ingest:.2f} s, detectors "
              f"{detect:.2f} s: (ingest + detectors) / scan {(ingest + detect) / scan:.2f}, "
              f"detectors / scan {detect / scan:.2f}", flush=True)  # fmt: skip
    peak = sampler.finish()
    # the round with the median total ratio stands for the run (all rounds are printed)
    scan, ingest, detect = sorted(rounds, key=lambda r: (r[1] + r[2]) / r[0])[len(rounds) // 2]

    print(f"file: {conn} ({size / 1e9:.2f} GB, {res.records:,} rows stored, "
          f"{res.rejected:,} rejected; generator: {generator}; model: "
          f"{'yes' if hospital else 'none'}; median of {len(rounds)} round(s))")  # fmt: skip
    print(f"DuckDB read_csv scan (floor) : {scan:8.2f} s")
    print(f"ingest                       : {ingest:8.2f} s")
    print(f"all network detectors        : {detect:8.2f} s")
    for r in runs:
        print(f"    {r.name:18} v{r.version}  {r.findings:5} findings  {r.error or ''}")
    worst = max((r[1] + r[2]) / r[0] for r in rounds)
    print(f"(ingest + detectors) / scan  : {(ingest + detect) / scan:8.2f}   (goal <= 2; "
          f"worst round {worst:.2f}, goal <= 2.3)")  # fmt: skip
    print(f"detectors / scan             : {detect / scan:8.2f}   (goal <= 0.25)")
    print(f"peak RSS                     : {peak / 2**30:8.2f} GB (goal <= 2)")
    if not args.keep and not args.conn:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if all(r.error is None for r in runs) else 1


if __name__ == "__main__":
    with loadavg():
        sys.exit(main())
