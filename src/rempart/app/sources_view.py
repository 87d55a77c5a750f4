"""What the workspace has read: files ingested, their records, and the rejects with reasons."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rempart.app.dashboard import IngestedFile, ingested_files
from rempart.app.webcache import memo
from rempart.app.webread import reading
from rempart.core.i18n import Lang, render_reason
from rempart.sources.base import IMPLAUSIBLE_TIME

REJECTS_SHOWN = 200


@dataclass(frozen=True)
class RejectReason:
    """A reason as shown (`reason`, in the page's language) and as stored (`stored`: the
    reason's English wording, its stable identifier; see `rempart.core.i18n.render_reason`)."""

    path: str
    reason: str
    count: int
    first_line: int | None
    stored: str = ""


@dataclass(frozen=True)
class ImplausibleFile:
    """A file with records at an implausible time (rejected, each with its line); `whole`
    when nothing of it was kept (relative timestamps: said once, not line by line)."""

    path: str
    rejected: int
    first_line: int | None
    whole: bool


@dataclass(frozen=True)
class Sources:
    files: tuple[IngestedFile, ...]
    rejects: tuple[RejectReason, ...]
    total_rejects: int
    implausible: tuple[ImplausibleFile, ...] = ()


def sources(workspace: Path | str, lang: Lang = "fr") -> Sources:
    """Every file ingested (newest first) and the reject reasons per file, in `lang` (kept
    until the store changes)."""
    return memo(workspace, "sources", lang, lambda: _sources(workspace, lang), depends=("store",))


def _sources(workspace: Path | str, lang: Lang) -> Sources:
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
        odd = r.store.sql(
            """SELECT j.path, count(*) AS n, min(j.line) AS first_line,
                      bool_and(l.records = 0) AS whole
               FROM rejects j JOIN ingest_log l USING (file_sha256)
               WHERE j.reason = $reason GROUP BY 1 ORDER BY 1""",
            {"reason": IMPLAUSIBLE_TIME},
        ).to_pylist()
    return Sources(
        files,
        tuple(
            RejectReason(
                str(x["path"]),
                render_reason(str(x["reason"]), lang),
                int(x["n"]),
                x["first_line"],
                str(x["reason"]),
            )
            for x in rows
        ),
        total,
        tuple(
            ImplausibleFile(str(x["path"]), int(x["n"]), x["first_line"], bool(x["whole"]))
            for x in odd
        ),
    )


__all__ = ["ImplausibleFile", "RejectReason", "Sources", "sources"]
