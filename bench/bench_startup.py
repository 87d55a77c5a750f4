"""Start-up time of `rempart --help` and of every sub-command's `--help` (issue 26: ≤ 0.3 s).

Each command is a fresh interpreter (`python -c "from rempart.cli import main; main()" ARGS
--help`), run N times with the commands interleaved round by round, so a change in the
machine's load hits them all alike. Prints the median and the spread of wall time and of CPU
time (user + system of the child: less sensitive to other work than wall time), next to a bare
`python -c pass` measured in the same rounds, and the load average before and after.

    python bench/bench_startup.py [-n 10] [--goal 0.3]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time

from benchlib import loadavg

ENTRY = "from rempart.cli import main; main()"


def commands() -> list[list[str]]:
    """Every command path of the CLI: [], ['alerts'], ..., ['twin', 'scenario']."""
    import typer.main

    from rempart.cli import app

    def walk(cmd: object, path: list[str]) -> list[list[str]]:
        found = [path]
        for name, sub in sorted(getattr(cmd, "commands", {}).items()):
            found += walk(sub, [*path, name])
        return found

    return walk(typer.main.get_command(app), [])


def one_run(argv: list[str]) -> tuple[float, float]:
    """(wall, cpu) seconds of one child process; its output is discarded, a failure raises."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("-n", "--runs", type=int, default=10, help="runs per command (default 10)")
    ap.add_argument("--goal", type=float, default=0.3, help="seconds each --help may take")
    args = ap.parse_args()
    paths = commands()
    cases: dict[str, list[str]] = {"(python -c pass)": [sys.executable, "-c", "pass"]}
    for path in paths:
        cases["rempart " + " ".join([*path, "--help"])] = [
            sys.executable,
            "-c",
            ENTRY,
            *path,
            "--help",
        ]
    walls: dict[str, list[float]] = {k: [] for k in cases}
    cpus: dict[str, list[float]] = {k: [] for k in cases}
    with loadavg():
        for _ in range(args.runs):
            for label, argv in cases.items():
                wall, cpu = one_run(argv)
                walls[label].append(wall)
                cpus[label].append(cpu)
    width = max(map(len, cases))
    print(f"{'command':<{width}}  wall median [min-max] s   cpu median s   within {args.goal} s")
    worst = 0.0
    for label in cases:
        w, c = walls[label], cpus[label]
        med = statistics.median(w)
        if not label.startswith("("):
            worst = max(worst, med)
        ok = "" if label.startswith("(") else ("yes" if med <= args.goal else "NO")
        print(
            f"{label:<{width}}  {med:6.3f} [{min(w):.3f}-{max(w):.3f}]"
            f"        {statistics.median(c):6.3f}        {ok}"
        )
    print(f"slowest median: {worst:.3f} s over {len(paths)} commands, {args.runs} runs each")
    return 0


if __name__ == "__main__":
    sys.exit(main())
