"""What the workspace has read: files ingested, their records, and the rejects with reasons."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rempart.app.dashboard import IngestedFile, ingested_files
from rempart.app.webcache import memo
from rempart.app.webread import reading

REJECTS_SHOWN = 200


@dataclass(frozen=True)
class RejectReason:
    path: str
    reason: str
    count: int
    first_line: int | None


@dataclass(frozen=True)
class Sources:
    files: tuple[IngestedFile, ...]
    rejects: tuple[RejectReason, ...]
    total_rejects: int


def sources(workspace: Path | str) -> Sources:
    """Every file ingested (newest first) and the reject reasons per file (kept until the
    store changes)."""
    return memo(workspace, "sources", None, lambda: _sources(workspace), depends=("store",))


def _sources(workspace: Path | str) -> Sources:
    with reading(workspace) as r:
        if r.store is None:
            return Sources((), (), 0)
        files = ingested_files(r, limit=1000)
        rows = r.store.sql(
            """SELECT path, reason, count(*) AS n, min(line) AS first_line FROM rejects
               GROUP BY 1, 2 ORDER BY n DESC, path, reason LIMIT $k""",
            {"k": REJECTS_SHOWN},
        ).to_pylist()
        total = r.store.count("rejects")
    return Sources(
        files,
        tuple(
            RejectReason(str(x["path"]), str(x["reason"]), int(x["n"]), x["first_line"])
            for x in rows
        ),
        total,
    )


__all__ = ["RejectReason", "Sources", "sources"]
