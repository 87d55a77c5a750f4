"""Mail server logs: how long a central syslog takes to ingest, against DuckDB's scan of it.

    nice .venv/bin/python bench/bench_mail_logs.py                  # 1.2 million lines
    .venv/bin/python bench/bench_mail_logs.py --lines 200000       # a quick run

A hospital's mail relay and IMAP server log to the central syslog, with the firewall and
everything else. The file generated here (seeded, in the workdir) is such a syslog:
Postfix messages (smtpd `client=`, cleanup, qmgr, one delivery line each, and the
connect/disconnect chatter), Dovecot logins (successes and failures), kernel netfilter
lines and sshd/cron chatter. It is read by three sources: `mail_auth_syslog` (logins),
`postfix_delivery` (the mail flow) and `netfilter_log` (firewall lines).

Baseline, in the same run: DuckDB's `read_csv` of the same file as lines, counted (the
floor: reading it once; the faster of two scans). Printed: the ingest of the whole file
(every source that recognises it, in one transaction, as `rempart ingest` does) and each
source alone, against that scan, with their rows and rejects.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REF = datetime(2026, 3, 12, tzinfo=UTC)


def generate(path: Path, lines: int, seed: int = 7) -> None:
    """A central syslog of about `lines` lines (a day from 2026-03-11 00:00)."""
    rnd = random.Random(seed)
    t0 = datetime(2026, 3, 11)
    out: list[str] = []
    i = 0
    while len(out) < lines:
        t = (t0 + timedelta(seconds=len(out) * 86400 / lines)).strftime("%b %d %H:%M:%S")
        kind = rnd.random()
        if kind < 0.55:  # a message through the relay: 7 lines
            q = f"{0x10000000 + i * 7:X}"
            pc = f"10.{20 + i % 10}.{i % 250}.{10 + i % 200}"
            out += [
                f"{t} mx postfix/smtpd[{1000 + i % 50}]: connect from pc{i % 900}[{pc}]",
                f"{t} mx postfix/smtpd[{1000 + i % 50}]: {q}: client=pc{i % 900}[{pc}]",
                f"{t} mx postfix/cleanup[2]: {q}: message-id=<m{i}.{rnd.random():.8f}@chu.fr>",
                f"{t} mx postfix/qmgr[3]: {q}: from=<u{rnd.randrange(6000)}@chu.fr>, "
                f"size={rnd.randrange(1000, 90000)}, nrcpt=1 (queue active)",
                f"{t} mx postfix/lmtp[4]: {q}: to=<u{rnd.randrange(6000)}@chu.fr>, "
                "relay=imap[private/lmtp], delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, "
                "status=sent (250 2.0.0 ok)",
                f"{t} mx postfix/qmgr[3]: {q}: removed",
                f"{t} mx postfix/smtpd[{1000 + i % 50}]: disconnect from pc{i % 900}[{pc}] "
                "ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5",
            ]
        elif kind < 0.8:  # a Dovecot login, one in ten failed
            user = f"u{rnd.randrange(6000)}@chu.fr"
            ip = f"10.{20 + i % 10}.{i % 250}.{10 + i % 200}"
            if rnd.random() < 0.1:
                out.append(
                    f"{t} imap dovecot[12]: imap-login: Disconnected (auth failed, 1 attempts "
                    f"in 2 secs): user=<{user}>, method=PLAIN, rip={ip}, lip=10.10.0.5, TLS"
                )
            else:
                out.append(
                    f"{t} imap dovecot[12]: imap-login: Login: user=<{user}>, method=PLAIN, "
                    f"rip={ip}, lip=10.10.0.5, mpid={i}, TLS"
                )
                out.append(f"{t} imap dovecot[12]: imap({user})<{i}>: Logged out in=82 out=1422")
        elif kind < 0.95:  # the firewall
            out.append(
                f"{t} fw kernel: [12345.678] DROP IN=eth0 OUT= MAC=00:11:22:33:44:55 "
                f"SRC=198.51.100.{i % 250} DST=10.10.0.{i % 200} LEN=60 TOS=0x00 PREC=0x00 "
                f"TTL=52 ID={i % 65535} DF PROTO=TCP SPT={1024 + i % 60000} DPT=445 "
                "WINDOW=64240 RES=0x00 SYN URGP=0"
            )
        else:
            out.append(f"{t} srv{i % 40} CRON[{i}]: (root) CMD (run-parts /etc/cron.hourly)")
        i += 1
    path.write_text("\n".join(out[:lines]) + "\n")


def scan(path: Path) -> float:
    """DuckDB's read of the file as lines, counted: the faster of two runs."""
    import duckdb

    best = float("inf")
    for _ in range(2):
        con = duckdb.connect()
        t = time.perf_counter()
        con.execute(
            "SELECT count(line) FROM read_csv($p, delim='\x01', header=false, quote='', "
            "escape='', auto_detect=false, columns={'line': 'VARCHAR'}, ignore_errors=true)",
            {"p": str(path)},
        ).fetchall()
        best = min(best, time.perf_counter() - t)
        con.close()
    return best


def ingest(path: Path, workdir: Path, source: str | None) -> tuple[float, object]:
    """Ingest into a fresh store on disk; (seconds, FileResult)."""
    from rempart.ingest.files import ingest_file
    from rempart.sources import SOURCES
    from rempart.store import Store

    ws = workdir / "store"
    shutil.rmtree(ws, ignore_errors=True)
    ws.mkdir(parents=True)
    store = Store(ws / "rempart.duckdb")
    reader = next(s for s in SOURCES if source == s.NAME) if source else None
    t = time.perf_counter()
    res = ingest_file(store, path, source=reader, reference=REF)
    took = time.perf_counter() - t
    store.close()
    return took, res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--lines", type=int, default=1_200_000)
    ap.add_argument("--workdir", type=Path, default=Path("bench/out/mail-logs"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    path = args.workdir / "syslog"
    if not path.exists() or sum(1 for _ in path.open("rb")) != args.lines:
        print(f"generating {args.lines:,} lines in {path}…", flush=True)
        generate(path, args.lines)
    floor = scan(path)
    size = path.stat().st_size / 1e6
    print(f"file: {path} ({size:.0f} MB, {args.lines:,} lines)")
    print(f"DuckDB read_csv scan (floor): {floor:8.2f} s")
    for source in (None, "mail_auth_syslog", "postfix_delivery", "netfilter_log"):
        times = []
        res = None
        for _ in range(args.repeat):
            took, res = ingest(path, args.workdir, source)
            times.append(took)
        med = statistics.median(times)
        name = source or "whole file (" + str(getattr(res, "source", "?")) + ")"
        print(
            f"{name:<55} {med:7.2f} s  {med / floor:6.1f} x scan   "
            f"rows {getattr(res, 'records', 0):>9,}  rejects {getattr(res, 'rejected', 0):>9,}"
        )
        for part in getattr(res, "parts", ()) or ():
            if source is None:
                print(f"    {part[0]:<20} rows {part[2]:>9,}  rejects {part[3]:>9,}")
    shutil.rmtree(args.workdir / "store", ignore_errors=True)


if __name__ == "__main__":
    from benchlib import loadavg

    with loadavg():
        main()
