"""Traffic across the border, aggregated once: the raw material of inbound and C&C detections.

`edges_sql` reads the flows once and keeps only those with exactly one internal side (the
other not special, not a declared partner): one row per (direction, internal-or-external
source, destination, port, protocol, day) with attempts, answered / refused / unanswered
counts, first and last time, bytes and the first event. Inbound rows are unsolicited
attempts (TCP/UDP with a known outcome, ICMP echo and other requests); outbound rows are
TCP/UDP connections with a known outcome. Both the inbound-exposure and the C&C detectors of
one `rempart detect` run read this table, computed once (as `use_pairs` does for spread).
"""

from __future__ import annotations

import pyarrow as pa

from rempart.netdetect.engine import Engine
from rempart.netdetect.nets import FLOW_KINDS, NetParams

EDGES = "_rempart_edges"

# ICMP types that ask for an answer (echo, timestamp, information, address mask): Zeek puts
# the type in the originator port.
ICMP_REQUESTS = (8, 13, 15, 17)

_CACHE: dict[NetParams, tuple[pa.Table, pa.Table]] = {}


def edges_sql() -> str:
    """One row per border edge and day (see the module docstring)."""
    icmp = ", ".join(str(t) for t in ICMP_REQUESTS)
    return f"""
    SELECT dir, src_ip, dst_ip, dst_port, protocol, day, count(*) AS n,
        sum(ok) AS n_ok, sum(refused) AS n_refused, min(time) AS t0, max(time) AS t1,
        sum(coalesce(bytes_out, 0)) AS bytes_out, sum(coalesce(bytes_in, 0)) AS bytes_in,
        min(event_uid) AS uid
    FROM (
        SELECT CASE WHEN s.internal THEN 'out' ELSE 'in' END AS dir,
            fl.src_ip, fl.dst_ip, coalesce(fl.dst_port, -1) AS dst_port, fl.protocol,
            CAST(floor(epoch(fl.time) / 86400) AS BIGINT) AS day, fl.time,
            fl.bytes_out, fl.bytes_in, fl.event_uid,
            CASE WHEN fl.status = 'success'
                   OR (fl.protocol = 'icmp' AND coalesce(fl.packets_in, 0) > 0)
                 THEN 1 ELSE 0 END AS ok,
            CASE WHEN fl.conn_state = 'REJ' OR fl.action = 'denied' THEN 1 ELSE 0 END
                AS refused
        FROM {{flows}} fl
        JOIN _rempart_hosts s ON s.ip = fl.src_ip
        JOIN _rempart_hosts d ON d.ip = fl.dst_ip
        WHERE {FLOW_KINDS} AND s.internal <> d.internal AND NOT s.special AND NOT d.special
          AND s.partner IS NULL AND d.partner IS NULL
          AND ((fl.protocol IN ('tcp', 'udp') AND fl.status IN ('success', 'failure'))
               OR (fl.protocol = 'icmp' AND d.internal AND fl.src_port IN ({icmp})))
    ) b
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
