"""First contacts over admin protocols between internal hosts: the raw material of spread.

`pairs_sql` yields one row per (source, peer) first contact on SMB, RDP, WinRM or RPC/DCOM
after the learning period (the first hour, or the first tenth of a shorter capture), with a
sliding count of the source's new peers within the window and the threshold that applies to
that source: raised for hosts whose role in the hospital model is to fan out (file servers,
domain controllers, management) and for hosts already fanning out during the learning
period (the learnt baseline).
"""

from __future__ import annotations

import pyarrow as pa

from rempart.detect.network.common import lookup_sql
from rempart.detect.network.convs import CONVS, use_convs
from rempart.detect.network.nets import FANOUT_ROLES, NetParams, sql_list
from rempart.store.engine import Engine

PAIRS = "_rempart_pairs"
# `pairs` as a CTE over the materialised table (see `use_pairs`).
PAIRS_CTE = f"WITH pairs AS (SELECT * FROM {PAIRS})"

# params -> (the host table the pairs were computed with, the pairs): lateral spread and the
# spread tree of one `rempart detect` run read the same first contacts, computed once.
_CACHE: dict[NetParams, tuple[pa.Table, pa.Table]] = {}


def use_pairs(engine: Engine, p: NetParams) -> None:
    """Make `_rempart_pairs` (the `pairs` rows of `pairs_sql`) visible on a prepared engine.

    The flows are read once per prepared data set and params on DuckDB (the host table
    registered by `prepare` identifies the data: same object, same flows); on Spark it is a
    temporary view.
    """
    hit = _CACHE.get(p)
    if engine.kind == "duckdb" and hit is not None and hit[0] is engine.hosts:
        engine.register(PAIRS, hit[1])
        return
    use_convs(engine, p)
    table = engine.materialize(PAIRS, pairs_sql(p) + " SELECT * FROM pairs")
    if table is not None and engine.hosts is not None:
        _CACHE.clear()
        _CACHE[p] = (engine.hosts, table)


def pair_uids_sql(p: NetParams, ctes: str, keys: str, *, limit: bool = True) -> str:
    """`lookup_sql` for first contacts (`entity, src_ip, dst_ip, time` keys from pairs)."""
    return lookup_sql(ctes, keys, where=f"dst_port IN {sql_list(p.admin_ports)}", limit=limit)


def pairs_sql(p: NetParams) -> str:
    """CTEs ending in `pairs` (src, dst, t, ok, port, n_win, threshold, src_zone...), over
    `_rempart_convs` (`use_convs` first); the uid of a first contact is looked up for
    evidence only (`pair_uids_sql`)."""
    return f"""
    WITH adm AS (
        SELECT c.src_ip, c.dst_ip, c.dst_port, c.t0, c.n_ok
        FROM {CONVS} c
        JOIN _rempart_hosts s ON s.ip = c.src_ip
        JOIN _rempart_hosts d ON d.ip = c.dst_ip
        WHERE c.dst_port IN {sql_list(p.admin_ports)}
          AND s.internal AND d.internal AND NOT d.special AND c.src_ip <> c.dst_ip
    ), bounds AS (
        SELECT epoch(min(time)) + least({p.learn_seconds},
               0.1 * (epoch(max(time)) - epoch(min(time)))) AS t_learn
        FROM {{flows}}
    ), first AS (
        SELECT src_ip, dst_ip, min(t0) AS t,
               max(CASE WHEN n_ok > 0 THEN 1 ELSE 0 END) AS ok,
               min(dst_port) AS port
        FROM adm GROUP BY src_ip, dst_ip
    ), learnt AS (
        SELECT src_ip, count(*) AS n_learn FROM first, bounds
        WHERE epoch(first.t) < bounds.t_learn
        GROUP BY src_ip
    ), fresh_all AS (
        SELECT first.* FROM first, bounds
        WHERE epoch(first.t) >= bounds.t_learn
    ), fresh AS (
        -- sources with fewer new peers than the lowest threshold cannot fan out: skip them
        SELECT fa.* FROM fresh_all fa JOIN (
            SELECT src_ip FROM fresh_all GROUP BY src_ip
            HAVING count(*) >= {min(p.alike_peers, p.min_peers)}) k ON k.src_ip = fa.src_ip
    ), pairs AS (
        SELECT fresh.src_ip, fresh.dst_ip, fresh.t, fresh.ok, fresh.port,
            count(*) OVER (PARTITION BY fresh.src_ip ORDER BY epoch(fresh.t)
                RANGE BETWEEN {p.window_seconds} PRECEDING AND CURRENT ROW) AS n_win,
            CASE WHEN lower(coalesce(h.role, '')) IN {sql_list(FANOUT_ROLES)}
                     THEN {p.min_peers * p.role_factor}
                 WHEN coalesce(l.n_learn, 0) >= {p.min_peers}
                     THEN {p.min_peers * p.learnt_factor}
                 ELSE {p.min_peers} END AS threshold,
            CASE WHEN lower(coalesce(h.role, '')) IN {sql_list(FANOUT_ROLES)}
                   OR coalesce(l.n_learn, 0) >= {p.min_peers} THEN 1 ELSE 0 END AS baselined,
            h.zone AS src_zone, dh.zone AS dst_zone
        FROM fresh
        JOIN _rempart_hosts h ON h.ip = fresh.src_ip
        JOIN _rempart_hosts dh ON dh.ip = fresh.dst_ip
        LEFT JOIN learnt l ON l.src_ip = fresh.src_ip
    )"""
