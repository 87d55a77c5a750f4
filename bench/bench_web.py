"""Web console benchmark: concurrent clients on loopback against a demo workspace.

    nice .venv/bin/python bench/bench_web.py [--workspace W] [--machines 400] [--rows 30000]
        [--clients 10] [--seconds 20] [--requests 2000]

Builds (or reuses) a demo workspace, adds a bench account, starts `rempart serve`'s server
(waitress, 127.0.0.1, a free port) in this process, logs each client in, then runs `--clients`
threads (http.client, one keep-alive connection each) over the pages in turn, bounded by
`--seconds` and `--requests`. Prints per page: requests, requests per second, median and p95
latency, and beside it the median time of the same `rempart.app` call without the web layer
(no HTTP, no template, no session). Goal (issue 23): p95 under 300 ms per page with 10
concurrent users on the demo workspace (6,000 machines, 1.1 M flows).
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

USER, PASSWORD = "bench", "bench-password-1"


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
    from rempart.app import alert_page, dashboard, decisions, incident_view, sources_view
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workspace", type=Path, default=ROOT / "bench-web-ws")
    ap.add_argument("--machines", type=int, default=400)
    ap.add_argument("--rows", type=int, default=30_000)
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--requests", type=int, default=2000)
    args = ap.parse_args()
    ws = args.workspace.resolve()
    incident = _prepare(ws, args.machines, args.rows)

    import waitress

    from rempart.web.server import application

    app = application(ws)
    server: Any = waitress.create_server(app, host="127.0.0.1", port=0, threads=8)
    threading.Thread(target=server.run, daemon=True).start()
    port = int(server.effective_port)

    direct = _direct(ws, incident)
    pages = list(direct)
    cookie = _login(port)
    for page in pages:  # warm: the plans of the incident are ranked on the twin once
        con = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        con.request("GET", page, headers={"Cookie": cookie})
        con.getresponse().read()
        con.close()

    times: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    lock = threading.Lock()
    budget = [args.requests]
    start = time.monotonic()
    deadline = start + args.seconds
    cookies = [_login(port) for _ in range(args.clients)]
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
        f"\nworkspace {ws} · {args.clients} clients · {elapsed:.1f} s · {total} requests "
        f"({total / elapsed:.1f}/s) · errors {len(errors)}"
    )
    print(f"{'page':34} {'n':>5} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'app/ ms':>8}")
    for page in pages:
        ts = sorted(times.get(page, []))
        if not ts:
            continue
        runs = []
        for _ in range(5):
            t0 = time.perf_counter()
            direct[page]()
            runs.append(time.perf_counter() - t0)
        p95 = ts[min(len(ts) - 1, round(0.95 * (len(ts) - 1)))]
        print(
            f"{page[:34]:34} {len(ts):5d} {len(ts) / elapsed:7.1f} "
            f"{statistics.median(ts) * 1000:8.1f} {p95 * 1000:8.1f} "
            f"{statistics.median(runs) * 1000:8.1f}"
        )
    if errors:
        print("errors:", ", ".join(errors[:10]))


if __name__ == "__main__":
    main()
