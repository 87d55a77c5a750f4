"""The embedded store: one DuckDB file per workspace, tables made from the Arrow schemas.

Each file is ingested in a single transaction together with its `ingest_log` row, so a
crash mid-ingest leaves nothing half-written and the re-run picks the file up again; a file
whose content digest is already logged is skipped, so re-ingesting changes nothing.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from rempart.core.clock import SYSTEM_CLOCK, Clock
from rempart.core.errors import StoreError
from rempart.core.i18n import msg
from rempart.schema import ALL_TABLES
from rempart.schema.flowsql import ArrowFlows, used
from rempart.store import flows

if TYPE_CHECKING:
    from rempart.store.engine import Engine

# How long opening a store waits for another process's lock before failing (seconds);
# the environment variable overrides the default, a `wait` argument overrides both.
LOCK_WAIT_ENV = "REMPART_STORE_WAIT"
DEFAULT_LOCK_WAIT = 30.0
_LOCK_HINTS = ("lock", "conflicting", "already open", "being used")
_HOLDER = re.compile(r"held in (.+?) \(PID (\d+)\)")


def lock_wait() -> float:
    """Seconds to wait for a busy store: $REMPART_STORE_WAIT, else DEFAULT_LOCK_WAIT."""
    text = os.environ.get(LOCK_WAIT_ENV, "")
    try:
        return max(0.0, float(text)) if text else DEFAULT_LOCK_WAIT
    except ValueError:
        return DEFAULT_LOCK_WAIT


def _is_lock_error(exc: duckdb.Error) -> bool:
    text = str(exc).lower()
    return isinstance(exc, duckdb.IOException) and any(h in text for h in _LOCK_HINTS)


def _connect(path: Path, read_only: bool, wait: float) -> duckdb.DuckDBPyConnection:
    """Open the DuckDB file, waiting (bounded) while another process holds its lock.

    DuckDB lets one process write a file, or several read it, never both at once: a reader
    started during `rempart ingest` waits here until the ingest ends, and an ingest waits for
    the readers. Past `wait` seconds the error names the file and, when DuckDB says, the
    process that holds it.
    """
    deadline = time.monotonic() + wait
    pause = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as exc:
            if not _is_lock_error(exc):
                raise StoreError(
                    key="error.store_open", params={"path": str(path), "detail": str(exc)}
                ) from exc
            if time.monotonic() >= deadline:
                found = _HOLDER.search(str(exc))
                holder = (
                    msg("error.store_locked.process", pid=found.group(2), name=found.group(1))
                    if found
                    else msg("error.store_locked.another")
                )
                mode = "reading" if read_only else "writing"
                raise StoreError(
                    key="error.store_locked",
                    params={
                        "path": str(path),
                        "holder": holder,
                        "wait": f"{wait:g}",
                        "mode": msg(f"error.store_locked.{mode}"),
                        "env": LOCK_WAIT_ENV,
                        "detail": str(exc),
                    },
                ) from exc
            time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
            pause = min(pause * 2, 1.0)


_META_DDL = (
    """CREATE TABLE IF NOT EXISTS ingest_log (
        file_sha256 VARCHAR PRIMARY KEY,
        path VARCHAR NOT NULL,
        source VARCHAR NOT NULL,
        source_version VARCHAR NOT NULL,
        event_class VARCHAR NOT NULL,
        records BIGINT NOT NULL,
        rejected BIGINT NOT NULL,
        ingested_at TIMESTAMPTZ NOT NULL)""",
    # (size, head and tail) digest: lets a big new file be hashed while it is parsed
    "ALTER TABLE ingest_log ADD COLUMN IF NOT EXISTS quick VARCHAR",
    # bytes read: a file that grows (a log, a mailbox) is known by this prefix's digest
    "ALTER TABLE ingest_log ADD COLUMN IF NOT EXISTS size BIGINT",
    """CREATE TABLE IF NOT EXISTS rejects (
        file_sha256 VARCHAR NOT NULL,
        path VARCHAR NOT NULL,
        line BIGINT,
        reason VARCHAR NOT NULL)""",
)


class Store:
    """A DuckDB database in a workspace; tables are created from `rempart.schema`."""

    def __init__(
        self,
        path: Path | str,
        *,
        read_only: bool = False,
        wait: float | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        """Open (or create) the store; `wait`: seconds to wait for another process's lock
        (default `lock_wait()`); `clock` stamps ingest_log.ingested_at."""
        self.path = Path(path)
        self.clock = clock
        # where the conn.logs' Parquet parts go (`flows.insert_parquet`); none in memory
        self.parts: Path | None = None
        self._written: list[Path] = []  # parts written in the open transaction
        if str(path) == ":memory:":
            self.con = duckdb.connect(":memory:")
        else:
            self.con = _connect(self.path, read_only, lock_wait() if wait is None else wait)
            self.parts = flows.parts_directory(self.path.resolve())
            # the parts are named relative to the store's directory: a moved workspace
            # keeps them
            self.con.execute("SET file_search_path = ?", [str(self.parts.parent)])
            # each query over the view reads every part's footer: read once per connection
            self.con.execute("SET parquet_metadata_cache = true")
        self.con.execute("SET TimeZone = 'UTC'")
        if not read_only:
            self._create_tables()

    @classmethod
    def memory(cls, clock: Clock = SYSTEM_CLOCK) -> Store:
        return cls(":memory:", clock=clock)

    def _create_tables(self) -> None:
        for name, schema in ALL_TABLES.items():
            if name == flows.VIEW:
                flows.create(self.con)
                self._add_missing_columns(flows.ROWS, schema)
                if "outcome" in self._add_missing_columns(flows.COMPACT, flows.COMPACT_FLOW):
                    flows.backfill_outcome(self.con)
                flows.create_pairs(self.con)
                if self.parts is not None:
                    flows.drop_orphans(self.con, self.parts)
                flows.refresh_view(self.con)
                continue
            self.con.register("_empty", schema.empty_table())
            self.con.execute(f"CREATE TABLE IF NOT EXISTS {name} AS SELECT * FROM _empty LIMIT 0")
            self.con.unregister("_empty")
            self._add_missing_columns(name, schema)
        for ddl in _META_DDL:
            self.con.execute(ddl)

    def _add_missing_columns(self, table: str, schema: pa.Schema) -> list[str]:
        """Additive schema evolution: a workspace made by an older version gains new columns
        (their names are returned, for the caller to fill those it can)."""
        have = {r[0] for r in self.con.execute(f"DESCRIBE {table}").fetchall()}
        missing = [f for f in schema if f.name not in have]
        if not missing:
            return []
        self.con.register("_new", pa.schema(missing).empty_table())
        types = dict(
            self.con.execute("SELECT column_name, column_type FROM (DESCRIBE _new)").fetchall()
        )
        self.con.unregister("_new")
        for f in missing:
            self.con.execute(f'ALTER TABLE {table} ADD COLUMN "{f.name}" {types[f.name]}')
        return [f.name for f in missing]

    # --- plumbing -------------------------------------------------------------------------
    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction; on a rollback, the Parquet parts written inside it are removed
        too (no row names them any more)."""
        self._written = []
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            for part in self._written:
                part.unlink(missing_ok=True)
            self._written = []
            raise
        self.con.execute("COMMIT")
        self._written = []

    def query_progress(self) -> float:
        """Percent done of the query running on this store (DuckDB's estimate, -1 when none),
        polled from another thread. The first call, made before the query from the thread
        that runs it, turns DuckDB's progress tracking on (printing off)."""
        if not getattr(self, "_progress_on", False):
            self.con.execute("SET enable_progress_bar = true")
            self.con.execute("SET enable_progress_bar_print = false")
            self._progress_on = True
        try:
            return float(self.con.query_progress())
        except duckdb.Error:
            return -1.0

    def sql(self, query: str, params: list[Any] | dict[str, Any] | None = None) -> pa.Table:
        """Run a query and return its result as an Arrow table."""
        return self.con.sql(query, params=params).to_arrow_table()

    def engine(self) -> Engine:
        """The engine detectors run their queries through (this store's DuckDB)."""
        from rempart.store.engine import Engine

        return Engine.for_store(self)

    def execute(self, statement: str, params: list[Any] | dict[str, Any] | None = None) -> None:
        """Run a statement whose result is not needed (an INSERT ... SELECT, say)."""
        self.con.execute(statement, params)

    def flow_addresses(self, limit: int = 200_000) -> list[str]:
        """Distinct addresses of the stored flows and firewall records (at most `limit`)."""
        kinds = "coalesce(record_kind, 'flow') IN ('flow', 'firewall')"
        sql = (
            flows.addresses_sql(kinds)
            if flows.has_inventory(self.con)
            else "SELECT src_ip AS ip FROM network_flow UNION SELECT dst_ip FROM network_flow"
        )
        try:
            rows = self.con.execute(
                f"SELECT ip FROM ({sql}) WHERE ip IS NOT NULL LIMIT $limit", {"limit": limit}
            )
            return [str(r[0]) for r in rows.fetchall()]
        except duckdb.Error:  # no flow table in this workspace
            return []

    def count(self, table: str) -> int:
        if table == flows.VIEW:
            fast = flows.row_count(self.con)
            if fast is not None:
                return fast
        rows = self.con.execute(f"SELECT count(*) FROM {table}").fetchall()
        return int(rows[0][0])

    # --- writing --------------------------------------------------------------------------
    @staticmethod
    def _physical(table: str) -> str:
        """The table rows of an event class are written to (`network_flow` is a view)."""
        if table not in ALL_TABLES:
            raise StoreError(f"unknown table {table!r}")
        return flows.ROWS if table == flows.VIEW else table

    def append(self, table: str, data: pa.Table | pa.RecordBatchReader) -> int:
        """Append Arrow data (table or streaming reader) to `table`, matching columns by name."""
        target = self._physical(table)
        self.con.register("_arrow_data", data)
        try:
            rows = self.con.execute(
                f"INSERT INTO {target} BY NAME SELECT * FROM _arrow_data"
            ).fetchall()
        finally:
            self.con.unregister("_arrow_data")
        return int(rows[0][0]) if rows else 0

    def insert_flows(
        self,
        select: str,
        params: dict[str, Any],
        *,
        file_id: Callable[[], str],
        path: str,
        source_format: str,
        checks: list[tuple[str, str]],
        locate: str,
        setup: str = "",
        extra_rejects: str = "",
        keep: int = 10_000,
        arrow: ArrowFlows | None = None,
    ) -> tuple[int, dict[str, int], list[tuple[int | None, str]]]:
        """Write a connection log's rows (see `rempart.store.flows`): with Arrow to Parquet
        parts when the source offers `arrow` and the store is a file, else its compact
        SELECT into `flow_conn` (also when Arrow refuses the file).

        `checks` (condition on the stored columns, reason) reject stored rows; `locate`
        numbers the file's rows and gives (source_line, _reject) for the rejected ones, the
        same reasons; it only runs when some were rejected, to say on which lines.
        """
        if setup:
            self.con.execute(setup)
        done = None
        if arrow is not None and self.parts is not None:
            done = flows.insert_parquet(
                self.con,
                arrow,
                self.parts,
                checks=checks,
                file_id=file_id,
                path=path,
                source_format=source_format,
            )
            if done is not None:
                extra_rejects = ""  # (DuckDB's reader did not read the file)
                # (removed if the transaction is rolled back: see `transaction`)
                self._written = [
                    *getattr(self, "_written", []),
                    *flows.part_paths(self.con, self.parts),
                ]
        if done is None:
            done = flows.insert_compact(
                self.con,
                select,
                params,
                checks=checks,
                file_id=file_id,
                path=path,
                source_format=source_format,
            )
        records, counts = done
        kept: list[tuple[int | None, str]] = []
        if counts:
            kept = [
                (int(line), str(reason))
                for line, reason in self.con.execute(
                    f"SELECT source_line, _reject FROM ({locate}) _l "
                    f"WHERE list_contains($_reasons, _reject) ORDER BY source_line "
                    f"LIMIT {int(keep)}",
                    {**used(locate, params), "_reasons": list(counts)},
                ).fetchall()
            ]
        return records, *self._reader_rejects(counts, kept, extra_rejects, keep)

    def insert_query(
        self,
        table: str,
        select: str,
        params: dict[str, Any],
        setup: str = "",
        extra_rejects: str = "",
        keep: int = 10_000,
        stage: bool = False,
        teardown: str = "",
    ) -> tuple[int, dict[str, int], list[tuple[int | None, str]]]:
        """INSERT a source's SELECT (event columns + `_reject`) without leaving DuckDB.

        Good rows go to `table`; rejected ones are counted per reason and the first `keep`
        returned with their line. The SELECT reads files only (see ParseContext.emit_query).
        With `stage`, it is computed once into a temporary table (in memory, spilled by
        DuckDB past its limit) that both statements read: its regular expressions and
        windows would otherwise run twice, which cost a third to a half of a Postfix or
        firewall log's ingest. Without, it runs twice and holds nothing (big files). `setup`
        runs first (it may name the parameters), `teardown` last, whatever happens.
        """
        target = self._physical(table)
        try:
            if setup:
                self.con.execute(setup, used(setup, params))
            params = used(select, params)
            if stage:
                self.con.execute(f"CREATE OR REPLACE TEMP TABLE _staged AS {select}", params)
                select, params = "SELECT * FROM _staged", {}
            rows = self.con.execute(
                f"INSERT INTO {target} BY NAME SELECT * EXCLUDE (_reject) FROM ({select}) _q "
                "WHERE _reject IS NULL",
                params,
            ).fetchall()
            records = int(rows[0][0]) if rows else 0
            grouped = self.con.execute(
                f"SELECT _reject, count(*), list(source_line ORDER BY source_line)[1:{int(keep)}]"
                f" FROM ({select}) _q WHERE _reject IS NOT NULL GROUP BY _reject",
                params,
            ).fetchall()
        finally:
            # after a failure the transaction is aborted and these fail too: the rollback
            # drops the tables, and the first error is the one to report
            for cleanup in ("DROP TABLE IF EXISTS _staged" if stage else "", teardown):
                if cleanup:
                    with contextlib.suppress(duckdb.Error):
                        self.con.execute(cleanup)
        counts = {str(reason): int(n) for reason, n, _ in grouped}
        kept = [(line, str(reason)) for reason, _, lines in grouped for line in lines]
        return records, *self._reader_rejects(counts, kept, extra_rejects, keep)

    def _reader_rejects(
        self,
        counts: dict[str, int],
        kept: list[tuple[int | None, str]],
        extra_rejects: str,
        keep: int,
    ) -> tuple[dict[str, int], list[tuple[int | None, str]]]:
        """Add the lines the file reader itself refused (`extra_rejects`: line, reason) to
        the rejects; the first `keep`, by line, each listed once (a line the reader refused
        can also fail a later check)."""
        if extra_rejects:
            for line, reason in self.con.execute(extra_rejects).fetchall():
                counts[str(reason)] = counts.get(str(reason), 0) + 1
                kept.append((None if line is None else int(line), str(reason)))
        return counts, sorted(set(kept), key=lambda r: (r[0] is None, r[0] or 0, r[1]))[:keep]

    def already_ingested(self, digest: str) -> bool:
        rows = self.con.execute(
            "SELECT 1 FROM ingest_log WHERE file_sha256 = ?", [digest]
        ).fetchall()
        return bool(rows)

    def ingested_digests(self, digests: set[str]) -> set[str]:
        """Those of `digests` (file SHA-256) already in the ingest log."""
        if not digests:
            return set()
        rows = self.con.execute(
            "SELECT file_sha256 FROM ingest_log WHERE list_contains($d, file_sha256)",
            {"d": sorted(digests)},
        ).fetchall()
        return {str(r[0]) for r in rows}

    def append_log(self, log: pa.Table, rejects: pa.Table) -> None:
        """Many files' `ingest_log` rows and their `rejects` rows at once (columns by name)."""
        for table, rows in (("ingest_log", log), ("rejects", rejects)):
            if rows.num_rows:
                self.con.register("_log_rows", rows)
                try:
                    self.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _log_rows")
                finally:
                    self.con.unregister("_log_rows")

    def may_be_ingested(self, quick: str) -> bool:
        """Whether a logged file could have this content (same quick fingerprint, or a file
        logged before fingerprints were kept)."""
        rows = self.con.execute(
            "SELECT 1 FROM ingest_log WHERE quick = ? OR quick IS NULL LIMIT 1", [quick]
        ).fetchall()
        return bool(rows)

    def logged_prefixes(self, path: str, size: int) -> list[tuple[str, int, int]]:
        """(digest, size, records of that path so far) of the files logged under `path`
        that were smaller than `size`, largest first: what a grown file may begin with."""
        rows = self.con.execute(
            "SELECT file_sha256, size, (SELECT sum(records) FROM ingest_log l2 "
            "WHERE l2.path = l.path AND l2.size <= l.size) FROM ingest_log l "
            "WHERE path = ? AND size IS NOT NULL AND size > 0 AND size < ? "
            "ORDER BY size DESC LIMIT 8",
            [path, size],
        ).fetchall()
        return [(str(d), int(n), int(r or 0)) for d, n, r in rows]

    def record_sensor_local(self, digest: str, addresses: list[str]) -> None:
        """Keep the addresses a file's sensor marked local (see `flows.sensor_local_ranges`)."""
        flows.record_sensor_local(self.con, digest, addresses)

    def sensor_local_ranges(self, covered: tuple[str, ...] = ()) -> tuple[str, ...]:
        """The sensors' local addresses as CIDR blocks, less those inside `covered`."""
        return flows.sensor_local_ranges(self.con, covered)

    def log_ingest(
        self,
        *,
        digest: str,
        path: str,
        source: str,
        version: str,
        event_class: str,
        records: int,
        rejects: list[tuple[int | None, str]],
        quick: str | None = None,
        size: int | None = None,
        rejected: int | None = None,
    ) -> None:
        """Log one file: `rejects` are the kept ones (with lines), `rejected` all of them
        (more than those kept, for a file of many bad records; default: those kept)."""
        self.con.execute(
            "INSERT INTO ingest_log BY NAME SELECT ? AS file_sha256, ? AS path, ? AS source, "
            "? AS source_version, ? AS event_class, ? AS records, ? AS rejected, "
            "? AS ingested_at, ? AS quick, ? AS size",
            [
                digest,
                path,
                source,
                version,
                event_class,
                records,
                len(rejects) if rejected is None else rejected,
                self.clock.now(),
                quick,
                size,
            ],
        )
        if rejects:
            reject_rows = pa.table(
                {
                    "file_sha256": pa.array([digest] * len(rejects), pa.string()),
                    "path": pa.array([path] * len(rejects), pa.string()),
                    "line": pa.array([r[0] for r in rejects], pa.int64()),
                    "reason": pa.array([r[1] for r in rejects], pa.string()),
                }
            )
            self.con.register("_reject_rows", reject_rows)
            self.con.execute("INSERT INTO rejects SELECT * FROM _reject_rows")
            self.con.unregister("_reject_rows")

    def replace_findings(self, detector: str, findings: pa.Table) -> int:
        """Replace one detector's findings (re-running detection is idempotent)."""
        with self.transaction():
            self.con.execute("DELETE FROM finding WHERE detector = ?", [detector])
            if findings.num_rows:
                return self.append("finding", findings)
        return 0
