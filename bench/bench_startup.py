"""Start-up time of `rempart --help` and of every sub-command's `--help` (issue 26: ≤ 0.3 s).

Each command is a fresh interpreter (`python -c "from rempart.cli import main; main()" ARGS
--help`), run N times with the commands interleaved round by round, so a change in the
machine's load hits them all alike. Prints the median and the spread of wall time and of CPU
time (user + system of the child: less sensitive to other work than wall time), next to a bare
`python -c pass` measured in the same rounds, and the load average before and after.

Children run as an installed `rempart` does: with compiled bytecode (pip compiles it at
install). PYTHONDONTWRITEBYTECODE is dropped for them and their `.pyc` go to a temporary
PYTHONPYCACHEPREFIX (nothing written in the tree), filled by one untimed warm-up round that
also fills the message catalogues' JSON cache. `--source` keeps the environment as it is
(every Rempart module compiled from source at each start when PYTHONDONTWRITEBYTECODE is set).

`--baseline DIR` also runs every command from another checkout's `src` folder (for instance
`git worktree add /tmp/base <commit>` then `--baseline /tmp/base/src`), interleaved in the
same rounds, and prints its medians and the ratio.

    python bench/bench_startup.py [-n 10] [--goal 0.3] [--baseline DIR] [--source]
                                  [--only "" triage "board add"]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import loadavg

ENTRY = "from rempart.cli import main; main()"
SRC = Path(__file__).resolve().parents[1] / "src"


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


def one_run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, cpu) seconds of one child process; its output is discarded, a failure raises."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def child_env(src: Path, pycache: str | None) -> dict[str, str]:
    """The environment of a child: `src` first on the path; bytecode in `pycache` if given."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = pycache
    return env


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("-n", "--runs", type=int, default=10, help="runs per command (default 10)")
    ap.add_argument("--goal", type=float, default=0.3, help="seconds each --help may take")
    ap.add_argument("--baseline", type=Path, help="another checkout's src folder, run alike")
    ap.add_argument(
        "--source", action="store_true", help="keep PYTHONDONTWRITEBYTECODE (no warm bytecode)"
    )
    ap.add_argument(
        "--only",
        nargs="+",
        metavar="PATH",
        help='these command paths only ("" for rempart itself, "board add"); default: all',
    )
    args = ap.parse_args()
    paths = commands()
    if args.only is not None:
        wanted = [p.split() for p in args.only]
        unknown = [" ".join(p) for p in wanted if p not in paths]
        if unknown:
            ap.error(f"no such command: {unknown}")
        paths = wanted
    with tempfile.TemporaryDirectory(prefix="rempart-pyc-") as tmp:
        trees = {"": SRC, "baseline ": args.baseline} if args.baseline else {"": SRC}
        envs = {
            tag: child_env(src, None if args.source else str(Path(tmp) / (tag.strip() or "new")))
            for tag, src in trees.items()
        }
        cases: dict[str, tuple[list[str], dict[str, str]]] = {
            "(python -c pass)": ([sys.executable, "-c", "pass"], envs[""])
        }
        for path in paths:
            for tag in trees:
                argv = [sys.executable, "-c", ENTRY, *path, "--help"]
                cases[f"{tag}rempart " + " ".join([*path, "--help"])] = (argv, envs[tag])
        print(
            "bytecode: "
            + ("as the environment says" if args.source else "compiled once, warm (as installed)")
        )
        for argv, env in cases.values():  # warm-up: bytecode and catalogue cache
            one_run(argv, env)
        walls: dict[str, list[float]] = {k: [] for k in cases}
        cpus: dict[str, list[float]] = {k: [] for k in cases}
        with loadavg():
            for _ in range(args.runs):
                for label, (argv, env) in cases.items():
                    wall, cpu = one_run(argv, env)
                    walls[label].append(wall)
                    cpus[label].append(cpu)
    width = max(map(len, cases))
    print(f"{'command':<{width}}  wall median [min-max] s   cpu median s   within {args.goal} s")
    worst: dict[str, float] = dict.fromkeys(trees, 0.0)
    worst_cpu: dict[str, float] = dict.fromkeys(trees, 0.0)
    for label in cases:
        w, c = walls[label], cpus[label]
        med, cmed = statistics.median(w), statistics.median(c)
        tag = "baseline " if label.startswith("baseline ") else ""
        if not label.startswith("("):
            worst[tag] = max(worst[tag], med)
            worst_cpu[tag] = max(worst_cpu[tag], cmed)
        ok = "" if label.startswith("(") else ("yes" if med <= args.goal else "NO")
        spread = f"{med:6.3f} [{min(w):.3f}-{max(w):.3f}]"
        print(f"{label:<{width}}  {spread}        {cmed:6.3f}        {ok}")
    for tag in trees:
        labels = [k for k in cases if not k.startswith("(") and k.startswith(tag or "rempart")]
        all_w = statistics.median([x for k in labels for x in walls[k]])
        all_c = statistics.median([x for k in labels for x in cpus[k]])
        print(
            f"{tag or 'this tree '}: slowest median wall {worst[tag]:.3f} s, cpu "
            f"{worst_cpu[tag]:.3f} s; median of all runs wall {all_w:.3f} s, cpu {all_c:.3f} s "
            f"({len(paths)} commands, {args.runs} runs each)"
        )
    if args.baseline:
        pairs = [(k, "baseline " + k) for k in cases if k.startswith("rempart ")]
        ratios = sorted(
            statistics.median(cpus[new]) / statistics.median(cpus[old]) for new, old in pairs
        )
        print(
            f"cpu this tree / baseline, per command: median {statistics.median(ratios):.2f} "
            f"[{ratios[0]:.2f}-{ratios[-1]:.2f}]"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
