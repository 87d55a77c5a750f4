"""Phishing scoring benchmark: quality on the held-out split, and speed against the peers.

    nice .venv/bin/python bench/bench_mail.py [--data ../shared/data] [--workers 2] [--rounds 3]

Prints, on the test split of `rempart.mail.corpus` (never trained on):
- recall on phishing_pot, recall on SpamAssassin spam, false-positive rate on ham, and the
  confusion matrix (suspicious and malicious both count as flagged);
- messages per second for Rempart (1 process and `--workers` processes), SpamAssassin
  (`spamc` against `spamd -L`, i.e. no network tests, as Rempart has none) and Rspamd
  (`rspamc`), on the same messages in the same run, with their own verdicts side by side;
- Rempart on `--workers` processes and Rspamd interleaved over `--rounds` rounds (Rempart,
  then Rspamd, then again), the ratio of each round, their median and spread.
Peers that are not installed are reported as absent. Daemons this script starts, it stops.
Rspamd is measured offline: with `/etc/rspamd/local.d/options.inc` holding
`dns { nameserver = ["127.0.0.1:5353"]; }`, this script answers its DNS queries at once
(NXDOMAIN) from 127.0.0.1:5353; with an unreachable resolver it waits on every query.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from multiprocessing import Pool
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from rempart.mail.corpus import Sample, samples  # noqa: E402

SPAMD = ("127.0.0.1", 7830)
RSPAMD = ("127.0.0.1", 11333)
DNS_STUB = ("127.0.0.1", 5353)


def dns_stub() -> bool:
    """Answer every DNS query on DNS_STUB with NXDOMAIN, in a daemon thread (False when
    the port is taken: another stub may be running)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind(DNS_STUB)
    except OSError:
        sock.close()
        return False

    def serve() -> None:
        while True:
            query, addr = sock.recvfrom(4096)
            if len(query) < 12:
                continue
            # same id and question; flags: response, recursion available, NXDOMAIN
            flags = bytes([0x80 | (query[2] & 0x01), 0x83])
            reply = query[:2] + flags + query[4:6] + b"\0\0\0\0\0\0" + query[12:]
            sock.sendto(reply, addr)

    threading.Thread(target=serve, daemon=True).start()
    return True


def _score(path: str) -> str:
    from rempart.mail.score import score_message

    return score_message(Path(path).read_bytes(), lang="en").verdict.value


def _warm() -> None:
    """Load the model and the suffix list once per worker, outside the timing."""
    from rempart.mail.textmodel import default_model

    default_model()
    _score(str(ROOT / "tests" / "mail" / "helpers.py"))


def _up(addr: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(addr, timeout=1):
            return True
    except OSError:
        return False


def _wait(addr: tuple[str, int], seconds: float = 30) -> bool:
    end = time.time() + seconds
    while time.time() < end:
        if _up(addr):
            return True
        time.sleep(0.5)
    return False


def start_spamd(workers: int) -> subprocess.Popen[bytes] | str | None:
    if _up(SPAMD):
        return "running"
    if not shutil.which("spamd") or not shutil.which("spamc"):
        return None
    cmd = ["spamd", f"--listen={SPAMD[0]}:{SPAMD[1]}", "-L", f"--max-children={workers}"]
    if (
        shutil.which("id")
        and subprocess.run(["id", "-u"], capture_output=True, text=True).stdout.strip() == "0"
    ):
        cmd += ["-u", "debian-spamd"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc if _wait(SPAMD, 60) else None


def start_rspamd() -> subprocess.Popen[bytes] | str | None:
    if _up(RSPAMD):
        return "running"
    if not shutil.which("rspamd") or not shutil.which("rspamc"):
        return None
    proc = subprocess.Popen(["rspamd", "-f", "-u", "_rspamd", "-g", "_rspamd"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    return proc if _wait(RSPAMD, 60) else None


def run_spamc(paths: list[Path], workers: int) -> tuple[list[str], float]:
    def one(p: Path) -> str:
        res = subprocess.run(["spamc", "-d", SPAMD[0], "-p", str(SPAMD[1]), "-c"],
                             input=p.read_bytes(), capture_output=True)  # fmt: skip
        return "flagged" if res.returncode == 1 else "clean"

    t = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        out = list(pool.map(one, paths))
    return out, time.perf_counter() - t


def run_rspamc(paths: list[Path], workers: int) -> tuple[list[str], float]:
    verdict: dict[str, str] = {}
    t = time.perf_counter()
    for i in range(0, len(paths), 200):
        chunk = paths[i : i + 200]
        cmd = ["rspamc", "-h", f"{RSPAMD[0]}:{RSPAMD[1]}", "-n", str(4 * workers), *map(str, chunk)]
        res = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
        current = None
        for line in res.stdout.splitlines():
            if line.startswith("Results for file: "):
                current = line[len("Results for file: ") :].rsplit(" (", 1)[0]
            elif line.startswith("Action: ") and current:
                action = line[len("Action: ") :].strip().lower()
                # greylist / soft reject are delivery tactics, not a spam verdict
                flagged = action in ("reject", "add header", "rewrite subject")
                verdict[current] = "flagged" if flagged else "clean"
    elapsed = time.perf_counter() - t
    return [verdict.get(str(p), "error") for p in paths], elapsed


def report(name: str, test: list[Sample], verdicts: list[str]) -> None:
    matrix: Counter[tuple[str, str]] = Counter()
    for s, v in zip(test, verdicts, strict=True):
        matrix[(s.group, v)] += 1
    flagged = {"malicious", "suspicious", "flagged"}

    def rate(groups: tuple[str, ...]) -> tuple[int, int]:
        n = sum(c for (g, _), c in matrix.items() if g in groups)
        f = sum(c for (g, v), c in matrix.items() if g in groups and v in flagged)
        return f, n

    pf, pn = rate(("fr", "multi"))
    sf, sn = rate(("spam",))
    hf, hn = rate(("easy_ham", "hard_ham"))
    print(f"\n== {name}")
    print(f"  phishing recall  {pf}/{pn} = {pf / max(pn, 1):.3f}")
    print(f"  spam recall      {sf}/{sn} = {sf / max(sn, 1):.3f}")
    print(f"  ham FPR          {hf}/{hn} = {hf / max(hn, 1):.4f}")
    verdict_names = sorted({v for _, v in matrix})
    print("  confusion matrix (rows: corpus folder, columns: verdict)")
    print("  " + "".join(f"{c:>12}" for c in ["", *verdict_names]))
    for g in ("fr", "multi", "spam", "easy_ham", "hard_ham"):
        print("  " + f"{g:>12}" + "".join(f"{matrix[(g, v)]:>12}" for v in verdict_names))


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}x [{min(values):.2f}-{max(values):.2f}]"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument("--skip-spamassassin", action="store_true")
    args = parser.parse_args()
    test = [s for s in samples(args.data) if s.split == "test"]
    if not test:
        print(f"no corpus under {args.data}")
        return 1
    paths = [s.path for s in test]
    names = [str(p) for p in paths]
    volume = sum(p.stat().st_size for p in paths) / 1e6
    print(f"held-out split: {len(test)} messages, {volume:.1f} MB "
          f"({Counter(s.group for s in test)})")  # fmt: skip

    _score(str(paths[0]))  # warm-up: model loaded once, as in a long-running process
    t = time.perf_counter()
    ours = [_score(str(p)) for p in paths]
    one = time.perf_counter() - t
    report("Rempart", test, ours)
    rates: dict[str, float] = {"rempart_1": len(paths) / one}
    many = f"rempart_{args.workers}"
    # chunks: a few per worker and round trip, so that neither waits at the end
    chunk = max(1, len(paths) // (args.workers * 16))

    started: list[subprocess.Popen[bytes]] = []
    rspamd = None
    with Pool(args.workers, initializer=_warm) as pool:
        pool.map(_score, names[: 4 * args.workers])  # workers up and warm

        def rempart_round() -> float:
            t = time.perf_counter()
            verdicts = pool.map(_score, names, chunksize=chunk)
            elapsed = time.perf_counter() - t
            assert verdicts == ours, "the pool's verdicts differ from one process's"
            return len(paths) / elapsed

        if not args.skip_peers:
            if dns_stub():
                print(f"DNS stub (NXDOMAIN) on {DNS_STUB[0]}:{DNS_STUB[1]}")
            rspamd = start_rspamd()
            if rspamd is None:
                print("\n== Rspamd (rspamc): not installed or could not start; skipped")
            else:
                if isinstance(rspamd, subprocess.Popen):
                    started.append(rspamd)
                run_rspamc(paths[:100], args.workers)  # warm, its rules compiled, untimed
        ours_rates: list[float] = []
        peer_rates: list[float] = []
        peer_verdicts: list[str] = []
        for r in range(args.rounds):
            ours_rates.append(rempart_round())
            line = f"  round {r + 1}: Rempart ({args.workers} procs) {ours_rates[-1]:7.1f} msg/s"
            if rspamd is not None:
                peer_verdicts, elapsed = run_rspamc(paths, args.workers)
                peer_rates.append(len(paths) / elapsed)
                line += f", Rspamd {peer_rates[-1]:7.1f} msg/s"
                line += f", ratio {ours_rates[-1] / peer_rates[-1]:.2f}x"
            print(line, flush=True)
    rates[many] = statistics.median(ours_rates)
    if rspamd is not None:
        report("Rspamd (rspamc)", test, peer_verdicts)
        rates["Rspamd (rspamc)"] = statistics.median(peer_rates)

    if not args.skip_peers and not args.skip_spamassassin:
        handle = start_spamd(args.workers)
        name = "SpamAssassin (spamc/spamd -L)"
        if handle is None:
            print(f"\n== {name}: not installed or could not start; skipped")
        else:
            if isinstance(handle, subprocess.Popen):
                started.append(handle)
            verdicts, elapsed = run_spamc(paths, args.workers)
            report(name, test, verdicts)
            rates[name] = len(paths) / elapsed
    for proc in started:
        proc.terminate()
        proc.wait(timeout=30)

    print(f"\n== speed (messages per second, same messages, same run; "
          f"{args.workers}-process figures: median of {args.rounds} rounds)")  # fmt: skip
    for name, rate in rates.items():
        print(f"  {name:<32} {rate:8.1f} msg/s")
    best = rates[many]
    for name, rate in rates.items():
        if not name.startswith("rempart"):
            print(f"  Rempart ({args.workers} procs) / {name}: {best / rate:.1f}x")
    if peer_rates:
        ratios = [a / b for a, b in zip(ours_rates, peer_rates, strict=True)]
        print(f"  Rempart / Rspamd per interleaved round: {spread(ratios)} "
              f"over {len(ratios)} rounds")  # fmt: skip
    return 0


if __name__ == "__main__":
    from benchlib import loadavg

    with loadavg():
        raise SystemExit(main())
