"""What the console's pages read, kept per process until the workspace's data changes.

A page's reads (the dashboard, an incident, a page of alerts...) change only when an ingest,
a detection, an import or a decision writes something. So each result is kept under the
workspace's data version, and recomputed only when that version moves:

- the event store: size, modification time and inode of `rempart.duckdb` and its `.wal`
  (a writer in another process changes them when it commits and closes; three `stat` calls);
- the hospital model: `hospital.yaml`'s;
- the case store: the newest incident change and plan decision (`plan.confirm` in the
  audit trail), what the pages kept here show of it; one small query, which also works on
  PostgreSQL. A login, a download or a board move (audited too) keeps the pages.

`version(root)` gives the token; `memo(root, name, args, compute, depends=...)` returns the
kept result while the parts of the version it depends on have not moved. The web layer also
keys its rendered fragments on the token (so a page's HTML is rendered once per version and
language). The cache is bounded (least recently used entries go first).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

from rempart.store import Workspace

T = TypeVar("T")
Part = Literal["store", "model", "cases"]
ALL_PARTS: tuple[Part, ...] = ("store", "model", "cases")
DECISION = "plan.confirm"
"""The audit action of a plan decision (`rempart.app.decisions`)."""
MAX_ENTRIES = 256
"""Results kept per process (pages of alerts under several filters, incidents, plans...)."""


@dataclass(frozen=True)
class Version:
    """The workspace's data version, part by part."""

    store: tuple[int, ...]
    model: tuple[int, ...]
    cases: tuple[object, ...]

    def of(self, parts: tuple[Part, ...]) -> tuple[object, ...]:
        return tuple(getattr(self, p) for p in parts)

    @property
    def token(self) -> str:
        """A short text naming this version (for the web layer's fragment keys)."""
        return format(abs(hash((self.store, self.model, self.cases))), "x")


def _stat(path: Path) -> tuple[int, ...]:
    try:
        s = os.stat(path)
    except FileNotFoundError:
        return (0, 0, 0)
    return (s.st_mtime_ns, s.st_size, s.st_ino)


def store_version(root: Path) -> tuple[int, ...]:
    """The event store file and its write-ahead log, as the file system sees them."""
    db = Workspace.at(root, create=False).db_path
    return _stat(db) + _stat(db.with_name(db.name + ".wal"))


def model_version(root: Path) -> tuple[int, ...]:
    return _stat(Workspace.at(root, create=False).hospital_path)


def cases_version(root: Path) -> tuple[object, ...]:
    """The incidents' newest change and the plan decisions (what the kept pages show of the
    case store); a query, not a file stat, so it also holds on PostgreSQL. One statement on
    the connection (the ORM's own aggregates cost ten times more per request)."""
    from django.db import connection

    from rempart.cases import CaseStore, models

    CaseStore.open(root)  # Django pointed at this workspace's case store
    audit = models.AuditEntry._meta.db_table
    incident = models.Incident._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT count(*), max(id), (SELECT count(*) FROM {incident}), "
            f"(SELECT max(updated_at) FROM {incident}) FROM {audit} "
            "WHERE object_type = %s AND action = %s",
            ["plan", DECISION],
        )
        row = cur.fetchone()
    return tuple(str(x) for x in row) if row else ()


def version(workspace: Path | str, parts: tuple[Part, ...] = ALL_PARTS) -> Version:
    """The workspace's data version (the parts not asked for are left empty)."""
    root = Workspace.at(workspace, create=False).root
    return Version(
        store_version(root) if "store" in parts else (),
        model_version(root) if "model" in parts else (),
        cases_version(root) if "cases" in parts else (),
    )


_entries: OrderedDict[tuple[str, str, Hashable], tuple[tuple[object, ...], object]] = OrderedDict()
_lock = threading.Lock()
_computing: dict[tuple[str, str, Hashable], threading.Lock] = {}


def memo(
    workspace: Path | str,
    name: str,
    args: Hashable,
    compute: Callable[[], T],
    *,
    depends: tuple[Part, ...] = ALL_PARTS,
) -> T:
    """`compute()`'s result, kept while the parts of the workspace it `depends` on have not
    changed. Concurrent requests for the same missing entry compute it once."""
    root = Workspace.at(workspace, create=False).root
    key = (str(root), name, args)
    current = version(root, depends).of(depends)
    with _lock:
        hit = _entries.get(key)
        if hit is not None and hit[0] == current:
            _entries.move_to_end(key)
            return hit[1]  # type: ignore[return-value]
        gate = _computing.setdefault(key, threading.Lock())
    with gate:
        with _lock:  # another thread may have computed it while this one waited
            hit = _entries.get(key)
            if hit is not None and hit[0] == current:
                return hit[1]  # type: ignore[return-value]
        value = compute()
        with _lock:
            _entries[key] = (current, value)
            _entries.move_to_end(key)
            while len(_entries) > MAX_ENTRIES:
                _entries.popitem(last=False)
            _computing.pop(key, None)
    return value


def forget(workspace: Path | str | None = None) -> None:
    """Drop the kept results (of one workspace, or all): tests, and after a write made by
    this process that a file's time might not show yet."""
    with _lock:
        if workspace is None:
            _entries.clear()
            return
        root = str(Workspace.at(workspace, create=False).root)
        for key in [k for k in _entries if k[0] == root]:
            del _entries[key]


__all__ = [
    "ALL_PARTS",
    "DECISION",
    "MAX_ENTRIES",
    "Part",
    "Version",
    "cases_version",
    "forget",
    "memo",
    "model_version",
    "store_version",
    "version",
]
