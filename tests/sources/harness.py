"""The shared source test harness: ingest one sample into a fresh store, then read back
counts, rejects (line and reason) and exact records, so a source test is a few lines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from rempart.ingest.files import FileResult, FileStatus, ingest_file
from rempart.sources import Source
from rempart.store import Store


@dataclass(frozen=True)
class Ingested:
    """One sample ingested into its own store."""

    store: Store
    result: FileResult
    path: Path

    @property
    def ok(self) -> bool:
        return self.result.status is FileStatus.INGESTED

    @property
    def counts(self) -> tuple[int, int]:
        """(records kept, lines rejected)."""
        return self.result.records, self.result.rejected

    @property
    def reasons(self) -> dict[str, int]:
        """How many lines were rejected for each reason."""
        return dict(self.result.reasons)

    @property
    def rejects(self) -> list[tuple[int | None, str]]:
        """(line, reason) of every kept reject, in file order."""
        rows = self.store.sql("SELECT line, reason FROM rejects ORDER BY line").to_pylist()
        return [(r["line"], r["reason"]) for r in rows]

    @property
    def reject_lines(self) -> list[int | None]:
        return [line for line, _ in self.rejects]

    def rows(self, table: str, order: str = "source_line") -> list[dict[str, Any]]:
        """Every row of `table` (a test's own constant names), in `order`."""
        return self.store.sql(f"SELECT * FROM {table} ORDER BY {order}").to_pylist()

    def record(self, table: str, **key: object) -> dict[str, Any]:
        """The one row of `table` whose columns equal `key` (an error if none or several)."""
        found = [r for r in self.rows(table) if all(r[k] == v for k, v in key.items())]
        assert len(found) == 1, f"{len(found)} rows of {table} match {key}"
        return found[0]


def ingest_sample(
    tmp_path: Path,
    name: str,
    content: str | bytes,
    *,
    reference: datetime | None = None,
    source: Source | None = None,
    store: Store | None = None,
) -> Ingested:
    """Write `content` as `tmp_path/name` and ingest it into `store` (a fresh one by default)."""
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    store = store if store is not None else Store.memory()
    result = ingest_file(store, path, source=source, reference=reference)
    return Ingested(store, result, path)
