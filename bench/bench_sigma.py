"""Sigma on EVTX: Rempart against Zircolite itself, or against a plain baseline.

With `--zircolite DIR` (a Zircolite checkout, run with `--zircolite-python`, its own venv):
both tools run as whole processes (start-up included) on the same EVTX files and the same
Sigma folder. Each converts the folder once (timed: the cold run; Zircolite saves its converted
JSON ruleset, Rempart fills its rule cache), then RUNS interleaved rounds (Rempart, Zircolite,
Rempart, ...) use the converted rules. Prints events per second and hits (matched events summed
over rules, and rules that fired) for both, the median and spread of the ratio, and the load
average before and after.

Without `--zircolite`: a note, the last figures measured beside Zircolite, and the plain
baseline below run in the same process.

Plain baseline (what Zircolite does, in plain Python): every EVTX record parsed by the Rust `evtx`
package, flattened to a dict in Python, inserted into an SQLite table, then every rule converted
by pySigma's SQLite backend run as its own query (one query per rule). Rempart: bulk ingest into
DuckDB, rules compiled once (cached), evaluated many per query.

Besides wall time, each run's CPU time (user + system of the process and its threads) is
printed: on a shared machine it moves less with the other work than wall time does.

`--zircolite-ruleset FILE` reuses a ruleset Zircolite converted before (its cold run is then
not measured); `--json` runs Zircolite on JSON lines (`-j`), for the corpus
`bench/gen_winlog_corpus.py` writes (a million events: EVTX records replicated).

Usage: nice python bench/bench_sigma.py [EVTX_DIR] [RULES_DIR] [--zircolite DIR
       --zircolite-python PY [--zircolite-ruleset FILE] [--json]] [--rounds 3]
(defaults ../shared/data/evtx_attack_samples and ../shared/data/sigma_rules/rules/windows)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rempart.app.triage import triage
from rempart.sigma.engine import default_mapping, load_rules
from rempart.store import Store


def _flatten(rec: dict[str, Any]) -> dict[str, str]:
    ev = rec.get("Event", {})
    system = ev.get("System", {})
    out: dict[str, str] = {}
    eid = system.get("EventID")
    if isinstance(eid, dict):
        eid = eid.get("#text")
    out["EventID"] = str(eid)
    out["Channel"] = str(system.get("Channel"))
    out["Computer"] = str(system.get("Computer"))
    out["Provider_Name"] = str(system.get("Provider", {}).get("#attributes", {}).get("Name"))
    data = ev.get("EventData") or {}
    user = ev.get("UserData") or {}
    if isinstance(user, dict) and user:
        first = next(iter(user.values()))
        if isinstance(first, dict):
            data = {**(data if isinstance(data, dict) else {}), **first}
    if isinstance(data, dict):
        for k, v in data.items():
            if k == "#attributes":
                continue
            out[k.replace(" ", "")] = v if isinstance(v, str) else json.dumps(v)
    return out


def baseline(evtx_dir: Path, rules_dir: Path) -> dict[str, float]:
    import evtx
    from sigma.backends.sqlite import sqliteBackend
    from sigma.collection import SigmaCollection
    from sigma.exceptions import SigmaError

    from rempart.sigma.engine import _logsource_sql, _Skip

    t0 = time.perf_counter()
    rows: list[dict[str, str]] = []
    files = sorted(evtx_dir.rglob("*.evtx"))
    for f in files:
        try:
            for rec in evtx.PyEvtxParser(str(f)).records_json():
                row = _flatten(json.loads(rec["data"]))
                row["_file"] = str(f)
                row["_rid"] = str(rec["event_record_id"])
                rows.append(row)
        except (RuntimeError, OSError):
            continue
    cols = sorted({k for r in rows for k in r}, key=str.lower)
    seen: set[str] = set()
    uniq = [c for c in cols if not (c.lower() in seen or seen.add(c.lower()))]  # type: ignore[func-returns-value]
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE logs (" + ", ".join(f'"{c}" TEXT' for c in uniq) + ")")
    place = ", ".join("?" for _ in uniq)
    for r in rows:
        db.execute(f"INSERT INTO logs VALUES ({place})", [r.get(c) for c in uniq])
    t1 = time.perf_counter()
    backend = sqliteBackend()
    mapping = default_mapping()
    queries: list[str] = []
    for f in sorted(rules_dir.rglob("*.yml")):
        try:
            coll = SigmaCollection.from_yaml(f.read_text("utf-8"))
            for rule in coll.rules:
                pred = _logsource_sql(rule.logsource, mapping)
                for q in backend.convert_rule(rule):  # type: ignore[arg-type]
                    _head, _, cond = str(q).partition(" WHERE ")
                    ls = (
                        (pred or "true")
                        .replace("event_code", "EventID")
                        .replace("channel", "Channel")
                    )
                    queries.append(f"SELECT _file, _rid FROM logs WHERE ({cond}) AND ({ls})")
        except (SigmaError, _Skip, NotImplementedError, TypeError, ValueError, AttributeError):
            continue
    t2 = time.perf_counter()
    hits = 0
    for q in queries:
        try:
            hits += len(db.execute(q).fetchall())
        except sqlite3.Error:
            continue  # a column no event has: no match, as in Zircolite
    t3 = time.perf_counter()
    return {
        "events": len(rows),
        "load_s": t1 - t0,
        "convert_s": t2 - t1,
        "eval_s": t3 - t2,
        "rules": len(queries),
        "hits": hits,
    }


def rempart(evtx_dir: Path, rules_dir: Path, cache: Path) -> dict[str, float]:
    t0 = time.perf_counter()
    load_rules([rules_dir], min_level="informational", cache_dir=cache)  # warm the cache
    t1 = time.perf_counter()
    store = Store.memory()
    res = triage([evtx_dir], rules_dir, "informational", store=store, cache_dir=cache,
                 builtin=False)  # fmt: skip
    t2 = time.perf_counter()
    events = store.count("process")
    hits = sum(h.count for h in res.hits)
    store.close()
    return {
        "events": events,
        "convert_s": t1 - t0,
        "run_s": t2 - t1,
        "rules": res.ruleset.converted,
        "skipped": len(res.ruleset.skipped),
        "hits": hits,
    }


# Last figures measured beside Zircolite 3.7.0 (issue 26), in the same runs, rules converted once.
LAST_SEEN = (
    "last measured beside Zircolite 3.7.0 (issue 26; 2026-12-06, 2-core machine, quiet: load\n"
    "  0.7-0.9; start-up included; Rempart from .venv-bench): EVTX attack samples (8,248\n"
    "  events), 5 interleaved rounds: Rempart 5.70x faster [5.31-6.05] wall, 4.58x CPU; cold\n"
    "  7.4 s (Zircolite's conversion 901 s, at load 15-24); hits 1,243 vs 1,394 (208 of\n"
    "  Zircolite's outside the rules' log sources, 1 a file twice in the corpus; none found by\n"
    "  Zircolite only within them). 1,007,110 events (gen_winlog_corpus.py, --json), one\n"
    "  round: 25.2x wall, 26.8x CPU; hits 151,696 vs 170,068."
)

# One Rempart run as a whole process: import, ingest, rules (cached), evaluation.
RUNNER = """
import json, resource, sys
from pathlib import Path
from rempart.app.triage import WINDOWS_SOURCES, triage
# as `rempart triage DIR` without a workspace: a throw-away store, Windows logs only
res = triage([Path(sys.argv[1])], Path(sys.argv[2]), "informational",
             cache_dir=Path(sys.argv[3]), builtin=False)
events = sum(f.records for f in res.files if f.source in WINDOWS_SOURCES)
print(json.dumps({"events": events, "hits": sum(h.count for h in res.hits),
                  "rules": res.ruleset.converted, "fired": len({h.rule_id for h in res.hits}),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))
"""


def _load() -> str:
    """The 1-, 5- and 15-minute load averages, to print beside every figure."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _cpu() -> float:
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def _timed(argv: list[str], cwd: Path | None = None) -> tuple[float, float, str]:
    """(wall s, CPU s of the child, stdout) of one whole process."""
    t0, c0 = time.perf_counter(), _cpu()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(argv)}\n{done.stderr[-2000:]}")
    return wall, cpu, done.stdout


# Rempart as a hospital installs it (`pip install .`, `make bench` makes it in BENCH_VENV):
# the dev extras add Ibis and PySpark, whose pandas pyarrow then imports at every start-up.
BENCH_VENV = Path(__file__).resolve().parent.parent / ".venv-bench"


def rempart_python(given: str | None) -> str:
    """The interpreter the Rempart runs use: `given`, else BENCH_VENV's, else this one."""
    if given:
        return given
    own = BENCH_VENV / "bin" / "python"
    return str(own) if own.is_file() else sys.executable


def run_rempart(
    evtx_dir: Path, rules_dir: Path, cache: Path, python: str = sys.executable
) -> dict[str, float]:
    argv = [python, "-c", RUNNER, str(evtx_dir), str(rules_dir), str(cache)]
    wall, cpu, out = _timed(argv)
    return {"wall": wall, "cpu": cpu, **json.loads(out.strip().splitlines()[-1])}


def _zircolite_argv(
    zdir: Path, py: str, evtx_dir: Path, ruleset: Path, work: Path, jsonl: bool = False
) -> list[str]:
    return [
        py, str(zdir / "zircolite.py"), "-e", str(evtx_dir), "-r", str(ruleset),
        "-c", str(zdir / "config" / "config.yaml"), "-o", str(work / "detected.json"),
        "-l", str(work / "zircolite.log"), "-q", *(["-j"] if jsonl else []),
    ]  # fmt: skip


def run_zircolite(
    zdir: Path, py: str, evtx_dir: Path, ruleset: Path, work: Path, jsonl: bool = False
) -> dict[str, float]:
    (work / "detected.json").unlink(missing_ok=True)
    argv = _zircolite_argv(zdir, py, evtx_dir, ruleset, work, jsonl)
    wall, cpu, _ = _timed(argv, cwd=work)
    found = json.loads((work / "detected.json").read_text("utf-8") or "[]")
    hits = sum(int(r.get("count", 0)) for r in found)
    fired = len({r.get("id") or r.get("title") for r in found if r.get("count")})
    return {"wall": wall, "cpu": cpu, "hits": hits, "fired": fired}


def cold_zircolite(
    zdir: Path, py: str, evtx_dir: Path, rules_dir: Path, work: Path, jsonl: bool = False
) -> tuple[float, Path, int]:
    """Zircolite's cold run: it converts the Sigma folder (saving the JSON ruleset) and runs it."""
    before = set(work.glob("*.json"))
    argv = [
        *_zircolite_argv(zdir, py, evtx_dir, rules_dir, work, jsonl),
        "-p",
        "windows-logsources",
        "-sr",
    ]
    wall, _, _ = _timed(argv, cwd=work)
    saved = sorted(set(work.glob("*.json")) - before - {work / "detected.json"})
    if not saved:
        raise SystemExit(f"Zircolite saved no ruleset; see {work / 'zircolite.log'}")
    return wall, saved[0], len(json.loads(saved[0].read_text("utf-8")))


def compare(args: argparse.Namespace) -> None:
    zdir, py = Path(args.zircolite).resolve(), args.zircolite_python
    evtx_dir, rules_dir = args.evtx.resolve(), args.rules.resolve()
    mine = rempart_python(args.rempart_python)
    probe = subprocess.run(
        [mine, "-c", "import importlib.util as u; print(u.find_spec('pandas') is not None)"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    print(
        f"Rempart runs in {mine}"
        + (" (pandas installed: a dev environment, slower start-up)" if "True" in probe.stdout
           else " (no pandas: as installed for production)"),
        flush=True,
    )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-sigma-") as tmp:
        work, cache = Path(tmp), Path(tmp) / "rules-cache"
        cold_r = run_rempart(evtx_dir, rules_dir, cache, mine)
        print(f"cold: Rempart {cold_r['wall']:.2f} s; load {_load()}", flush=True)
        if args.zircolite_ruleset:
            cold_z, ruleset = float("nan"), Path(args.zircolite_ruleset).resolve()
            z_rules = len(json.loads(ruleset.read_text("utf-8")))
        else:
            cold_z, ruleset, z_rules = cold_zircolite(
                zdir, py, evtx_dir, rules_dir, work, args.json
            )
            print(f"cold: Zircolite {cold_z:.2f} s; load {_load()}", flush=True)
        rounds: list[tuple[dict[str, float], dict[str, float]]] = []
        for i in range(args.rounds):
            r = run_rempart(evtx_dir, rules_dir, cache, mine)
            z = run_zircolite(zdir, py, evtx_dir, ruleset, work, args.json)
            rounds.append((r, z))
            print(
                f"round {i + 1}: Rempart {r['wall']:.2f} s (CPU {r['cpu']:.2f} s), "
                f"Zircolite {z['wall']:.2f} s (CPU {z['cpu']:.2f} s); "
                f"ratio {z['wall'] / r['wall']:.2f}x; Rempart peak {r['peak_mb']:,.0f} MB; "
                f"load {_load()}",
                flush=True,
            )
    events = rounds[0][0]["events"]
    r_walls = [r["wall"] for r, _ in rounds]
    z_walls = [z["wall"] for _, z in rounds]
    ratios = sorted(z["wall"] / r["wall"] for r, z in rounds)
    cpu_ratios = sorted(z["cpu"] / r["cpu"] for r, z in rounds)
    med = statistics.median
    print(f"EVTX: {evtx_dir} ({events:,.0f} events); rules: {rules_dir}")

    def row(label: str, mine: str, theirs: str) -> None:
        print(f"{label:34}{mine:>14}{theirs:>14}")

    row("", "Rempart", "Zircolite")
    row("rules converted", f"{rounds[0][0]['rules']:,.0f}", f"{z_rules:,}")
    row("cold run: conversion + run (s)", f"{cold_r['wall']:.2f}", f"{cold_z:.2f}")
    row("peak memory, median (MB)", f"{med([r['peak_mb'] for r, _ in rounds]):,.0f}", "")
    row("warm run, median (s)", f"{med(r_walls):.2f}", f"{med(z_walls):.2f}")
    row(
        "  min-max (s)",
        f"{min(r_walls):.2f}-{max(r_walls):.2f}",
        f"{min(z_walls):.2f}-{max(z_walls):.2f}",
    )
    row(
        "CPU time, median (s)",
        f"{med([r['cpu'] for r, _ in rounds]):.2f}",
        f"{med([z['cpu'] for _, z in rounds]):.2f}",
    )
    row(
        "events per second, median",
        f"{events / med(r_walls):,.0f}",
        f"{events / med(z_walls):,.0f}",
    )
    row(
        "hits (events matched, summed)",
        f"{rounds[0][0]['hits']:,.0f}",
        f"{rounds[0][1]['hits']:,.0f}",
    )
    row("rules that fired", f"{rounds[0][0]['fired']:,.0f}", f"{rounds[0][1]['fired']:,.0f}")
    print(
        f"Rempart / Zircolite speed (warm, start-up included): median {med(ratios):.2f}x "
        f"[{ratios[0]:.2f}-{ratios[-1]:.2f}] over {len(rounds)} interleaved rounds"
    )
    if cold_z == cold_z:  # not NaN: Zircolite's cold run was measured
        print(
            f"cold run (conversion included): Zircolite / Rempart "
            f"{cold_z / cold_r['wall']:.2f}x (one run each)"
        )
    print(
        f"Rempart / Zircolite CPU time: median {med(cpu_ratios):.2f}x "
        f"[{cpu_ratios[0]:.2f}-{cpu_ratios[-1]:.2f}]"
    )


def plain(args: argparse.Namespace) -> None:
    evtx_dir, rules_dir = args.evtx, args.rules
    print("note: no --zircolite DIR given; Zircolite not run. " + LAST_SEEN)
    with tempfile.TemporaryDirectory(prefix="host-bench-") as tmp:
        r = rempart(evtx_dir, rules_dir, Path(tmp))
    b = baseline(evtx_dir, rules_dir)
    r_eps = r["events"] / r["run_s"]
    b_eps = b["events"] / (b["load_s"] + b["eval_s"])
    print(f"{'':28}{'Rempart':>14}{'baseline':>14}")
    print(f"{'events':28}{r['events']:>14,.0f}{b['events']:>14,.0f}")
    print(f"{'rules converted':28}{r['rules']:>14,.0f}{b['rules']:>14,.0f}")
    print(f"{'rule conversion (s, once)':28}{r['convert_s']:>14.2f}{b['convert_s']:>14.2f}")
    print(f"{'parse+load+match (s)':28}{r['run_s']:>14.2f}{b['load_s'] + b['eval_s']:>14.2f}")
    print(f"{'events per second':28}{r_eps:>14,.0f}{b_eps:>14,.0f}")
    print(f"{'hits (event, rule)':28}{r['hits']:>14,.0f}{b['hits']:>14,.0f}")
    print(f"speed-up: {r_eps / b_eps:.1f}x (rule conversion excluded for both: cached)")
    total_r = r["run_s"] + r["convert_s"]
    total_b = b["load_s"] + b["eval_s"] + b["convert_s"]
    print(f"cold (conversion included): {total_r:.1f} s vs {total_b:.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument(
        "evtx", nargs="?", type=Path, default=Path("../shared/data/evtx_attack_samples")
    )
    ap.add_argument(
        "rules", nargs="?", type=Path, default=Path("../shared/data/sigma_rules/rules/windows")
    )
    ap.add_argument("--zircolite", metavar="DIR", help="a Zircolite checkout to compare with")
    ap.add_argument(
        "--zircolite-python", default="python3", metavar="PY",
        help="the Python that has Zircolite's requirements (its own venv)",
    )  # fmt: skip
    ap.add_argument(
        "--zircolite-ruleset", metavar="FILE",
        help="a ruleset Zircolite converted before (skips its cold run)",
    )  # fmt: skip
    ap.add_argument(
        "--rempart-python", metavar="PY",
        help="the Python of the Rempart runs (default: .venv-bench's, made by `make bench`: "
        "Rempart as installed for production, else this one)",
    )  # fmt: skip
    ap.add_argument("--json", action="store_true", help="JSON-lines input (Zircolite's -j)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    args = ap.parse_args()
    if args.zircolite:
        compare(args)
    else:
        plain(args)


if __name__ == "__main__":
    from benchlib import loadavg

    with loadavg():
        main()
