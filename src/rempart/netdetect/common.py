"""Small pieces every network detector shares: running on an engine, times, evidence."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pyarrow as pa

from rempart.model import Hospital
from rempart.netdetect.engine import Engine
from rempart.netdetect.nets import NetParams, prepare

if TYPE_CHECKING:
    from rempart.detect.base import DetectContext

MAX_EVIDENCE = 50


def engine_for(ctx: DetectContext, params: NetParams) -> Engine:
    """The store's DuckDB, with lookups and the host table registered (the context's extra
    internal ranges added to the params')."""
    engine = Engine.for_store(ctx.store)
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
