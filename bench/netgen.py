"""The benches' conn.log: the twin's when installed, else this module's fallback generator.

`benchlib.generate_conn_log` runs `main()` in a child process (bench_network.py and
bench_intel.py share it).

Same call shape as `rempart.twin.traffic.write_conn_log(hospital, path, *, start, hours,
rows, seed, extra)`: clients of a /16 talk to a few servers (SMB, HTTPS, DNS, LDAP) and the
internet, 2 % of attempts fail; NumPy draws the columns, PyArrow writes the TSV in chunks.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

FIELDS = (
    "ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service",
    "duration", "orig_bytes", "resp_bytes", "conn_state", "local_orig", "local_resp",
    "missed_bytes", "history", "orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes",
    "tunnel_parents",
)  # fmt: skip
TYPES = (
    "time", "string", "addr", "port", "addr", "port", "enum", "string", "interval", "count",
    "count", "string", "bool", "bool", "count", "string", "count", "count", "count", "count",
    "set[string]",
)  # fmt: skip
CHUNK = 1_000_000


def header(start: datetime) -> str:
    return (
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
        f"#path\tconn\n#open\t{start:%Y-%m-%d-%H-%M-%S}\n"
        "#fields\t" + "\t".join(FIELDS) + "\n#types\t" + "\t".join(TYPES) + "\n"
    )


def write_conn_log(
    path: Path, *, start: datetime, hours: float, rows: int, seed: int, extra: pa.Table | None
) -> int:
    rng = np.random.default_rng(seed)
    clients = np.array([f"10.{20 + i // 250}.{i % 250}.{10 + i % 200}" for i in range(6000)])
    servers = np.array(["10.9.0.10", "10.9.0.11", "10.9.0.20", "10.9.0.53", "10.9.0.80"])
    ports = np.array([445, 443, 389, 53, 443])
    protos = np.array(["tcp", "tcp", "tcp", "udp", "tcp"])
    services = np.array(["smb", "ssl", "ldap", "dns", "ssl"])
    t0 = start.timestamp()
    written = 0
    with path.open("w", encoding="utf-8") as fh:
        fh.write(header(start))
    with path.open("ab") as fh:
        for lo in range(0, rows, CHUNK):
            n = min(CHUNK, rows - lo)
            ts = np.sort(t0 + (lo + rng.random(n) * n) / rows * hours * 3600)
            k = rng.integers(0, len(servers), n)
            internet = rng.random(n) < 0.2
            dst = np.where(internet, "93.184.216.34", servers[k])
            fail = rng.random(n) < 0.02
            table = pa.table(
                {
                    "ts": pc.utf8_slice_codeunits(pa.array(ts).cast(pa.string()), 0, 17),
                    "uid": pa.array(np.char.add("C", (lo + np.arange(n)).astype(str))),
                    "id.orig_h": pa.array(clients[rng.integers(0, len(clients), n)]),
                    "id.orig_p": pa.array(rng.integers(1024, 65535, n)),
                    "id.resp_h": pa.array(dst),
                    "id.resp_p": pa.array(np.where(internet, 443, ports[k])),
                    "proto": pa.array(np.where(internet, "tcp", protos[k])),
                    "service": pa.array(np.where(internet, "ssl", services[k])),
                    "duration": pa.array(np.round(rng.exponential(1.0, n), 6)),
                    "orig_bytes": pa.array(rng.integers(40, 5000, n)),
                    "resp_bytes": pa.array(np.where(fail, 0, rng.integers(40, 50000, n))),
                    "conn_state": pa.array(np.where(fail, "S0", "SF")),
                    "local_orig": pa.array(np.full(n, "T")),
                    "local_resp": pa.array(np.where(internet, "F", "T")),
                    "missed_bytes": pa.array(np.zeros(n, np.int64)),
                    "history": pa.array(np.where(fail, "S", "ShADadFf")),
                    "orig_pkts": pa.array(rng.integers(1, 20, n)),
                    "orig_ip_bytes": pa.array(rng.integers(60, 6000, n)),
                    "resp_pkts": pa.array(np.where(fail, 0, rng.integers(1, 40, n))),
                    "resp_ip_bytes": pa.array(np.where(fail, 0, rng.integers(60, 60000, n))),
                    "tunnel_parents": pa.array(np.full(n, "-")),
                }
            )
            opts = pacsv.WriteOptions(include_header=False, delimiter="\t", quoting_style="none")
            pacsv.write_csv(table, fh, opts)
            written += n
        if extra is not None and extra.num_rows:
            lines = [
                f"{r['ts']:.6f}\tX{i}\t{r['src_ip']}\t50000\t{r['dst_ip']}\t{r['dst_port']}\t"
                f"{r['proto']}\t{r['service'] or '-'}\t0.1\t100\t100\t{r['conn_state']}\tT\tT\t0\t"
                "ShADadFf\t3\t200\t3\t200\t-\n"
                for i, r in enumerate(extra.to_pylist())
            ]
            fh.write("".join(lines).encode())
            written += extra.num_rows
    return written


START = datetime(2019, 3, 11, tzinfo=UTC)


def worm(hospital: object, hours: float) -> pa.Table:
    """Worm flows in ATTACK_SCHEMA: a spread tree of 4 hosts, 300 SMB contacts in all."""
    pcs = [a.ip for a in getattr(hospital, "assets", ()) if a.ip and a.kind == "workstation"]
    pcs = pcs[:400] if len(pcs) >= 400 else [f"10.20.{i // 200}.{10 + i % 200}" for i in range(400)]
    t = START.timestamp() + hours * 3600 * 0.4
    # patient zero reaches 75 peers; two of them, then a grandchild, do the same later
    plan = [(pcs[0], pcs[1:76], 0.0), (pcs[1], pcs[76:151], 300.0),
            (pcs[2], pcs[151:226], 420.0), (pcs[76], pcs[226:301], 900.0)]  # fmt: skip
    rows = []
    for src, peers, delay in plan:
        for j, dst in enumerate(peers):
            rows.append((t + delay + j * 2.0, src, dst, 445, "tcp", "smb", "SF", 0.2, 900, 600))
    names = ["ts", "src_ip", "dst_ip", "dst_port", "proto", "service", "conn_state",
             "duration", "orig_bytes", "resp_bytes"]  # fmt: skip
    types = [pa.float64(), pa.string(), pa.string(), pa.int32(), pa.string(), pa.string(),
             pa.string(), pa.float64(), pa.int64(), pa.int64()]  # fmt: skip
    cols = list(zip(*rows, strict=True))
    return pa.table({n: pa.array(c, t_) for n, c, t_ in zip(names, cols, types, strict=True)})


def generate(workdir: Path, rows: int, hours: float, seed: int, *, with_worm: bool,
             generator: str) -> None:  # fmt: skip
    """Write conn.log (and hospital.json, the model, with the twin) into `workdir`, with the
    twin (`rempart.twin.traffic.write_conn_log`) when asked and installed, else this
    module's generator; `gen.json` says which and how many rows."""
    n = -1
    used = "bench/netgen.py"
    if generator == "twin":
        try:
            from rempart.twin.hospital import generate_hospital
            from rempart.twin.traffic import write_conn_log as twin_conn_log
        except ImportError:
            pass
        else:
            hospital = generate_hospital(machines=6000, buildings=12, seed=seed)
            n = twin_conn_log(
                hospital, workdir / "conn.log", start=START, hours=hours, rows=rows, seed=seed,
                extra=worm(hospital, hours) if with_worm else None,
            )  # fmt: skip
            (workdir / "hospital.json").write_text(hospital.model_dump_json(), encoding="utf-8")
            used = "twin"
    if n < 0:
        n = write_conn_log(
            workdir / "conn.log", start=START, hours=hours, rows=rows, seed=seed,
            extra=worm(None, hours) if with_worm else None,
        )  # fmt: skip
    (workdir / "gen.json").write_text(json.dumps({"rows": n, "generator": used}))


def main() -> int:
    """`python bench/netgen.py --workdir W --rows N ...`: what `benchlib.generate_conn_log`
    runs in a child process (so the generator's memory is not the bench's)."""
    ap = argparse.ArgumentParser(description="write a conn.log for the benches")
    ap.add_argument("--workdir", type=Path, required=True)
    ap.add_argument("--rows", type=int, default=20_000_000)
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--worm", action="store_true")
    ap.add_argument("--generator", choices=("twin", "netgen"), default="twin")
    args = ap.parse_args()
    generate(args.workdir, args.rows, args.hours, args.seed, with_worm=args.worm,
             generator=args.generator)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
