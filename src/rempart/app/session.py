"""A workspace session: the store and the hospital model, opened once per use case.

Every command used to resolve the workspace, open the DuckDB store and load hospital.yaml on
its own; the session does it in one place. A reader session never creates anything: on a
workspace folder that does not exist it raises `StoreError`. A writer session creates the
folder and the store.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from types import TracebackType

from rempart.core.errors import StoreError
from rempart.model import Hospital, load_hospital
from rempart.store import Store, Workspace


class NoWorkspace(StoreError):
    """The workspace folder does not exist (a typo in -w must not create a new one)."""


def require_workspace(workspace: Path | str | None) -> Path:
    """The workspace folder, which must exist (NoWorkspace else; nothing is created)."""
    root = Workspace.at(workspace, create=False).root
    if not root.is_dir():
        raise NoWorkspace(key="error.no_workspace", params={"root": str(root)})
    return root


def holds_data(workspace: Path | str | None) -> bool:
    """Whether the workspace's event store holds any ingested record (False when there is
    no workspace or no store): every command warns when it is about to work on nothing."""
    ws = Workspace.at(workspace, create=False)
    if not ws.db_path.is_file():
        return False
    try:
        with Store(ws.db_path, read_only=True) as store:
            rows = (
                store.sql(
                    """SELECT coalesce(sum(estimated_size), 0) AS n FROM duckdb_tables()
                       WHERE table_name NOT IN ('finding', 'ingest_log')"""
                )
                .column("n")
                .to_pylist()
            )
    except Exception:  # a store being written, or an older layout: do not warn wrongly
        return True
    return bool(rows and rows[0])


class Session:
    """The workspace, its store (reader or writer, opened on first use) and its hospital."""

    def __init__(
        self,
        workspace: Path | str | None = None,
        *,
        write: bool = False,
        create: bool | None = None,
        hospital_file: Path | None = None,
        must_exist: bool = False,
    ) -> None:
        self.write = write
        create = write if create is None else create
        if must_exist:
            require_workspace(workspace)
            create = False
        self.workspace = Workspace.at(workspace, create=create)
        if not create and not self.workspace.root.is_dir():
            raise StoreError(
                key="error.no_workspace_short", params={"root": str(self.workspace.root)}
            )
        self._hospital_file = hospital_file
        self._store: Store | None = None

    @classmethod
    def reader(
        cls,
        workspace: Path | str | None = None,
        *,
        create: bool = False,
        hospital_file: Path | None = None,
    ) -> Session:
        """A session that never writes the store (`create`: make the folder if missing)."""
        return cls(workspace, write=False, create=create, hospital_file=hospital_file)

    @classmethod
    def writer(
        cls,
        workspace: Path | str | None = None,
        *,
        hospital_file: Path | None = None,
        must_exist: bool = False,
    ) -> Session:
        """A session that creates the workspace and its store when missing (`must_exist`:
        refuse a workspace folder that does not exist, for commands that only add to one)."""
        return cls(workspace, write=True, hospital_file=hospital_file, must_exist=must_exist)

    @property
    def root(self) -> Path:
        return self.workspace.root

    @property
    def has_store(self) -> bool:
        return self._store is not None or self.workspace.db_path.exists()

    @property
    def store(self) -> Store:
        """The event store, opened once (a reader session on a workspace without one raises)."""
        if self._store is None:
            path = self.workspace.db_path
            if not self.write and not path.exists():
                raise StoreError(key="error.no_store", params={"root": str(self.root)})
            self._store = Store(path, read_only=not self.write)
        return self._store

    def store_or_none(self) -> Store | None:
        """The store when the workspace has one (never creates it)."""
        return self.store if self.has_store else None

    @cached_property
    def hospital(self) -> Hospital | None:
        """The hospital model (the --hospital file, else the workspace's hospital.yaml), or
        None when there is none: detectors then fall back to RFC 1918 and /24 zones."""
        if self._hospital_file is not None:
            return load_hospital(self._hospital_file)
        path = self.workspace.hospital_path
        return load_hospital(path) if path.is_file() else None

    def require_hospital(self, why: str = "a hospital.yaml is needed") -> Hospital:
        from rempart.core.errors import ConfigError

        hospital = self.hospital
        if hospital is None:
            raise ConfigError(f"{self.workspace.hospital_path}: {why}")
        return hospital

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def workspace_at(explicit: Path | str | None, *, create: bool = True) -> Workspace:
    """The workspace folder a command names (`--workspace`, $REMPART_WORKSPACE, default)."""
    return Workspace.at(explicit, create=create)


__all__ = ["NoWorkspace", "Session", "Workspace", "holds_data", "require_workspace", "workspace_at"]
