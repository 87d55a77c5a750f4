"""Phishing scoring benchmark: quality on the held-out split, and speed against the peers.

    nice .venv/bin/python bench/bench_mail.py [--data ../shared/data] [--workers 2]

Prints, on the test split of `rempart.mail.corpus` (never trained on):
- recall on phishing_pot, recall on SpamAssassin spam, false-positive rate on ham, and the
  confusion matrix (suspicious and malicious both count as flagged);
- messages per second for Rempart (1 process and `--workers` processes), SpamAssassin
  (`spamc` against `spamd -L`, i.e. no network tests, as Rempart has none) and Rspamd
  (`rspamc`), on the same messages in the same run, with their own verdicts side by side.
Peers that are not installed are reported as absent. Daemons this script starts, it stops.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-peers", action="store_true")
    args = parser.parse_args()
    test = [s for s in samples(args.data) if s.split == "test"]
    if not test:
        print(f"no corpus under {args.data}")
        return 1
    paths = [s.path for s in test]
    volume = sum(p.stat().st_size for p in paths) / 1e6
    print(f"held-out split: {len(test)} messages, {volume:.1f} MB "
          f"({Counter(s.group for s in test)})")  # fmt: skip

    _score(str(paths[0]))  # warm-up: model loaded once, as in a long-running process
    t = time.perf_counter()
    ours = [_score(str(p)) for p in paths]
    one = time.perf_counter() - t
    t = time.perf_counter()
    with Pool(args.workers, initializer=_warm) as pool:
        pool.map(_score, [str(p) for p in paths[: 4 * args.workers]])  # workers up and warm
        t = time.perf_counter()
        pool.map(_score, [str(p) for p in paths], chunksize=16)
    many = time.perf_counter() - t
    report("Rempart", test, ours)
    rates = {"rempart_1": len(paths) / one, f"rempart_{args.workers}": len(paths) / many}

    started: list[subprocess.Popen[bytes]] = []
    if not args.skip_peers:
        peers = (
            ("SpamAssassin (spamc/spamd -L)", lambda: start_spamd(args.workers), run_spamc),
            ("Rspamd (rspamc)", start_rspamd, run_rspamc),
        )
        for name, start, run in peers:
            handle = start()
            if handle is None:
                print(f"\n== {name}: not installed or could not start; skipped")
                continue
            if isinstance(handle, subprocess.Popen):
                started.append(handle)
            verdicts, elapsed = run(paths, args.workers)
            report(name, test, verdicts)
            rates[name] = len(paths) / elapsed
    for proc in started:
        proc.terminate()
        proc.wait(timeout=30)

    print("\n== speed (messages per second, same messages, same run)")
    for name, rate in rates.items():
        print(f"  {name:<32} {rate:8.1f} msg/s")
    best = rates[f"rempart_{args.workers}"]
    for name, rate in rates.items():
        if not name.startswith("rempart"):
            print(f"  Rempart ({args.workers} procs) / {name}: {best / rate:.1f}x")
    return 0


if __name__ == "__main__":
    from benchlib import loadavg

    with loadavg():
        raise SystemExit(main())
