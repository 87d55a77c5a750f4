"""HTTP beaconing from the requests alone (issue 22, short captures): Zeek http.log or
Suricata `http` events with no flow at all still give a beacon finding."""

from __future__ import annotations

import itertools
import random
from datetime import timedelta
from pathlib import Path

from tests.detect.network.flowdata import T0
from tests.detect.network.test_short_captures import Events

from rempart.detect import DetectContext
from rempart.detect.network.http_beacon import HttpBeaconDetector, timing_score
from rempart.ingest.files import FileStatus, ingest_file
from rempart.store import Store

BOT = "10.1.0.66"
C2 = "198.51.100.77"
FIELDS = ("ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "trans_depth",
          "method", "host", "uri", "user_agent", "status_code")  # fmt: skip


def checkins(n: int, every: float, jitter: float, seed: int) -> list[float]:
    """Seconds after T0 of `n` check-ins every `every` seconds, uniform jitter."""
    rng = random.Random(seed)
    return [i * every + rng.uniform(-jitter, jitter) for i in range(n)]


def zeek_http(path: Path, rows: list[tuple[float, str, str, str, str]]) -> Path:
    """A Zeek http.log (TSV) of (seconds after T0, client, server, host, uri) rows."""
    head = ["#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)",
            "#unset_field\t-", "#path\thttp", "#fields\t" + "\t".join(FIELDS)]  # fmt: skip
    lines = []
    for i, (sec, src, dst, host, uri) in enumerate(rows):
        ts = (T0 + timedelta(seconds=sec)).timestamp()
        lines.append(f"{ts:.6f}\tC{i}\t{src}\t{49000 + i}\t{dst}\t80\t1\tPOST\t{host}\t{uri}"
                     "\tMozilla/4.0\t200")  # fmt: skip
    path.write_text("\n".join(head + lines) + "\n", encoding="utf-8")
    return path


def test_zeek_http_log_alone_gives_a_beacon(tmp_path: Path) -> None:
    """Kovter-like: one POST shape to one server every two minutes for 40 minutes, each
    check-in two requests 0.4 s apart; no conn.log."""
    rows = []
    for i, sec in enumerate(checkins(21, 120, 6, seed=3)):
        uri = f"/{1000 + 17 * i}/index.php?c={i}"
        rows += [
            (sec, BOT, C2, "upd-cdn.example", uri),
            (sec + 0.4, BOT, C2, "upd-cdn.example", uri),
        ]
    store = Store.memory()
    res = ingest_file(store, zeek_http(tmp_path / "http.log", rows))
    assert res.status is FileStatus.INGESTED and res.rejected == 0
    assert store.count("network_flow") == 0
    found = HttpBeaconDetector().run(DetectContext(store, None))
    assert [f.entity for f in found] == [BOT]
    f = found[0]
    assert f.params["visits"] == 21 and f.params["n"] == 42  # pairs are one visit
    assert f.params["shape"] == "/N/index.php?c=" and f.params["server"] == "upd-cdn.example"
    assert f.evidence_class == "network_event" and len(f.evidence) == 42


def test_suricata_http_events_beacon_and_what_is_not() -> None:
    ev = Events()
    for sec in checkins(14, 60, 3, seed=5):  # a quarter of an hour, every minute
        ev.http(sec / 60, BOT, C2, "c2.example", "/gate.php?id=7")
    # a person reading a site: irregular gaps
    t = 0.0
    for i, gap in enumerate((0.2, 4.0, 0.5, 9.0, 1.0, 0.3, 6.0, 2.5, 0.4, 12.0, 0.7, 3.0, 1.1)):
        t += gap
        ev.http(t, "10.1.0.7", "203.0.113.9", "www.news.example", f"/article/{i}.html")
    # the same periodic poll of one vendor server by five PCs: infrastructure
    for k in range(5):
        for sec in checkins(14, 60, 3, seed=10 + k):
            ev.http(sec / 60, f"10.1.0.{20 + k}", "198.51.100.80", "status.vendor.example",
                    "/api/status.json")  # fmt: skip
    # NetworkManager's connectivity check every five minutes for three hours
    for sec in checkins(36, 300, 2, seed=4):
        ev.http(sec / 60, "10.1.0.8", "34.122.121.32", "connectivity-check.ubuntu.com", "/")
    found = HttpBeaconDetector().run(DetectContext(ev.store(), None))
    assert [(f.entity, f.related[0]) for f in found] == [(BOT, "c2.example")]


def test_timing_score_separates_timers_from_random_requests() -> None:
    rng = random.Random(11)
    regular = checkins(30, 300, 10, seed=1)
    gaps = [b - a for a, b in itertools.pairwise(regular)]
    assert (timing_score(gaps, regular[-1] - regular[0]) or 0) > 0.9
    poisson = [rng.expovariate(1 / 300) for _ in range(29)]
    assert (timing_score(poisson, sum(poisson)) or 1) < 0.8
    assert timing_score([60.0], 60.0) is None
