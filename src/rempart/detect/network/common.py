"""Small pieces every network detector shares: running on an engine, times, evidence."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pyarrow as pa

from rempart.detect.network.nets import NetParams, prepare
from rempart.model import Hospital
from rempart.store.engine import Engine

if TYPE_CHECKING:
    from rempart.detect.base import DetectContext

MAX_EVIDENCE = 50


def engine_for(ctx: DetectContext, params: NetParams) -> Engine:
    """The store's DuckDB, with lookups and the host table registered (the context's extra
    internal ranges added to the params')."""
    engine = ctx.engine.session()
    prepare(engine, ctx.hospital, with_internal(params, ctx.internal))
    return engine


def with_internal(params: NetParams, extra: tuple[str, ...]) -> NetParams:
    """`params` with more internal ranges (kept in order, without repeats)."""
    if not extra:
        return params
    merged = tuple(dict.fromkeys((*params.extra_internal, *extra)))
    return replace(params, extra_internal=merged)


def prepared(engine: Engine, hospital: Hospital | None, params: NetParams) -> Engine:
    prepare(engine, hospital, params)
    return engine


def utc(value: datetime) -> datetime:
    """Backends differ on time zones in Arrow results; findings are always aware UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def evidence_by(table: pa.Table, key: str = "entity") -> dict[str, tuple[str, ...]]:
    """entity -> event uids, ordered by (time, uid) so both backends agree."""
    rows = sorted(table.to_pylist(), key=lambda r: (r[key], utc(r["time"]), r["uid"]))
    out: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        if len(out[r[key]]) < MAX_EVIDENCE:
            out[r[key]].append(r["uid"])
    return {k: tuple(v) for k, v in out.items()}


def evidence_sql(inner: str, key: str = "entity") -> str:
    """Keep the first MAX_EVIDENCE rows (time, uid) per key of a (key, time, uid) query."""
    return f"""SELECT {key}, time, uid FROM (
        SELECT {key}, time, uid,
               row_number() OVER (PARTITION BY {key} ORDER BY time, uid) AS rn
        FROM ({inner}) ev) ranked
        WHERE rn <= {MAX_EVIDENCE}"""


def lookup_sql(
    ctes: str, keys: str, *, port: bool = False, where: str = "", limit: bool = True
) -> str:
    """The uid of the flow each key row names, for evidence.

    Aggregates over the flows keep no uid: carrying `min(uid)` through millions of groups
    cost as much as the aggregate itself, for the few rows a finding cites. The keys
    (`entity, src_ip, dst_ip[, dst_port], time`: a first contact, say) are looked up
    afterwards, and the uid found is that of the very flow whose time the evidence shows.
    `ctes` is a WITH clause the keys query reads (or ""); `where` restricts the flows
    (admin ports, say); with `limit`, only the first MAX_EVIDENCE keys per entity are
    looked up. Returns (entity, src_ip, dst_ip, time, uid) rows.

    The flows are first narrowed to the keys' times (a semi-join on one column): joined
    on every key column at once, DuckDB 2.0 chose to group all the flows first.
    """
    cols = "entity, src_ip, dst_ip" + (", dst_port" if port else "") + ", time"
    ranked = (
        f"""SELECT {cols} FROM (
            SELECT {cols}, row_number() OVER (
                PARTITION BY entity ORDER BY time, src_ip, dst_ip) AS rn
            FROM ({keys}) kk) ranked WHERE rn <= {MAX_EVIDENCE}"""
        if limit
        else f"SELECT {cols} FROM ({keys}) kk"
    )
    on = "f.src_ip = k.src_ip AND f.dst_ip = k.dst_ip AND f.time = k.time"
    if port:
        on += " AND coalesce(f.dst_port, -1) = coalesce(k.dst_port, -1)"  # (ICMP: none)
    head = f"{ctes}," if ctes.strip() else "WITH"
    return f"""{head} ev_keys AS ({ranked}), ev_flows AS (
        SELECT src_ip, dst_ip, dst_port, time, event_uid FROM {{flows}}
        WHERE time IN (SELECT time FROM ev_keys) {f"AND ({where})" if where else ""}
    )
    SELECT k.entity, k.src_ip, k.dst_ip, k.time, min(f.event_uid) AS uid
    FROM ev_flows f JOIN ev_keys k ON {on}
    GROUP BY k.entity, k.src_ip, k.dst_ip{", k.dst_port" if port else ""}, k.time"""
