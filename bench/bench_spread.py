"""Spread engine vs EoN's fast_SIR: Monte Carlo runs per second on the 6,000-host twin.

Both engines simulate the same epidemic on the same network, in the same process: the twin's
susceptible hosts, every pair inside a zone in contact (random scanning inside a subnet is
complete mixing) with the engine's per-pair transmission rate, a day of spread from one PC.
For an exact match the bench uses no incubation and no cross-zone scans (EoN's fast_SIR has
neither); EoN runs SIR with a negligible recovery rate, i.e. SI. Run:

    nice .venv/bin/python bench/bench_spread.py [--runs 1000] [--eon-runs 10] [--spread-rate R]

EoN (PyPI `eon`, with networkx) is a bench-only dependency: `pip install '.[bench]'`.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from rempart.twin.hospital import generate_hospital
from rempart.twin.spread import SpreadNetwork, SpreadParams, simulate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--machines", type=int, default=6000)
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--eon-runs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--spread-rate", type=float, default=SpreadParams().spread_rate,
        help="scans per infectious host per minute (default: the Montpellier calibration)",
    )  # fmt: skip
    args = ap.parse_args()

    hospital = generate_hospital(machines=args.machines, seed=args.seed)
    params = SpreadParams(
        spread_rate=args.spread_rate,
        incubation_minutes=0,
        local_fraction=1.0,
        workstation_vulnerable=1.0,
    )
    net = SpreadNetwork(hospital, params)
    pz = next(a.hostname for a in hospital.assets if a.zone == "bat-c" and a.os == "Windows 10")

    t0 = time.perf_counter()
    ours = simulate(net, None, [pz], horizons_minutes=(1440,), runs=args.runs, seed=1)
    ours_s = time.perf_counter() - t0
    ours_rate = args.runs / ours_s
    print(f"hosts: {len(net.hostnames)}  susceptible: {ours.susceptible}")
    print(
        f"rempart.twin.spread: {args.runs} runs in {ours_s:.2f} s = {ours_rate:,.0f} runs/s; "
        f"infected at 24 h: mean {ours.horizons[-1].mean:.1f} "
        f"[{ours.horizons[-1].p05:.0f}–{ours.horizons[-1].p95:.0f}]"
    )

    try:
        import EoN  # type: ignore[import-untyped]
        import networkx as nx  # type: ignore[import-untyped]
    except ImportError:
        print("note: EoN is not installed (pip install '.[bench]'); no baseline measured")
        return

    kernel = net.kernel(None, after=False)
    graph = nx.Graph()
    edges = 0
    for z in range(net.zones):
        members = np.flatnonzero((net.zone_of == z) & (net.susceptibility > 0))
        if members.size < 2:
            graph.add_nodes_from(int(m) for m in members)
            continue
        susc = float(net.susceptibility[members[0]])
        weight = float(kernel[z, z]) * susc
        i, j = np.triu_indices(members.size, k=1)
        graph.add_edges_from(
            zip(members[i].tolist(), members[j].tolist(), strict=True), weight=weight
        )
        edges += i.size
    first = net.host(pz)
    finals = []
    t0 = time.perf_counter()
    for r in range(args.eon_runs):
        _t, _s, i, rec = EoN.fast_SIR(
            graph, tau=1.0, gamma=1e-9, initial_infecteds=[first], tmax=1440,
            transmission_weight="weight", rng=np.random.default_rng(100 + r),
        )  # fmt: skip
        finals.append(int(i[-1] + rec[-1]))
    eon_s = time.perf_counter() - t0
    eon_rate = args.eon_runs / eon_s
    print(f"network for EoN: {graph.number_of_nodes()} nodes, {edges:,} edges")
    print(
        f"EoN fast_SIR: {args.eon_runs} runs in {eon_s:.2f} s = {eon_rate:,.2f} runs/s; "
        f"infected at 24 h: mean {np.mean(finals):.1f}"
    )
    print(f"ratio: {ours_rate / eon_rate:,.0f}x EoN's runs/s (goal ≥ 100x)")


if __name__ == "__main__":
    from benchlib import loadavg

    with loadavg():
        main()
