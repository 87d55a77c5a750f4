"""Fallback conn.log generator for bench_network.py when the twin is not installed.

Same call shape as `rempart.twin.traffic.write_conn_log(hospital, path, *, start, hours,
rows, seed, extra)`: clients of a /16 talk to a few servers (SMB, HTTPS, DNS, LDAP) and the
internet, 2 % of attempts fail; NumPy draws the columns, PyArrow writes the TSV in chunks.
"""

from __future__ import annotations

from datetime import datetime
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
