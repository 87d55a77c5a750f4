"""Where detections run: the store's DuckDB (default) or Apache Spark, through Ibis.

Every detector (network, mail, host) reads the store through an `Engine`, never through the
raw connection: queries with parameters, Arrow batch readers, small registered tables.

Detections are written once, as SQL in DuckDB's dialect; Ibis (with sqlglot) carries that SQL
to the backend, so the same text runs embedded on one hospital's DuckDB file or on a Spark
cluster over a Parquet lake. Small lookup tables (zones, assets, partners) are registered
under `_rempart_*` names on whichever backend is used. Results come back as Arrow tables:
only the small ones (candidates, findings) ever reach Python.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from rempart.core.errors import StoreError
from rempart.schema.flowsql import pairs_sql

if TYPE_CHECKING:
    from rempart.store import Store

FLOWS = "network_flow"

Params = list[Any] | dict[str, Any] | None

_SPARK_TYPES = {
    pa.string(): "string",
    pa.int64(): "bigint",
    pa.int32(): "int",
    pa.float64(): "double",
    pa.bool_(): "boolean",
}


@dataclass
class Engine:
    """A backend (DuckDB connection or Ibis PySpark backend) and the flow table it reads."""

    backend: Any
    kind: str  # "duckdb" or "pyspark"
    flows: str = FLOWS
    hosts: pa.Table | None = None  # the host table `prepare` registered (a cache key)
    # SQL listing every address of the flows (column `ip`, given the FLOW_KINDS filter), when
    # the backend keeps such an inventory; else `prepare` reads them from the flows
    addresses: Callable[[str], str] | None = None
    # SQL giving the flows summed per (source, destination, port, protocol, day)
    # (`schema.flowsql.pairs_sql`) from what the store summed at ingest, or None: then
    # `{pairs}` aggregates the flow table itself (Spark, an older workspace)
    pairs: str | None = None
    _registered: set[str] = field(default_factory=set)

    @classmethod
    def for_store(cls, store: Store) -> Engine:
        """The store's own DuckDB connection (no copy, no second database).

        The SQL is already in DuckDB's dialect, so it runs on the connection as it is; Ibis
        is only needed to carry it to other backends (and Ibis 12's DuckDB wrapper does not
        follow DuckDB 2's Arrow API yet).
        """
        from rempart.store.flows import addresses_sql, has_inventory, has_pairs, pairs_source

        inventory = addresses_sql if has_inventory(store.con) else None
        pairs = pairs_source() if has_pairs(store.con) else None
        return cls(store.con, "duckdb", addresses=inventory, pairs=pairs)

    @classmethod
    def for_spark(cls, session: Any, flows: str = FLOWS) -> Engine:
        """A Spark session whose catalog has `flows` (a table or temp view over Parquet)."""
        import ibis

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            backend = ibis.pyspark.connect(session)
        return cls(backend, "pyspark", flows)

    def session(self) -> Engine:
        """The same backend with its own registered tables and host cache (one detector's)."""
        return Engine(
            self.backend, self.kind, self.flows, addresses=self.addresses, pairs=self.pairs
        )

    def _text(self, sql: str) -> str:
        """`sql` with `{pairs}` (the flows summed per pair and day, `pairs_sql`) and
        `{flows}` (the flow table) named."""
        if "{pairs}" in sql:
            summed = self.pairs if self.pairs is not None and self.flows == FLOWS else None
            sql = sql.replace("{pairs}", f"({summed or pairs_sql(self.flows)})")
        return sql.replace("{flows}", self.flows)

    def _params(self, params: Params) -> None:
        if params and self.kind != "duckdb":
            raise StoreError(f"query parameters need the DuckDB engine, not {self.kind}")

    def query(self, sql: str, params: Params = None) -> pa.Table:
        """Run DuckDB-dialect SQL (`{flows}` is replaced by the flow table) on the backend.

        `params` ($name or ? placeholders) keep input values out of the SQL text (DuckDB).
        """
        text = self._text(sql)
        self._params(params)
        if self.kind == "duckdb":
            return self.backend.sql(text, params=params).to_arrow_table()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pyspark's pandas-version notices
            expr = self.backend.sql(text, dialect="duckdb")
            return expr.to_pyarrow()

    def rows(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        """A (small) result as Python tuples, the values DuckDB itself gives."""
        if self.kind == "duckdb":
            self._params(params)
            text = self._text(sql)
            return list(self.backend.execute(text, params).fetchall())
        table = self.query(sql, params)
        return list(zip(*(c.to_pylist() for c in table.columns), strict=True))

    def reader(
        self, sql: str, params: Params = None, batch_size: int = 1024
    ) -> pa.RecordBatchReader:
        """The rows of a query as Arrow batches, for results too big to hold at once."""
        text = self._text(sql)
        self._params(params)
        if self.kind == "duckdb":
            return self.backend.sql(text, params=params).to_arrow_reader(batch_size=batch_size)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expr = self.backend.sql(text, dialect="duckdb")
            return expr.to_pyarrow_batches(chunk_size=batch_size)

    def execute(self, sql: str, params: Params = None) -> None:
        """Run a statement (a temporary table, say) whose result is not needed."""
        self._params(params)
        if self.kind == "duckdb":
            self.backend.execute(self._text(sql), params)
            return
        self.backend._session.sql(self._text(sql))

    def unregister(self, name: str) -> None:
        """Drop a table `register` made visible."""
        if name not in self._registered:
            return
        self._registered.discard(name)
        if self.kind == "duckdb":
            self.backend.unregister(name)
        else:
            self.backend._session.catalog.dropTempView(name)

    def count_flows(self) -> int:
        """Rows of the flow table; on a store's view, from its tables' kept counts."""
        if self.kind == "duckdb" and self.flows == FLOWS:
            from rempart.store.flows import row_count

            fast = row_count(self.backend)
            if fast is not None:
                return fast
        return int(self.query("SELECT count(*) AS n FROM {flows}").column("n")[0].as_py())

    def materialize(self, name: str, sql: str) -> pa.Table | None:
        """Compute an intermediate result once so that several queries can read it as `name`.

        On DuckDB the (small) result is fetched as Arrow and registered, so the queries
        after it scan it instead of recomputing it from the flows; the table is returned
        for reuse. On Spark it becomes a temporary view (Spark plans and caches it itself)
        and None is returned.
        """
        if self.kind == "duckdb":
            table = self.query(sql)
            self.register(name, table)
            return table
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expr = self.backend.sql(self._text(sql), dialect="duckdb")
            self.backend.create_view(name, expr, overwrite=True)
        return None

    def register(self, name: str, table: pa.Table) -> None:
        """Make a small Arrow table visible to SQL as `name` (replacing an earlier one)."""
        if self.kind == "duckdb":
            con = self.backend
            if name in self._registered:
                con.unregister(name)
            con.register(name, table)
        else:
            session = self.backend._session
            ddl = ", ".join(f"`{f.name}` {_SPARK_TYPES[f.type]}" for f in table.schema)
            df = session.createDataFrame([tuple(r.values()) for r in table.to_pylist()], schema=ddl)
            df.createOrReplaceTempView(name)
        self._registered.add(name)

    def close(self) -> None:
        if self.kind == "duckdb":
            for name in self._registered:
                self.backend.unregister(name)
        self._registered.clear()
