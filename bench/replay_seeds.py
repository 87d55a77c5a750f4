"""Montpellier on the twin over several seeds: historical response vs Rempart's response.

Prints, per seed, the infected machines at 24 h (twin means) for the response that actually
happened and for Rempart's top-ranked plan applied after a human delay, the first alert, the
plan and any vital service cut. `--spread-rate 2.4` checks a worm twice as fast.

    .venv/bin/python bench/replay_seeds.py --seeds 0,1,2,3,4 [--spread-rate 2.4]
"""

from __future__ import annotations

import argparse
import statistics
import time

from rempart.app.replay import replay_montpellier
from rempart.twin.spread import SpreadParams


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", default="0,1,2,3,4")
    ap.add_argument("--spread-rate", type=float, default=None)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--delay", type=float, default=15.0)
    args = ap.parse_args()
    base = SpreadParams()
    params = SpreadParams(spread_rate=args.spread_rate or base.spread_rate)
    print(f"spread_rate={params.spread_rate} runs={args.runs} delay={args.delay} min")
    print("seed  hosts  historical  rempart  first_alert_min  plan  vital_cut  seconds")
    hist, remp = [], []
    for seed in (int(s) for s in args.seeds.split(",")):
        t0 = time.perf_counter()
        r = replay_montpellier(
            seed=seed, params=params, runs=args.runs, rows=args.rows, delay_minutes=args.delay
        )
        hist.append(r.infected_historical)
        remp.append(r.infected_rempart if r.infected_rempart is not None else float("nan"))
        print(
            f"{seed:>4}  {r.hosts}  {r.infected_historical:10.1f}  {remp[-1]:7.1f}  "
            f"{(r.first_alert_minutes or float('nan')):15.1f}  {r.details.get('plan_id', '-')}  "
            f"{list(r.vital_services_cut)}  {time.perf_counter() - t0:.0f}"
        )
    print(
        f"mean  historical {statistics.mean(hist):.1f} (target 649 ± 15 %)  "
        f"rempart {statistics.mean(remp):.1f} (goal ≤ 60)"
    )


if __name__ == "__main__":
    from benchlib import loadavg

    with loadavg():
        main()
