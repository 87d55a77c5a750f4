"""Short, read-only looks at the event store, for the web console.

DuckDB lets one process write a file, or several read it, never both at once. While
`rempart ingest` or `rempart detect` runs from the command line, the console must neither fail
nor hold the file for long: each request opens the store read-only, briefly (`reading`), and
closes it. When the store stays locked past a short wait, `StoreBusy` says so; the web layer
shows "mise à jour en cours" and polls again.

The hospital model is parsed once per process and file version (its modification time): a
6,000-machine hospital.yaml is too slow to read on every request.
"""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rempart.core.errors import StoreError
from rempart.model import Hospital, load_hospital
from rempart.store import Store, Workspace

DEFAULT_WAIT = 2.0
"""Seconds a page waits for a busy store before saying "mise à jour en cours"."""

_LOCK_HINTS = ("lock", "conflicting", "in use", "already open", "being used")
_STORE_WAITS = "wait" in inspect.signature(Store.__init__).parameters


class StoreBusy(StoreError):
    """Another process (an ingest, a detection) holds the event store: try again shortly."""


@dataclass
class Reading:
    """The workspace for one request: its store (None before the first ingest) and hospital."""

    root: Path
    store: Store | None
    hospital: Hospital | None


def _is_lock(exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(h in text for h in _LOCK_HINTS)


def open_store(path: Path, wait: float = DEFAULT_WAIT) -> Store:
    """The store read-only, waiting at most `wait` seconds for a writer to finish."""
    deadline = time.monotonic() + wait
    pause = 0.05
    kwargs: dict[str, Any] = {"wait": 0.0} if _STORE_WAITS else {}
    while True:
        try:
            return Store(path, read_only=True, **kwargs)
        except Exception as exc:  # DuckDB's lock error, or the store's wrapping of it
            if not _is_lock(exc):
                raise
            if time.monotonic() >= deadline:
                raise StoreBusy(f"store {path} is being written by another process") from exc
            time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
            pause = min(pause * 2, 0.5)


_hospitals: dict[Path, tuple[float, Hospital]] = {}
_hospitals_lock = threading.Lock()


def hospital_of(root: Path) -> Hospital | None:
    """The workspace's hospital.yaml, parsed once per version of the file."""
    path = Workspace.at(root, create=False).hospital_path
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return None
    with _hospitals_lock:
        cached = _hospitals.get(path)
        if cached is not None and cached[0] == mtime:
            return cached[1]
    hospital = load_hospital(path)
    with _hospitals_lock:
        _hospitals[path] = (mtime, hospital)
    return hospital


@contextmanager
def reading(workspace: Path | str, *, wait: float = DEFAULT_WAIT) -> Iterator[Reading]:
    """The workspace opened read-only for one request (the store closed at the end)."""
    ws = Workspace.at(workspace, create=False)
    store = open_store(ws.db_path, wait) if ws.db_path.exists() else None
    try:
        yield Reading(ws.root, store, hospital_of(ws.root))
    finally:
        if store is not None:
            store.close()


__all__ = ["DEFAULT_WAIT", "Reading", "StoreBusy", "hospital_of", "open_store", "reading"]
