"""The indicator store: merge, allowlist, list and expire indicators in the `indicator` table.

Everything is set-based SQL on the store's connection: a million indicators merge in one
statement, never one Python object each. Values come in as Arrow tables (registered, never
pasted into SQL text).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa

from rempart.schema.intel import INDICATOR
from rempart.store.duck import Store

TABLE = "indicator"

_TLP_RANK = (
    "CASE {c} WHEN 'clear' THEN 0 WHEN 'green' THEN 1 WHEN 'amber' THEN 2 "
    "WHEN 'amber+strict' THEN 3 WHEN 'red' THEN 4 END"
)
_IPV4 = r"'^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$'"


def ip_number_sql(col: str) -> str:
    """An IPv4 address as a number (NULL for anything else), in portable SQL."""
    parts = " + ".join(
        f"CAST(split_part({col}, '.', {i + 1}) AS BIGINT) * {256 ** (3 - i)}" for i in range(4)
    )
    return f"CASE WHEN regexp_matches({col}, {_IPV4}) THEN {parts} END"


def _bounds_sql(value: str, kind: str) -> tuple[str, str]:
    """SQL for the first and last address number of an ip / IPv4 cidr indicator."""
    base = f"split_part({value}, '/', 1)"
    plen = f"CAST(split_part({value}, '/', 2) AS BIGINT)"
    lo = ip_number_sql(base)
    size = f"CAST(pow(2, 32 - {plen}) AS BIGINT)"
    hi = f"CASE WHEN {kind} = 'cidr' THEN {lo} + {size} - 1 ELSE {lo} END"
    return lo, hi


def _stored_bounds_sql(value: str, kind: str, alias: str = "") -> tuple[str, str]:
    """The bounds stored on import, computed only for rows stored before they were."""
    lo, hi = _bounds_sql(value, kind)
    a = f"{alias}." if alias else ""
    return (
        f"CASE WHEN {a}ip_lo IS NOT NULL THEN {a}ip_lo WHEN {kind} IN ('ip', 'cidr') THEN {lo} END",
        f"CASE WHEN {a}ip_hi IS NOT NULL THEN {a}ip_hi WHEN {kind} IN ('ip', 'cidr') THEN {hi} END",
    )


def _with_all_columns(rows: pa.Table) -> pa.Table:
    """`rows` with every INDICATOR column (those it lacks as NULL), in order."""
    for f in INDICATOR:
        if f.name not in rows.column_names:
            rows = rows.append_column(f, pa.nulls(rows.num_rows, f.type))
    return rows.select(INDICATOR.names).cast(INDICATOR)


def _host_sql(value: str, kind: str) -> str:
    """The domain an indicator names: itself, a URL's host, an address's domain."""
    return (
        f"CASE {kind} WHEN 'domain' THEN {value} "
        f"WHEN 'url' THEN regexp_extract({value}, '^[a-z0-9+.-]+://([^/:?#]+)', 1) "
        f"WHEN 'email' THEN split_part({value}, '@', 2) END"
    )


@dataclass(frozen=True)
class MergeResult:
    rows: int  # indicator rows given
    new: int  # distinct indicators not stored before
    merged: int  # distinct indicators already stored, now with one more source


def merge_indicators(store: Store, rows: pa.Table) -> MergeResult:
    """Add indicators (INDICATOR schema), merging duplicates with the stored ones."""
    if rows.num_rows == 0:
        return MergeResult(0, 0, 0)
    con = store.con
    rank = _TLP_RANK.format(c="tlp")
    with store.transaction():
        con.register("_ioc_arrow", _with_all_columns(rows))
        try:
            con.execute("CREATE OR REPLACE TEMP TABLE _ioc_in AS SELECT * FROM _ioc_arrow")
        finally:
            con.unregister("_ioc_arrow")
        fetched = con.execute(
            f"""SELECT count(DISTINCT indicator_uid),
                       count(DISTINCT indicator_uid) FILTER (WHERE indicator_uid IN
                           (SELECT indicator_uid FROM {TABLE}))
                FROM _ioc_in"""
        ).fetchone()
        assert fetched is not None
        distinct, merged = int(fetched[0]), int(fetched[1])
        # the IPv4 bounds, once per indicator: the number of the address computed once
        number = ip_number_sql("split_part(value, '/', 1)")
        size = "CAST(pow(2, 32 - CAST(split_part(value, '/', 2) AS BIGINT)) AS BIGINT)"
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _ioc_m AS
            WITH g AS (
            SELECT indicator_uid, any_value(value) AS value, any_value(type) AS type,
                   any_value(port) AS port,
                   list_sort(list_distinct(flatten(list(sources)))) AS sources,
                   arg_max(tlp, {rank}) AS tlp, max(confidence) AS confidence,
                   min(first_seen) AS first_seen, max(last_seen) AS last_seen,
                   CASE WHEN count(*) = count(expiry) THEN max(expiry) END AS expiry,
                   list_distinct(flatten(list(context)))[1:20] AS context,
                   max(imported_at) AS imported_at, NULL::VARCHAR AS allowlisted,
                   max(ip_lo) AS ip_lo, max(ip_hi) AS ip_hi
            FROM (SELECT * FROM {TABLE}
                  WHERE indicator_uid IN (SELECT indicator_uid FROM _ioc_in)
                  UNION ALL BY NAME SELECT * FROM _ioc_in)
            GROUP BY indicator_uid),
            b AS (SELECT *, CASE WHEN ip_lo IS NOT NULL THEN ip_lo
                                 WHEN type IN ('ip', 'cidr') THEN {number} END AS lo0 FROM g)
            SELECT * EXCLUDE (lo0, ip_lo, ip_hi), lo0 AS ip_lo,
                   CASE WHEN ip_hi IS NOT NULL THEN ip_hi
                        WHEN type = 'cidr' THEN lo0 + {size} - 1 ELSE lo0 END AS ip_hi
            FROM b"""
        )
        con.execute(
            f"DELETE FROM {TABLE} WHERE indicator_uid IN (SELECT indicator_uid FROM _ioc_m)"
        )
        con.execute(f"INSERT INTO {TABLE} BY NAME SELECT * FROM _ioc_m")
        con.execute("DROP TABLE _ioc_in")
        con.execute("DROP TABLE _ioc_m")
    return MergeResult(rows.num_rows, distinct - merged, merged)


ALLOW = pa.schema(
    [
        pa.field("kind", pa.string()),  # domain / cidr / value
        pa.field("value", pa.string()),
        pa.field("reason", pa.string()),
        pa.field("lo", pa.int64()),
        pa.field("hi", pa.int64()),
    ]
)


def apply_allowlist(store: Store, allow: pa.Table) -> int:
    """Mark the indicators that an allowlist entry covers (and clear the others' marks);
    returns how many are marked. A domain entry covers its subdomains, URLs on it and
    addresses at it; a CIDR entry the addresses and blocks that touch it."""
    con = store.con
    lo, hi = _stored_bounds_sql("i.value", "i.type", "i")
    host = _host_sql("i.value", "i.type")
    with store.transaction():
        con.execute(f"UPDATE {TABLE} SET allowlisted = NULL WHERE allowlisted IS NOT NULL")
        if allow.num_rows == 0:
            return 0
        con.register("_allow", allow.select(ALLOW.names).cast(ALLOW))
        try:
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE _conflicts AS
                WITH i AS (
                    SELECT indicator_uid, {host} AS host, {lo} AS lo, {hi} AS hi, value
                    FROM {TABLE} i)
                SELECT i.indicator_uid, min(a.reason) AS reason
                FROM i JOIN _allow a ON
                    (a.kind = 'domain' AND i.host IS NOT NULL AND i.host <> ''
                        AND (i.host = a.value OR ends_with(i.host, '.' || a.value)))
                    OR (a.kind = 'cidr' AND i.lo IS NOT NULL AND i.lo <= a.hi AND i.hi >= a.lo)
                    OR (a.kind = 'value' AND i.value = a.value)
                GROUP BY i.indicator_uid"""
            )
        finally:
            con.unregister("_allow")
        con.execute(
            f"""UPDATE {TABLE} SET allowlisted = c.reason FROM _conflicts c
                WHERE {TABLE}.indicator_uid = c.indicator_uid"""
        )
        marked = con.execute("SELECT count(*) FROM _conflicts").fetchone()
        con.execute("DROP TABLE _conflicts")
    return int(marked[0]) if marked else 0


def indicators(
    store: Store,
    *,
    now: datetime | None = None,
    types: tuple[str, ...] = (),
    limit: int | None = None,
) -> pa.Table:
    """Stored indicators (not expired at `now`, when given), by type and value."""
    where = ["($now IS NULL OR expiry IS NULL OR expiry > $now)"]
    if types:
        where.append("list_contains($types, type)")
    sql = (
        f"SELECT * EXCLUDE (ip_lo, ip_hi) FROM {TABLE} WHERE {' AND '.join(where)} "
        "ORDER BY type, value, port"
    )
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return store.sql(sql, {"now": now, "types": list(types)} if types else {"now": now})


def hunt_table(store: Store, now: datetime | None) -> pa.Table:
    """The indicators a hunt looks for, flat (for any engine): not expired, not allowlisted,
    with IPv4 bounds for addresses and blocks and the sources as one text."""
    lo, hi = _stored_bounds_sql("value", "type")
    return store.sql(
        f"""SELECT indicator_uid AS uid, value, type, CAST(port AS BIGINT) AS port,
                   {lo} AS lo, {hi} AS hi,
                   CAST(coalesce(confidence, 50) AS BIGINT) AS confidence,
                   coalesce(tlp, 'clear') AS tlp, array_to_string(sources, ' ; ') AS sources
            FROM {TABLE}
            WHERE allowlisted IS NULL AND ($now IS NULL OR expiry IS NULL OR expiry > $now)""",
        {"now": now},
    )


def expire(store: Store, now: datetime) -> int:
    """Delete the indicators whose expiry has passed; returns how many."""
    with store.transaction():
        rows = store.con.execute(
            f"DELETE FROM {TABLE} WHERE expiry IS NOT NULL AND expiry <= ?", [now]
        ).fetchall()
    return int(rows[0][0]) if rows else 0


def counts(store: Store) -> dict[str, int]:
    """Stored indicators per type."""
    return {
        str(t): int(n)
        for t, n in store.con.execute(
            f"SELECT type, count(*) FROM {TABLE} GROUP BY type ORDER BY type"
        ).fetchall()
    }


def conflicts(store: Store) -> pa.Table:
    """The indicators an allowlist stops, with the reason."""
    return store.sql(
        f"SELECT value, type, allowlisted, sources FROM {TABLE} WHERE allowlisted IS NOT NULL "
        "ORDER BY type, value"
    )


def add_findings(store: Store, findings: pa.Table, *, replace_detector: str | None = None) -> int:
    """Store findings: with `replace_detector`, that detector's earlier ones go first (a full
    hunt); otherwise findings with the same id are replaced (a hunt over new data)."""
    con = store.con
    with store.transaction():
        if replace_detector is not None:
            con.execute("DELETE FROM finding WHERE detector = ?", [replace_detector])
        if findings.num_rows == 0:
            return 0
        con.register("_new_findings", findings)
        try:
            con.execute(
                "DELETE FROM finding WHERE finding_uid IN (SELECT finding_uid FROM _new_findings)"
            )
            con.execute("INSERT INTO finding BY NAME SELECT * FROM _new_findings")
        finally:
            con.unregister("_new_findings")
    return int(findings.num_rows)


def table_exists_with_rows(store: Store, table: str) -> bool:
    return store.count(table) > 0


def ingested_paths(store: Store, digests: list[str]) -> list[str]:
    """The paths the ingest log gives for these file digests (for a hunt on new files)."""
    if not digests:
        return []
    return [
        str(r[0])
        for r in store.con.execute(
            "SELECT DISTINCT path FROM ingest_log WHERE list_contains(?, file_sha256)", [digests]
        ).fetchall()
    ]


__all__ = [
    "ALLOW",
    "TABLE",
    "MergeResult",
    "add_findings",
    "apply_allowlist",
    "conflicts",
    "counts",
    "expire",
    "hunt_table",
    "indicators",
    "ingested_paths",
    "ip_number_sql",
    "merge_indicators",
]
