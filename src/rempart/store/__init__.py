"""Workspace and store: where normalised events, findings and the ingest log live."""

from rempart.store.duck import Store
from rempart.store.workspace import Workspace, resolve_workspace

__all__ = ["Store", "Workspace", "resolve_workspace"]
