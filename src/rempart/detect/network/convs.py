"""Conversations of interest, aggregated once: the raw material of spread, policy and devices.

Lateral spread and the spread tree read admin-protocol contacts between hosts, the zone
policy reads SMB, medical devices' and partners' flows, and the medical-exposure report
reads medical devices' flows. Each used to read (and join to the host table) tens of
millions of flows for a few tens of thousands of conversations. `convs_sql` reads the flows
once, keeps those on an admin port, from a medical device or to a declared partner, and
sums them per (source, destination, destination port): flows, answered flows, bytes, first
and last time. The detectors of one `rempart detect` run then join the host table to that
small table. It carries no uid: evidence is looked up afterwards (`common.lookup_sql`).
"""

from __future__ import annotations

import pyarrow as pa

from rempart.detect.network.nets import NetParams, sql_list
from rempart.store.engine import Engine

CONVS = "_rempart_convs"
# `convs` as a CTE over the materialised table (see `use_convs`).
CONVS_CTE = f"WITH convs AS (SELECT * FROM {CONVS})"


def medical_source(host: str) -> str:
    """SQL: the host-table row `host` is a medical device (by asset kind or zone kind)."""
    return f"({host}.asset_kind = 'medical_device' OR {host}.zone_kind = 'medical')"


# params -> (the host table the conversations were computed with, the conversations).
_CACHE: dict[NetParams, tuple[pa.Table, pa.Table]] = {}


def convs_sql(p: NetParams) -> str:
    """One row per (src_ip, dst_ip, dst_port) of the flows of interest (module docstring)."""
    return f"""
    SELECT src_ip, dst_ip, dst_port, max(protocol) AS protocol, CAST(sum(n) AS BIGINT) AS n,
        sum(n_ok) AS n_ok, sum(bytes) AS bytes, min(t0) AS t0, max(t1) AS t1
    FROM {{pairs}} p
    WHERE (
        dst_port IN {sql_list(p.admin_ports)}
        OR src_ip IN (SELECT ip FROM _rempart_hosts h WHERE {medical_source("h")})
        OR dst_ip IN (SELECT ip FROM _rempart_hosts WHERE partner IS NOT NULL))
    GROUP BY src_ip, dst_ip, dst_port"""


def use_convs(engine: Engine, p: NetParams) -> None:
    """Make `_rempart_convs` visible on a prepared engine, computed once per data set (the
    host table registered by `prepare` identifies the data, as for `use_pairs`)."""
    hit = _CACHE.get(p)
    if engine.kind == "duckdb" and hit is not None and hit[0] is engine.hosts:
        engine.register(CONVS, hit[1])
        return
    table = engine.materialize(CONVS, convs_sql(p))
    if table is not None and engine.hosts is not None:
        _CACHE.clear()
        _CACHE[p] = (engine.hosts, table)
