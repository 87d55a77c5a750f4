"""The long mutation run: `python bench/fuzz_sources.py --runs N` (or `make fuzz`).

Every format of `tests/fuzz/harness.py` (sources, loaders, rules) gets random one-line
mutations of its sample (bit flips, truncation, insertion, duplication, invalid UTF-8,
stray CR, NUL, a file cut); each case runs in a worker process, killed after `--timeout`
seconds (a hang). Printed per format: runs, crashes (an exception that is no RempartError),
losses (a file with one mutated record line that lost more than that record: a whole-file
loss or any other record), hangs; then the first cases of each kind, to replay with
`--replay`. The exit code is 1 when anything but a clean run was found.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import signal
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from tests.fuzz.harness import (  # noqa: E402
    FORMATS,
    SKIPPED,
    Case,
    Verdict,
    baseline,
    judge,
    random_case,
    run_case,
)

_FULL: dict[str, int | None] = {}
_TIMEOUT = 10.0


class _Hang(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _Hang


def _work(case: Case) -> Verdict | None:
    """The case's verdict, or None when it ran longer than the timeout (a hang: the alarm
    stops Python code; the parent's own timeout stops a hang inside C code)."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, _TIMEOUT)
    try:
        outcome = run_case(case)
    except _Hang:
        return None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return judge(case, outcome, _FULL.get(case.fmt))


def _init(full: dict[str, int | None], timeout: float) -> None:
    global _TIMEOUT
    sys.path[:0] = [str(ROOT), str(ROOT / "src")]
    _FULL.update(full)
    _TIMEOUT = timeout
    import rempart.ingest.files  # noqa: F401  (imported once, not in the first case's time)


BACKSTOP = 120.0  # seconds a window's case may wait (startup, or a hang inside C code)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=21)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds before a hang")
    ap.add_argument("--formats", default=",".join(FORMATS), help="comma-separated")
    ap.add_argument("--show", type=int, default=5, help="cases shown per kind")
    args = ap.parse_args()
    formats = [f for f in args.formats.split(",") if f]
    rng = random.Random(args.seed)
    cases = [random_case(rng, formats[i % len(formats)]) for i in range(args.runs)]
    runs: Counter[str] = Counter()
    crashes: Counter[str] = Counter()
    losses: Counter[str] = Counter()
    hangs: Counter[str] = Counter()
    shown: list[str] = []
    ctx = mp.get_context("spawn")
    start = time.monotonic()
    full = {fmt: baseline(fmt) for fmt in formats}
    init = (full, args.timeout)
    pool = ctx.Pool(args.workers, initializer=_init, initargs=init)
    try:
        pending = list(cases)
        while pending:
            window, pending = pending[: args.workers * 4], pending[args.workers * 4 :]
            jobs = [(c, pool.apply_async(_work, (c,))) for c in window]
            for i, (case, job) in enumerate(jobs):
                runs[case.fmt] += 1
                try:
                    verdict = job.get(timeout=BACKSTOP)
                except mp.TimeoutError:
                    hangs[case.fmt] += 1
                    shown.append(f"HANG  {case} (stuck in C code)")
                    pool.terminate()  # (the hung worker goes with the others)
                    pool = ctx.Pool(args.workers, initializer=_init, initargs=init)
                    pending = [c for c, _ in jobs[i + 1 :]] + pending
                    runs.subtract([c.fmt for c, _ in jobs[i + 1 :]])
                    break
                if verdict is None:
                    hangs[case.fmt] += 1
                    shown.append(f"HANG  {case} (over {args.timeout:.0f} s)")
                    continue
                if verdict.crash:
                    crashes[case.fmt] += 1
                    if crashes[case.fmt] <= args.show:
                        shown.append(f"CRASH {case}\n      {verdict.crash}")
                if verdict.loss:
                    losses[case.fmt] += 1
                    if losses[case.fmt] <= args.show:
                        shown.append(f"LOSS  {case}\n      {verdict.loss}")
    finally:
        pool.terminate()
    elapsed = time.monotonic() - start
    print(f"{'format':<12}{'runs':>7}{'crashes':>9}{'losses':>8}{'hangs':>7}")
    for fmt in formats:
        print(f"{fmt:<12}{runs[fmt]:>7}{crashes[fmt]:>9}{losses[fmt]:>8}{hangs[fmt]:>7}")
    total = (sum(runs.values()), sum(crashes.values()), sum(losses.values()), sum(hangs.values()))
    print(f"{'total':<12}{total[0]:>7}{total[1]:>9}{total[2]:>8}{total[3]:>7}")
    for name, why in SKIPPED.items():
        print(f"{name:<12} skipped: {why}")
    print(f"{elapsed:.0f} s, {args.workers} worker(s), seed {args.seed}")
    for line in shown:
        print(line)
    return 1 if any(total[1:]) else 0


if __name__ == "__main__":
    raise SystemExit(main())
