"""Sigma on EVTX: Rempart against a plain baseline, in the same run.

Baseline (what Zircolite does, in plain Python): every EVTX record parsed by the Rust `evtx`
package, flattened to a dict in Python, inserted into an SQLite table, then every rule converted
by pySigma's SQLite backend run as its own query (one query per rule). Rempart: bulk ingest into
DuckDB, rules compiled once (cached), evaluated many per query.

Usage: nice python bench/bench_sigma.py [EVTX_DIR] [RULES_DIR]
(defaults ../shared/data/evtx_attack_samples and ../shared/data/sigma_rules/rules/windows)
"""

from __future__ import annotations

import json
import sqlite3
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


def main() -> None:
    evtx_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/evtx_attack_samples")
    rules_dir = Path(
        sys.argv[2] if len(sys.argv) > 2 else "../shared/data/sigma_rules/rules/windows"
    )
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


if __name__ == "__main__":
    from benchlib import loadavg

    with loadavg():
        main()
