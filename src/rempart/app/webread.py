"""Short, read-only looks at the event store, for the web console.

DuckDB lets one process write a file, or several read it, never both at once. While
`rempart ingest` or `rempart detect` runs from the command line, the console must neither fail
nor hold the file for long: each request opens the store read-only, briefly (`reading`), and
closes it. When the store stays locked past a short wait, `StoreBusy` says so; the web layer
shows "mise à jour en cours" and polls again.

Opening a DuckDB file costs about 0.1 s; a second connection to a file the process already
has open costs a millisecond. So while requests come, one "keeper" connection stays open and
each request takes its own cheap connection beside it; the keeper closes `LINGER` seconds after
the last request, which lets a waiting `rempart ingest` in (it waits, bounded, for the lock).

The hospital model is parsed once per process and file version (its modification time): a
6,000-machine hospital.yaml is too slow to read on every request.
"""

from __future__ import annotations

import atexit
import inspect
import os
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
ENV_LINGER = "REMPART_WEB_LINGER"
LINGER = float(os.environ.get(ENV_LINGER, "1.0"))
"""Seconds the keeper connection stays open after the last request."""

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


class _Keeper:
    """One long-lived read-only connection per store file while requests use it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)  # a user left, a writer finished
        self.stores: dict[Path, Store] = {}
        self.users: dict[Path, int] = {}
        self.timers: dict[Path, threading.Timer] = {}
        self.writing: set[Path] = set()

    def acquire(self, path: Path, wait: float) -> Store:
        with self.lock:
            deadline = time.monotonic() + wait
            while path in self.writing:  # this process writes the store: wait for it
                left = deadline - time.monotonic()
                if left <= 0:
                    raise StoreBusy(f"store {path} is being written by this console")
                self.changed.wait(left)
            timer = self.timers.pop(path, None)
            if timer is not None:
                timer.cancel()
            if path not in self.stores:
                self.stores[path] = open_store(path, wait)
            self.users[path] = self.users.get(path, 0) + 1
        try:
            return open_store(path, wait)  # cheap: the keeper holds the database open
        except BaseException:
            self.release(path)
            raise

    def release(self, path: Path) -> None:
        with self.lock:
            self.users[path] = self.users.get(path, 1) - 1
            self.changed.notify_all()
            if self.users[path] > 0:
                return
            if LINGER <= 0:
                self._close(path)
                return
            timer = threading.Timer(LINGER, self._expire, args=(path,))
            timer.daemon = True
            self.timers[path] = timer
            timer.start()

    def _expire(self, path: Path) -> None:
        with self.lock:
            if self.users.get(path, 0) == 0:
                self.timers.pop(path, None)
                self._close(path)

    def _close(self, path: Path) -> None:
        store = self.stores.pop(path, None)
        if store is not None:
            store.close()

    def begin_write(self, path: Path, wait: float) -> None:
        """Hold new readers back, wait for the current ones, close the keeper: this process
        may then open the store as a writer (DuckDB refuses a writer beside a reader of the
        same file in one process)."""
        with self.lock:
            deadline = time.monotonic() + wait
            while path in self.writing or self.users.get(path, 0) > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise StoreBusy(f"store {path} is being read: try again shortly")
                self.changed.wait(left)
            self.writing.add(path)
            timer = self.timers.pop(path, None)
            if timer is not None:
                timer.cancel()
            self._close(path)

    def end_write(self, path: Path) -> None:
        with self.lock:
            self.writing.discard(path)
            self.changed.notify_all()

    def close_all(self) -> None:
        """Close every keeper now (tests; before this process writes the store itself)."""
        with self.lock:
            for timer in self.timers.values():
                timer.cancel()
            self.timers.clear()
            for path in list(self.stores):
                if self.users.get(path, 0) == 0:
                    self._close(path)


_keeper = _Keeper()
# before the interpreter finalises: a lingering timer closing a DuckDB connection while the
# runtime shuts down aborts the process (seen once at the end of a test run, exit 134)
atexit.register(_keeper.close_all)


def release_stores() -> None:
    """Close the idle keeper connections at once."""
    _keeper.close_all()


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
def writing(workspace: Path | str, *, wait: float = 30.0) -> Iterator[Path]:
    """This process (the console) writes the event store inside the block: the requests'
    read-only connections are closed first and new ones wait until the block ends. Another
    process holding the store is waited for by the writer's own open (`Store`)."""
    ws = Workspace.at(workspace, create=False)
    path = ws.db_path.resolve()
    _keeper.begin_write(path, wait)
    try:
        yield ws.root
    finally:
        _keeper.end_write(path)


@contextmanager
def reading(workspace: Path | str, *, wait: float = DEFAULT_WAIT) -> Iterator[Reading]:
    """The workspace opened read-only for one request (the store closed at the end)."""
    ws = Workspace.at(workspace, create=False)
    path = ws.db_path.resolve()
    store = _keeper.acquire(path, wait) if path.exists() else None
    try:
        yield Reading(ws.root, store, hospital_of(ws.root))
    finally:
        if store is not None:
            store.close()
            _keeper.release(path)


__all__ = [
    "DEFAULT_WAIT",
    "LINGER",
    "Reading",
    "StoreBusy",
    "hospital_of",
    "open_store",
    "reading",
    "release_stores",
    "writing",
]
