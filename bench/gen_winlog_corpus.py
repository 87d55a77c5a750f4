"""A large Windows event corpus for the Sigma benches: real EVTX records replicated.

Every record of the EVTX files under EVTX_DIR (the attack samples by default) is read once
with the Rust `evtx` package, then written again and again as JSON lines (the `evtx_dump`
shape both Rempart and Zircolite read: `{"Event": {"System": ..., "EventData": ...}}`),
each copy with a new `EventRecordID` and its time moved by whole hours, until the corpus
holds at least `--events` events. One JSON-lines file per copy of the set (about 8 k events,
10 MB each), so the corpus is a folder of many files like a responder's collection.

Written to OUT (under /tmp by default), never into the repository: the records come from
the public corpus and stay outside it.

    python bench/gen_winlog_corpus.py [EVTX_DIR] [--events 1000000] [--out /tmp/winlog-1m]
"""

from __future__ import annotations

import argparse
import json
import math
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

_RID = "@@RECORD_ID@@"
_TIME = "@@SYSTEM_TIME@@"


def templates(evtx_dir: Path) -> list[tuple[str, int, datetime]]:
    """Each record as its JSON text with markers for the record id and the time, and both."""
    import evtx

    out: list[tuple[str, int, datetime]] = []
    for f in sorted(evtx_dir.rglob("*.evtx")):
        try:
            records = list(evtx.PyEvtxParser(str(f)).records_json())
        except (RuntimeError, OSError):
            continue
        for rec in records:
            event = json.loads(rec["data"])
            system = event.get("Event", {}).get("System", {})
            when = system.get("TimeCreated", {}).get("#attributes", {}).get("SystemTime")
            if not isinstance(when, str) or "EventRecordID" not in system:
                continue
            rid = int(system["EventRecordID"])
            system["EventRecordID"] = _RID
            system["TimeCreated"]["#attributes"]["SystemTime"] = _TIME
            text = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
            base = datetime.fromisoformat(when.replace("Z", "+00:00")).astimezone(UTC)
            out.append((text, rid, base))
    return out


def write(evtx_dir: Path, events: int, out: Path) -> tuple[int, int]:
    """Write the corpus; returns (events, files)."""
    recs = templates(evtx_dir)
    if not recs:
        raise SystemExit(f"no EVTX record under {evtx_dir}")
    copies = math.ceil(events / len(recs))
    stride = max(r for _, r, _ in recs) + 1
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("copy-*.json"):
        old.unlink()
    n = 0
    for c in range(copies):
        shift = timedelta(hours=c)
        lines = []
        for text, rid, base in recs:
            when = (base + shift).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            new = text.replace(f'"{_RID}"', str(rid + c * stride), 1)
            lines.append(new.replace(_TIME, when, 1) + "\n")
        (out / f"copy-{c:04d}.json").write_text("".join(lines), "utf-8")
        n += len(lines)
    return n, copies


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument(
        "evtx", nargs="?", type=Path, default=Path("../shared/data/evtx_attack_samples")
    )
    ap.add_argument("--events", type=int, default=1_000_000, help="at least this many events")
    ap.add_argument("--out", type=Path, default=Path("/tmp/winlog-1m"), help="output folder")
    args = ap.parse_args()
    t0 = time.perf_counter()
    n, files = write(args.evtx, args.events, args.out)
    print(f"{n:,} events in {files} files under {args.out} ({time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()
