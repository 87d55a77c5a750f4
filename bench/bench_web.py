"""Web console benchmark: concurrent clients on loopback against a demo workspace.

    nice .venv/bin/python bench/bench_web.py [--workspace W] [--machines 6000] [--rows 1000000]
        [--clients 10] [--seconds 20] [--requests 2000] [--extra-flows N]

Builds (or reuses) a demo workspace (`rempart demo`: by default the issue's hospital, 6,000
machines and about 1.1 M flows), adds a bench account, starts `rempart serve`'s server
(waitress, 127.0.0.1, a free port) in this process, logs each client in, then runs `--clients`
threads (http.client, one keep-alive connection each) over the pages in turn, bounded by
`--seconds` and `--requests`. Prints what the workspace holds (machines, flows, alerts), the
load average before and after, and per page: requests, requests per second, median and p95
latency, and beside it the median time of the same `rempart.app` call without the web layer
(no HTTP, no template, no session): cold (the per-workspace memo dropped: what the first
request after an ingest or a decision pays) and kept (what the next ones pay).

`--extra-flows N` first makes a large workspace: a copy of the demo workspace with N more
flows (bench/netgen.py's conn.log, ingested), e.g. 20000000 for the issue's 20 M-flow check,
and runs the same pages on it: the list pages (alerts, sources, incidents, intel) must stay
bounded (LIMIT/OFFSET in the store) whatever the flows. Goal (issue 23): p95 under 300 ms per
page with 10 concurrent users on the demo workspace.
"""

from __future__ import annotations

import argparse
import http.client
import re
import statistics
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

USER, PASSWORD = "bench", "bench-password-1"
GOAL_MS = 300


def _prepare(ws: Path, machines: int, rows: int) -> str:
    from rempart.app.demo import demo
    from rempart.app.users import add_user, list_users

    if not (ws / "rempart.duckdb").exists():
        print(f"building the demo workspace in {ws} ({machines} machines, {rows} flows)...")
        demo(ws, machines=machines, rows=rows, runs=50)
    if USER not in {u.name for u in list_users(ws)}:
        add_user(ws, USER, "analyste", PASSWORD)
    from rempart.app.incidents_store import list_incidents

    return list_incidents(ws)[0].id


def _enlarge(demo_ws: Path, extra: int) -> Path:
    """A copy of the demo workspace with `extra` more flows (netgen's conn.log, ingested);
    reused when it already holds them."""
    import shutil
    from datetime import datetime

    big = demo_ws.with_name(f"{demo_ws.name}-plus{extra}")
    if (big / "rempart.duckdb").exists():
        return big
    print(f"building {big}: the demo workspace plus {extra:,} flows...", flush=True)
    shutil.copytree(demo_ws, big, ignore=shutil.ignore_patterns("twin", "reports", "*.log"))
    import netgen
    from rempart.app.ingest import ingest

    log = big / "bench-extra" / "conn.log"
    log.parent.mkdir()
    t0 = time.perf_counter()
    netgen.write_conn_log(
        log, start=datetime(2019, 3, 10, 6), hours=48, rows=extra, seed=7, extra=None
    )
    t1 = time.perf_counter()
    ingest(big, [log])
    log.unlink()  # the flows are in the store; the text file is not needed any more
    print(f"  generated in {t1 - t0:.0f} s, ingested in {time.perf_counter() - t1:.0f} s")
    return big


def _holds(ws: Path) -> str:
    """What the workspace measured holds: machines, flows, alerts, indicators."""
    from rempart.app.webread import reading

    with reading(ws) as r:
        machines = len(r.hospital.assets) if r.hospital is not None else 0
        counts = {t: r.store.count(t) if r.store is not None else 0
                  for t in ("network_flow", "finding", "email")}  # fmt: skip
    return (
        f"{machines:,} machines, {counts['network_flow']:,} flows, "
        f"{counts['email']:,} emails, {counts['finding']:,} alerts"
    )


def _login(port: int) -> str:
    """The session cookie of a fresh login (CSRF token from the form's cookie)."""
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    con.request("GET", "/compte/connexion/")
    r = con.getresponse()
    r.read()
    csrf = re.search(r"rempart_csrf=([^;]+)", r.getheader("Set-Cookie") or "")
    assert csrf, "no CSRF cookie"
    body = urlencode({"username": USER, "password": PASSWORD, "csrfmiddlewaretoken": csrf[1]})
    con.request(
        "POST",
        "/compte/connexion/",
        body,
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"rempart_csrf={csrf[1]}",
            "Referer": f"http://127.0.0.1:{port}/compte/connexion/",
        },
    )
    r = con.getresponse()
    r.read()
    session = re.search(r"rempart_session=([^;]+)", r.getheader("Set-Cookie") or "")
    assert r.status == 302 and session, f"login failed: {r.status}"
    con.close()
    return f"rempart_session={session[1]}"


def _direct(ws: Path, incident: str) -> dict[str, Callable[[], Any]]:
    """The app/ call behind each page, without the web layer."""
    from rempart.app import (
        alert_page,
        dashboard,
        decisions,
        incident_view,
        intel_page,
        sources_view,
    )
    from rempart.app.device_report import device_report

    return {
        "/": lambda: dashboard.dashboard(ws),
        "/fragments/nouveau/": lambda: dashboard.latest(ws),
        "/alertes/": lambda: alert_page.alert_page(ws, alert_page.AlertFilter()),
        "/alertes/?severity=high&page=2": lambda: alert_page.alert_page(
            ws, alert_page.AlertFilter(severity="high"), 2
        ),
        "/incidents/": lambda: incident_view.incidents(ws),
        f"/incidents/{incident}/": lambda: incident_view.incident_view(ws, incident),
        f"/plans/{incident}/": lambda: decisions.plans(ws, incident),
        "/appareils/": lambda: device_report(ws),
        "/sources/": lambda: sources_view.sources(ws),
        "/renseignement/": lambda: intel_page.intel_page(ws),
        "/alertes/?page=40": lambda: alert_page.alert_page(ws, alert_page.AlertFilter(), 40),
    }


def _client(
    port: int,
    cookie: str,
    pages: list[str],
    deadline: float,
    budget: list[int],
    lock: threading.Lock,
    times: dict[str, list[float]],
    errors: list[str],
) -> None:
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    i = 0
    while time.monotonic() < deadline:
        with lock:
            if budget[0] <= 0:
                break
            budget[0] -= 1
        page = pages[i % len(pages)]
        i += 1
        t0 = time.perf_counter()
        con.request("GET", page, headers={"Cookie": cookie})
        r = con.getresponse()
        r.read()
        dt = time.perf_counter() - t0
        with lock:
            if r.status != 200:
                errors.append(f"{page}: {r.status}")
            times[page].append(dt)
    con.close()


def _median_ms(call: Callable[[], Any], runs: int, before: Callable[[], None]) -> float:
    times = []
    for _ in range(runs):
        before()
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def run(ws: Path, incident: str, args: argparse.Namespace) -> None:
    import waitress

    from benchlib import loadavg
    from rempart.app import webcache
    from rempart.web.server import application

    app = application(ws)
    server: Any = waitress.create_server(app, host="127.0.0.1", port=0, threads=8)
    threading.Thread(target=server.run, daemon=True).start()
    port = int(server.effective_port)

    direct = _direct(ws, incident)
    pages = list(direct)
    cookies = [_login(port) for _ in range(args.clients)]
    print(f"\nworkspace {ws}: {_holds(ws)}", flush=True)
    for page in pages:  # warm: the plans of the incident are ranked on the twin once
        con = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        con.request("GET", page, headers={"Cookie": cookies[0]})
        con.getresponse().read()
        con.close()

    times: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    lock = threading.Lock()
    budget = [args.requests]
    with loadavg():
        start = time.monotonic()
        deadline = start + args.seconds
        threads = [
            threading.Thread(
                target=_client,
                args=(
                    port,
                    cookies[k],
                    pages[k % len(pages) :] + pages[: k % len(pages)],
                    deadline,
                    budget,
                    lock,
                    times,
                    errors,
                ),
            )
            for k in range(args.clients)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - start
    server.close()

    total = sum(len(v) for v in times.values())
    print(
        f"{args.clients} clients · {elapsed:.1f} s · {total} requests "
        f"({total / elapsed:.1f}/s) · errors {len(errors)}"
    )
    print(
        f"{'page':34} {'n':>5} {'req/s':>6} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'app/ cold':>10} {'app/ kept':>10}"
    )
    worst = 0.0
    for page in pages:
        ts = sorted(times.get(page, []))
        if not ts:
            continue
        cold = _median_ms(direct[page], 3, webcache.forget)
        kept = _median_ms(direct[page], 5, lambda: None)
        p95 = ts[min(len(ts) - 1, round(0.95 * (len(ts) - 1)))]
        worst = max(worst, p95)
        print(
            f"{page[:34]:34} {len(ts):5d} {len(ts) / elapsed:6.1f} "
            f"{statistics.median(ts) * 1000:7.1f} {p95 * 1000:7.1f} {cold:10.1f} {kept:10.1f}"
        )
    verdict = "met" if worst * 1000 < GOAL_MS else "not met"
    print(f"worst p95 {worst * 1000:.0f} ms: goal p95 < {GOAL_MS} ms per page {verdict}")
    if errors:
        print("errors:", ", ".join(errors[:10]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workspace", type=Path, default=ROOT / "bench-web-ws")
    ap.add_argument("--machines", type=int, default=6000)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument(
        "--extra-flows",
        type=int,
        default=0,
        help="also run on a copy of the workspace with this many more flows (20000000)",
    )
    ap.add_argument("--only-large", action="store_true", help="skip the demo workspace run")
    args = ap.parse_args()
    ws = args.workspace.resolve()
    incident = _prepare(ws, args.machines, args.rows)
    if not args.only_large:
        run(ws, incident, args)
    if args.extra_flows > 0:
        big = _enlarge(ws, args.extra_flows)
        run(big, _prepare(big, args.machines, args.rows), args)


if __name__ == "__main__":
    main()
