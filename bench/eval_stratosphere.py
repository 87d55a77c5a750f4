"""Per-host precision and recall of the network detectors on Stratosphere's labelled Zeek logs.

    .venv/bin/python bench/eval_stratosphere.py [--data ../shared/data/stratosphere_zeek]

Each labelled conn.log is ingested alone (through the normal Zeek source; the extra `label`
columns are ignored), every network detector runs without a hospital model (internal =
RFC 1918), and the hosts alerted on are compared with the labels: a host is malicious when
it originates at least one flow labelled Malicious. Precision and recall are per host,
per file and overall, with the detectors' share; hosts whose malicious flows reach at least
five distinct services (address, port) are also counted apart as "scan-like", since most
labelled attackers in these captures hammer one port of one device, which a scan detector
is right not to call a scan.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import duckdb

from rempart.detect import DetectContext, run_detectors
from rempart.store import Store
from rempart.store.ingest import ingest_file

NETWORK = ["network_scan", "lateral_spread", "spread_tree", "zone_policy", "medical_exposure"]
DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "stratosphere_zeek"


def labelled_logs(root: Path) -> list[Path]:
    return sorted([*root.glob("*/data/conn.log.labeled"), *root.glob("*/labeled-conn.log")])


def truth(path: Path) -> tuple[set[str], set[str], set[str]]:
    """(malicious hosts, scan-like malicious hosts, all originators) from the labels."""
    with path.open(encoding="utf-8", errors="replace") as fh:
        fields = next(line for line in fh if line.startswith("#fields")).rstrip("\n").split("\t")
    cols = {c: "VARCHAR" for c in fields[1:]}
    con = duckdb.connect()
    rows = con.execute(
        f"""SELECT "id.orig_h" AS h,
               max(CASE WHEN label = 'Malicious' THEN 1 ELSE 0 END) AS bad,
               count(DISTINCT CASE WHEN label = 'Malicious'
                     THEN "id.resp_h" || ':' || "id.resp_p" END) AS services
        FROM read_csv(?, delim='\t', header=false, comment='#', quote='', escape='',
                      auto_detect=false, columns={cols!r}, null_padding=true)
        GROUP BY 1""",
        [str(path)],
    ).fetchall()
    bad = {h for h, b, _ in rows if b}
    scan_like = {h for h, b, s in rows if b and s >= 5}
    return bad, scan_like, {h for h, _, _ in rows}


def ratio(a: int, b: int) -> str:
    return f"{a / b:.2f}" if b else "n/a"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT)
    args = parser.parse_args()
    logs = labelled_logs(args.data)
    if not logs:
        print(f"no labelled conn.log under {args.data}")
        return 1
    total = Counter[str]()
    by_detector = Counter[str]()
    print(f"{'capture':28} {'hosts':>5} {'bad':>4} {'alert':>5} {'TP':>3} {'FP':>3} {'FN':>3}"
          f" {'prec':>5} {'rec':>5} {'scan-like rec':>13}")  # fmt: skip
    for path in logs:
        bad, scan_like, hosts = truth(path)
        with Store.memory() as store:
            res = ingest_file(store, path)
            run_detectors(DetectContext(store, None), NETWORK)
            rows = store.sql("SELECT detector, entity FROM finding").to_pylist()
        flagged = {r["entity"] for r in rows}
        for r in rows:
            by_detector[f"{r['detector']}:{'TP' if r['entity'] in bad else 'FP'}"] += 1
        tp, fp, fn = len(flagged & bad), len(flagged - bad), len(bad - flagged)
        sl = len(flagged & scan_like)
        total.update(tp=tp, fp=fp, fn=fn, sl=sl, sln=len(scan_like), records=res.records)
        name = path.parts[-3] if path.parent.name == "data" else path.parts[-2]
        print(f"{name:28} {len(hosts):5} {len(bad):4} {len(flagged):5} {tp:3} {fp:3} {fn:3}"
              f" {ratio(tp, tp + fp):>5} {ratio(tp, tp + fn):>5}"
              f" {sl:>6}/{len(scan_like):<6}")  # fmt: skip
    print(
        f"\nall captures ({total['records']:,} flows): precision {ratio(total['tp'], total['tp'] + total['fp'])}"  # noqa: E501
        f", recall {ratio(total['tp'], total['tp'] + total['fn'])}"
        f", recall on scan-like attackers {ratio(total['sl'], total['sln'])}"
        f" (TP {total['tp']}, FP {total['fp']}, FN {total['fn']})"
    )
    print("alerts per detector:", dict(sorted(by_detector.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
