"""The flow SQL vocabulary that sources and the store share.

Sources write SELECTs that yield the store's compact flow columns; the store names each
row's status from its outcome. Both speak these few expressions, so they live below both
(sources never import the store).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

# Failure: the originator's SYN got no answer or a reset (S0, REJ, RSTOS0, SH). OTH, SHR and
# RSTRH mean no SYN was seen from the originator (mid-stream at capture start, backscatter):
# the outcome is unknown, and counting them as failures made busy clients look like scanners.
FAILED_STATES = ("S0", "REJ", "RSTOS0", "SH")
OK_STATES = ("SF", "S1", "S2", "S3", "RSTO", "RSTR")


def status_sql(conn_state: str) -> str:
    """SQL for the normalised outcome (success / failure / unknown) of a Zeek conn_state.

    A simple CASE, not `IN (...)`: DuckDB plans an IN list as a join, which the `network_flow`
    view then ran on every row of every query, even those that never read `status`."""
    whens = " ".join(
        [f"WHEN '{s}' THEN 'success'" for s in OK_STATES]
        + [f"WHEN '{s}' THEN 'failure'" for s in FAILED_STATES]
    )
    return f"CASE {conn_state} {whens} ELSE 'unknown' END"


# `flow_conn.outcome` -> status (0 is unknown)
OUTCOMES = {1: "success", 2: "failure", 0: "unknown"}


def outcome_sql(conn_state: str) -> str:
    """SQL for `flow_conn.outcome`: `status_sql` as a number."""
    # (SF, by far the most common state, first: a row leaves the CASE at its first match)
    whens = " ".join(
        [f"WHEN '{s}' THEN 1" for s in OK_STATES] + [f"WHEN '{s}' THEN 2" for s in FAILED_STATES]
    )
    return f"CAST(CASE {conn_state} {whens} ELSE 0 END AS UTINYINT)"


# What an address field may hold (IPv4 or IPv6 text); anything else rejects its row.
ADDRESS_RE = "'^[0-9A-Fa-f.:]{2,45}$'"
ADDRESS_PATTERN = re.compile(ADDRESS_RE.strip("'"))


# ICMP types that ask for an answer (echo, timestamp, information, address mask): Zeek puts
# the type in the originator port.
ICMP_REQUESTS = (8, 13, 15, 17)

# The flow records detectors count (a dns.log or smb row never doubles a conn.log row).
FLOW_KINDS = "coalesce(record_kind, 'flow') IN ('flow', 'firewall')"

# A contact's outcome as the scan detector judges it: TCP by its state; a UDP or ICMP probe
# failed when the peer sent nothing back (packets counted, none in return) and succeeded
# when it answered; without packet counts it is not judged.
SCAN_OUTCOME = """CASE WHEN protocol IN ('udp', 'icmp') AND coalesce(action, '') <> 'denied'
            THEN CASE WHEN packets_in > 0 OR bytes_in > 0 THEN 'success'
                      WHEN packets_in = 0 AND packets_out > 0 THEN 'failure' END
            ELSE status END"""


def pairs_sql(source: str) -> str:
    """The flows of `source` (a table or subquery with `network_flow`'s columns) summed per
    (source, destination, destination port, protocol, UTC day): what the heavy network
    detectors aggregate, once per file at ingest instead of at every detection.

    Every column is a plain sum, minimum or maximum, so a detector re-aggregates the rows
    over any coarser key and gets what it would have computed from the flows themselves:
    `n`, `n_ok`, `bytes`, `t0`, `t1` for conversations; `s_t0` (first judged contact) and
    `s_ok` for the scan detector's first contacts (`SCAN_OUTCOME`); `e_*` for the border
    table (TCP/UDP with an outcome, ICMP requests: attempts, answered, refused, first and
    last time).

    In two steps: the flows are first summed per pair, day and `PAIR_FLAGS` (which of the
    conditions above each flow meets, as one small number), with only four aggregates;
    the few rows per pair that gives (364,087 for 20 M flows and 195,690 pairs) are then
    summed per pair, each conditional column from the rows whose flag is set. The
    aggregates over every flow were the cost: in one measure on 20 M flows, twelve of them
    took 8.2 CPU-seconds and the two steps 6.6, for the same rows (issue 26)."""
    code = " + ".join(f"CASE WHEN {cond} THEN {bit} ELSE 0 END" for bit, cond in _flags().values())

    def has(flag: str) -> str:
        return f"(k & {PAIR_FLAGS[flag]}) <> 0"

    day = "CAST(floor(epoch(time) / 86400) AS BIGINT)"
    return f"""
    SELECT src_ip, dst_ip, dst_port, protocol, day,
        CAST(sum(n) AS BIGINT) AS n,
        sum(CASE WHEN {has("ok")} THEN n ELSE 0 END) AS n_ok,
        sum(bytes) AS bytes,
        min(t0) AS t0, max(t1) AS t1,
        min(CASE WHEN {has("scan")} THEN t0 END) AS s_t0,
        max(CASE WHEN {has("scan_ok")} THEN 1 ELSE 0 END) AS s_ok,
        sum(CASE WHEN {has("edge")} THEN n ELSE 0 END) AS e_n,
        sum(CASE WHEN {has("edge_ok")} THEN n ELSE 0 END) AS e_ok,
        sum(CASE WHEN {has("edge_refused")} THEN n ELSE 0 END) AS e_refused,
        min(CASE WHEN {has("edge")} THEN t0 END) AS e_t0,
        max(CASE WHEN {has("edge")} THEN t1 END) AS e_t1
    FROM (
        SELECT src_ip, dst_ip, dst_port, protocol, {day} AS day, {code} AS k,
            count(*) AS n,
            sum(coalesce(bytes_out, 0) + coalesce(bytes_in, 0)) AS bytes,
            min(time) AS t0, max(time) AS t1
        FROM {source}
        WHERE {FLOW_KINDS}
        GROUP BY src_ip, dst_ip, dst_port, protocol, {day}, k) s
    GROUP BY src_ip, dst_ip, dst_port, protocol, day"""


# The conditions `pairs_sql` sums flows by, each a bit of its per-flow number `k`.
PAIR_FLAGS = {"ok": 1, "scan": 2, "scan_ok": 4, "edge": 8, "edge_ok": 16, "edge_refused": 32}


def _flags() -> dict[str, tuple[int, str]]:
    """Each `PAIR_FLAGS` condition of a flow (its bit, SQL over `network_flow`'s columns):
    answered (`n_ok`); judged by the scan detector and a success there (`s_*`); judged at
    the border, answered there, refused (`e_*`)."""
    icmp = ", ".join(str(t) for t in ICMP_REQUESTS)
    scan = f"""(({SCAN_OUTCOME}) IN ('success', 'failure')
                AND (protocol IN ('tcp', 'udp', 'icmp') OR action = 'denied'))"""
    edge = f"""((protocol IN ('tcp', 'udp') AND status IN ('success', 'failure'))
                OR (protocol = 'icmp' AND src_port IN ({icmp})))"""
    edge_ok = "(status = 'success' OR (protocol = 'icmp' AND coalesce(packets_in, 0) > 0))"
    refused = "(conn_state = 'REJ' OR action = 'denied')"
    conditions = {
        "ok": "status = 'success'",
        "scan": scan,
        "scan_ok": f"{scan} AND ({SCAN_OUTCOME}) = 'success'",
        "edge": edge,
        "edge_ok": f"{edge} AND {edge_ok}",
        "edge_refused": f"{edge} AND {refused}",
    }
    return {name: (PAIR_FLAGS[name], cond) for name, cond in conditions.items()}


class FastPathRefused(Exception):
    """The parallel Arrow reader of a connection log met a line it does not take as it is
    (a value of the wrong type, a line with other fields, another `#fields` header): the
    store drops what it wrote and the file goes through the source's SQL path, which
    names every bad line."""


@dataclass(frozen=True)
class ArrowFlows:
    """A plain-text connection log the store writes itself, in byte ranges read side by side.

    `read(start, end)` yields record batches of the compact flow columns (those of
    `rempart.store.flows.COMPACT_COLUMNS`, by name) for the lines that begin in
    [start, end), and raises FastPathRefused on a line it does not take. The store cuts
    the file at line ends (`ranges`) and writes each range's batches on its own thread:
    Arrow's CSV reader and Parquet writer run outside the interpreter lock, and cost about
    half of DuckDB's reader and table writer for the same rows (issue 26).
    """

    path: Path
    read: Callable[[int, int], Iterator[pa.RecordBatch]]

    def ranges(self, n: int, least: int = 0) -> list[tuple[int, int]]:
        """At most `n` byte ranges of at least `least` bytes (one for a small file) that
        together cover the file, each cut just after a line end."""
        size = self.path.stat().st_size
        n = max(1, min(n, size // least)) if least else n
        cuts = [0]
        with self.path.open("rb") as f:
            for k in range(1, n):
                f.seek(max(cuts[-1], size * k // n))
                f.readline()  # to the end of the line the cut fell in
                at = f.tell()
                if cuts[-1] < at < size:
                    cuts.append(at)
        cuts.append(size)
        return [(a, b) for a, b in itertools.pairwise(cuts) if b > a]


def used(sql: str, params: dict[str, object]) -> dict[str, object]:
    """The parameters a statement names (DuckDB refuses unused ones)."""
    return {k: v for k, v in params.items() if f"${k}" in sql}


__all__ = [
    "ADDRESS_PATTERN",
    "ADDRESS_RE",
    "FAILED_STATES",
    "FLOW_KINDS",
    "ICMP_REQUESTS",
    "OK_STATES",
    "OUTCOMES",
    "SCAN_OUTCOME",
    "ArrowFlows",
    "FastPathRefused",
    "outcome_sql",
    "pairs_sql",
    "status_sql",
    "used",
]
