"""Benchmark: the egress-cut flow review over N synthetic flows, against a plain DuckDB scan.

Worst case for the review: every flow has a random source and half go to 5,000 outside
addresses, so almost every (source, destination, port, day) is its own group. Prints the
review time, the time of a plain DuckDB grouping of the same table (the practical limit of
the stack) and their ratio. Run: nice .venv/bin/python bench/contain_review.py [N]
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pyarrow as pa

from rempart.contain import egress_cut, review_egress
from rempart.model import Hospital
from rempart.store import Store

HOSPITAL = Hospital.model_validate(
    {
        "hospital": {"name": "bench", "internal_ranges": ["10.0.0.0/8"]},
        "zones": [{"id": "a", "name": "A", "cidrs": ["10.1.0.0/16"]}],
        "partners": [
            {"id": "labo", "name": "Labo", "kind": "biology_lab", "addresses": ["185.1.0.0/24"],
             "ports": [443]},
        ],
    }
)  # fmt: skip


def flows(n: int, seed: int = 1) -> pa.Table:
    rng = np.random.default_rng(seed)

    def dotted(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
        parts = [x.astype(str) for x in (a, b, c, d)]
        out = parts[0]
        for p in parts[1:]:
            out = np.char.add(np.char.add(out, "."), p)
        return out

    src = dotted(np.full(n, 10), np.full(n, 1), rng.integers(0, 255, n), rng.integers(1, 254, n))
    ext = rng.integers(0, 5000, n)
    outside = dotted(np.full(n, 185), ext % 250, ext // 250, np.full(n, 7))
    inside = dotted(np.full(n, 10), np.full(n, 10), np.zeros(n, int), rng.integers(1, 254, n))
    dst = np.where(rng.random(n) < 0.5, inside, outside)
    t0 = np.datetime64("2019-03-10T00:00:00")
    times = (t0 + rng.integers(0, 3 * 86400, n).astype("timedelta64[s]")).astype("datetime64[us]")
    return pa.table(
        {
            "time": pa.array(times, pa.timestamp("us", tz="UTC")),
            "src_ip": src,
            "dst_ip": dst,
            "dst_port": pa.array(np.full(n, 443, np.int32)),
            "protocol": pa.array(["tcp"] * n),
            "event_uid": pa.array(np.arange(n).astype(str)),
            "source_file": pa.array(["bench"] * n),
            "source_format": pa.array(["bench"] * n),
        }
    )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000
    store = Store.memory()
    store.append("network_flow", flows(n))
    cut = egress_cut(HOSPITAL, "bench")
    t = time.perf_counter()
    review = review_egress(store, HOSPITAL, cut)
    took = time.perf_counter() - t
    t = time.perf_counter()
    groups = store.sql("SELECT src_ip, dst_ip, dst_port, count(*) FROM network_flow GROUP BY ALL")
    base = time.perf_counter() - t
    assert groups.num_rows > 0
    print(f"flows                       {n:>12,}")
    print(f"review_egress               {took:>10.2f} s  ({n / took:,.0f} flows/s)")
    print(f"DuckDB group-by baseline    {base:>10.2f} s")
    print(f"ratio review / baseline     {took / base:>10.1f} x")
    print(f"destinations stopped        {len(review.stopped):>12,} (capped at 200)")


if __name__ == "__main__":
    from benchlib import loadavg

    with loadavg():
        main()
