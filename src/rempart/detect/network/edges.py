"""Traffic across the border, aggregated once: the raw material of inbound and C&C detections.

`edges_sql` reads the flows once and keeps only those with exactly one internal side (the
other not special, not a declared partner): one row per (direction, internal-or-external
source, destination, port, protocol, day) with attempts, answered / refused / unanswered
counts, first and last time (no uid: evidence is looked up, `common.lookup_sql`). Inbound
rows are unsolicited attempts (TCP/UDP with a known outcome, ICMP echo and other
requests); outbound rows are TCP/UDP connections with a known outcome. Both the
inbound-exposure and the C&C detectors of one `rempart detect` run read this table,
computed once (as `use_pairs` does for spread).
"""

from __future__ import annotations

import pyarrow as pa

from rempart.detect.network.nets import NetParams
from rempart.store.engine import Engine

EDGES = "_rempart_edges"


_CACHE: dict[NetParams, tuple[pa.Table, pa.Table]] = {}


def _leg(direction: str) -> str:
    """Border pairs of one direction, from the flows summed per pair and day (`{pairs}`,
    `schema.flowsql.pairs_sql`: its `e_*` columns count TCP/UDP flows with an outcome and
    ICMP requests): the external side joined first to the (small) set of external
    addresses, which skips the internal traffic at the cost of a hash probe. Outbound, only
    TCP and UDP count."""
    ext_col, int_col = ("src_ip", "dst_ip") if direction == "in" else ("dst_ip", "src_ip")
    tcp_udp = "" if direction == "in" else "AND fl.protocol IN ('tcp', 'udp')"
    return f"""
        SELECT '{direction}' AS dir,
            fl.src_ip, fl.dst_ip, coalesce(fl.dst_port, -1) AS dst_port, fl.protocol, fl.day,
            fl.e_n, fl.e_ok, fl.e_refused, fl.e_t0, fl.e_t1
        FROM {{pairs}} fl
        JOIN ext x ON x.ip = fl.{ext_col}
        JOIN _rempart_hosts h ON h.ip = fl.{int_col}
        WHERE h.internal AND NOT h.special AND h.partner IS NULL AND fl.e_n > 0 {tcp_udp}"""


def edges_sql() -> str:
    """One row per border edge and day (see the module docstring)."""
    return f"""
    WITH ext AS (
        SELECT ip FROM _rempart_hosts WHERE NOT internal AND NOT special AND partner IS NULL
    )
    SELECT dir, src_ip, dst_ip, dst_port, protocol, day, CAST(sum(e_n) AS BIGINT) AS n,
        sum(e_ok) AS n_ok, sum(e_refused) AS n_refused, min(e_t0) AS t0, max(e_t1) AS t1
    FROM ({_leg("in")} UNION ALL {_leg("out")}) b
    GROUP BY dir, src_ip, dst_ip, dst_port, protocol, day"""


def use_edges(engine: Engine, p: NetParams) -> None:
    """Make `_rempart_edges` visible on a prepared engine, computed once per data set."""
    hit = _CACHE.get(p)
    if engine.kind == "duckdb" and hit is not None and hit[0] is engine.hosts:
        engine.register(EDGES, hit[1])
        return
    table = engine.materialize(EDGES, edges_sql())
    if table is not None and engine.hosts is not None:
        _CACHE.clear()
        _CACHE[p] = (engine.hosts, table)
