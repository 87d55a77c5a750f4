"""Ingestion: sniff -> digest -> dedup -> recovery -> write, for one file or a collection.

Sources parse; this layer decides whether a file is new, runs its source inside one store
transaction, and records what was kept and rejected. The store only writes."""

from rempart.ingest.files import FileResult, FileStatus, IngestReport, expand, ingest, ingest_file
from rempart.ingest.windows import bulk_ingest, sync_authentication

__all__ = [
    "FileResult",
    "FileStatus",
    "IngestReport",
    "bulk_ingest",
    "expand",
    "ingest",
    "ingest_file",
    "sync_authentication",
]
