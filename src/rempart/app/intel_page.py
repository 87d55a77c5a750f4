"""The console's "Renseignement" page: stored indicators (filtered, paginated in the store),
the allowlist conflicts, the sightings of the retro-hunt with the alert and incident behind
each, file imports and the exports (nftables set, ipset, Zeek Intel, STIX bundle).

Reading goes through `rempart.app.webread` (a short read-only look, bounded queries) and is
kept until the store changes (`rempart.app.webcache`). Importing and exporting reuse
`rempart.app.intel`; the console's own read-only connections are closed around them
(`webread.writing`), and each is written to the audit trail.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rempart.app import intel
from rempart.app.incidents_store import list_incidents, load_incident
from rempart.app.users import record
from rempart.app.webcache import forget, memo
from rempart.app.webread import reading, writing
from rempart.detect.intel import NAME as HUNT_DETECTOR
from rempart.store import Workspace

PAGE_SIZE = 50
SHOWN = 200
"""Conflicts, sightings and sources listed at most (the page says how many there are)."""
UPLOAD_FOLDER = "intel-imports"
MAX_UPLOAD = 50 * 1024 * 1024
"""Bytes per uploaded file (an alert email, a STIX bundle, a MISP event, a Maltrail list)."""
TLP_LEVELS = ("clear", "green", "amber", "amber+strict")
"""What a STIX bundle of sightings may be shared up to (never red)."""
EXPORTS: dict[str, tuple[str, str]] = {
    "nftables": ("nft", "text/plain"),
    "ipset": ("ipset", "text/plain"),
    "zeek": ("intel", "text/plain"),
    "stix": ("json", "application/json"),
}
_HUNTED = "detector = $det"
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class IndicatorFilter:
    type: str = ""
    source: str = ""


@dataclass(frozen=True)
class IndicatorRow:
    value: str
    type: str
    port: int | None
    sources: tuple[str, ...]
    tlp: str
    confidence: int | None
    first_seen: datetime | None
    last_seen: datetime | None
    expiry: datetime | None
    allowlisted: str


@dataclass(frozen=True)
class Conflict:
    """An indicator the allowlist stops (it would block what must keep working)."""

    value: str
    type: str
    why: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Sighting:
    """One retro-hunt finding: the indicator seen, where, and the incidents it belongs to."""

    finding_uid: str
    indicator: str
    severity: str
    entity: str
    evidence_class: str
    count: int
    first_seen: datetime | None
    last_seen: datetime | None
    incidents: tuple[str, ...]


@dataclass(frozen=True)
class IntelPage:
    rows: tuple[IndicatorRow, ...]
    total: int  # indicators matching the filter
    page: int
    pages: int
    stored: int  # indicators stored (not expired)
    types: tuple[tuple[str, int], ...]  # (type, count) of every stored indicator
    sources: tuple[str, ...]  # the first SHOWN sources, for the filter
    conflicts: tuple[Conflict, ...]
    conflicts_total: int
    sightings: tuple[Sighting, ...]
    sightings_total: int


@dataclass(frozen=True)
class Download:
    filename: str
    content_type: str
    text: str
    written: int
    withheld: int  # sightings left out of a STIX bundle for their TLP


def _one(store: Any, sql: str, params: dict[str, Any]) -> int:
    return int(store.sql(sql, params).to_pylist()[0]["n"])


def intel_page(
    workspace: Path | str, flt: IndicatorFilter = IndicatorFilter(), page: int = 1
) -> IntelPage:
    """One page of indicators (by type and value), the conflicts and the sightings; kept per
    filter and page until the workspace's data changes, or the minute does (indicators
    expire)."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    return memo(
        workspace, "intel_page", (flt, page, now), lambda: _intel_page(workspace, flt, page, now)
    )


def _intel_page(workspace: Path | str, flt: IndicatorFilter, page: int, now: datetime) -> IntelPage:
    live = "(expiry IS NULL OR expiry > $now)"
    where = [live]
    params: dict[str, Any] = {"now": now}
    if flt.type:
        where.append("type = $type")
        params["type"] = flt.type
    if flt.source:
        where.append("list_contains(sources, $source)")
        params["source"] = flt.source
    cond = " AND ".join(where)
    with reading(workspace) as r:
        if r.store is None or (not r.store.count("indicator") and not _hunted(r.store)):
            return IntelPage((), 0, 1, 1, 0, (), (), (), 0, (), 0)
        store = r.store
        total = _one(store, f"SELECT count(*) AS n FROM indicator WHERE {cond}", params)
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(1, page), pages)
        rows = store.sql(
            f"""SELECT value, type, port, sources, tlp, confidence, first_seen, last_seen,
                       expiry, allowlisted FROM indicator WHERE {cond}
                ORDER BY type, value, port LIMIT {PAGE_SIZE} OFFSET {(page - 1) * PAGE_SIZE}""",
            params,
        ).to_pylist()
        types = store.sql(
            f"SELECT type, count(*) AS n FROM indicator WHERE {live} GROUP BY 1 ORDER BY 1",
            {"now": now},
        ).to_pylist()
        sources = store.sql(
            f"""SELECT DISTINCT unnest(sources) AS s FROM indicator WHERE {live}
                ORDER BY 1 LIMIT {SHOWN}""",
            {"now": now},
        ).to_pylist()
        conflicts_total = _one(
            store, "SELECT count(*) AS n FROM indicator WHERE allowlisted IS NOT NULL", {}
        )
        conflicts = store.sql(
            f"""SELECT value, type, allowlisted, sources FROM indicator
                WHERE allowlisted IS NOT NULL ORDER BY type, value LIMIT {SHOWN}"""
        ).to_pylist()
        det = {"det": HUNT_DETECTOR}
        sightings_total = _one(store, f"SELECT count(*) AS n FROM finding WHERE {_HUNTED}", det)
        found = store.sql(
            f"""SELECT finding_uid, related[1] AS indicator, severity, entity, evidence_class,
                       evidence_count, first_seen, last_seen FROM finding
                WHERE {_HUNTED} ORDER BY first_seen, entity, finding_uid LIMIT {SHOWN}""",
            det,
        ).to_pylist()
        root = r.root
    owners = _incidents_of(root, tuple(str(x["finding_uid"]) for x in found))
    return IntelPage(
        tuple(
            IndicatorRow(
                str(x["value"]),
                str(x["type"]),
                x["port"],
                tuple(str(s) for s in x["sources"] or ()),
                str(x["tlp"] or "clear"),
                x["confidence"],
                x["first_seen"],
                x["last_seen"],
                x["expiry"],
                str(x["allowlisted"] or ""),
            )
            for x in rows
        ),
        total,
        page,
        pages,
        sum(int(x["n"]) for x in types),
        tuple((str(x["type"]), int(x["n"])) for x in types),
        tuple(str(x["s"]) for x in sources),
        tuple(
            Conflict(
                str(x["value"]),
                str(x["type"]),
                str(x["allowlisted"]),
                tuple(str(s) for s in x["sources"] or ()),
            )
            for x in conflicts
        ),
        conflicts_total,
        tuple(
            Sighting(
                str(x["finding_uid"]),
                str(x["indicator"] or ""),
                str(x["severity"]),
                str(x["entity"]),
                str(x["evidence_class"] or ""),
                int(x["evidence_count"] or 0),
                x["first_seen"],
                x["last_seen"],
                owners.get(str(x["finding_uid"]), ()),
            )
            for x in found
        ),
        sightings_total,
    )


def _hunted(store: Any) -> bool:
    sql = f"SELECT count(*) AS n FROM finding WHERE {_HUNTED}"
    return _one(store, sql, {"det": HUNT_DETECTOR}) > 0


def _incidents_of(root: Path, uids: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """The case ids of the incidents whose timeline names each finding."""
    wanted = set(uids)
    out: dict[str, list[str]] = {}
    if not wanted:
        return {}
    for summary in list_incidents(root):
        inc = load_incident(root, summary.id)
        for uid in {e.finding_uid for e in inc.timeline if e.finding_uid in wanted}:
            out.setdefault(str(uid), []).append(summary.id)
    return {k: tuple(v) for k, v in out.items()}


def safe_name(name: str) -> str:
    """An uploaded file's name as the workspace keeps it: letters, digits, `._-` only, no
    leading dot, at most 100 characters (the name is chosen by whoever sent the file)."""
    base = _SAFE.sub("_", Path(name.replace("\\", "/")).name).lstrip("._")[:100]
    return base or "import.txt"


def import_uploads(
    workspace: Path | str,
    files: Sequence[tuple[str, bytes]],
    *,
    actor: str,
    origin: str,
) -> intel.ImportReport:
    """Keep the uploaded files in the workspace (`intel-imports/<time>/<name>`), import them
    (merge, allowlist, hunt over everything stored) and record the import in the audit
    trail. A file too large or an empty list is refused (ConfigError)."""
    from rempart.core.errors import ConfigError

    if not files:
        raise ConfigError("no file given")
    ws = Workspace.at(workspace, create=False)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    folder = ws.folder(UPLOAD_FOLDER) / stamp
    folder.mkdir(parents=True, exist_ok=False)
    paths = []
    for i, (name, data) in enumerate(files):
        if len(data) > MAX_UPLOAD:
            raise ConfigError(f"{safe_name(name)}: larger than {MAX_UPLOAD} bytes")
        path = folder / safe_name(name)
        if path.exists():
            path = folder / f"{i}-{path.name}"
        path.write_bytes(data)
        paths.append(path)
    with writing(ws.root):
        report = intel.import_intel(ws, paths)
    forget(ws.root)
    record(
        ws.root,
        actor,
        "intel.import",
        "intel",
        stamp,
        {
            "files": [p.name for p in paths],
            "new": report.new,
            "merged": report.merged,
            "conflicts": len(report.conflicts),
            "sightings": report.hunt.findings if report.hunt is not None else 0,
        },
        origin=origin,
    )
    return report


def export_download(
    workspace: Path | str,
    fmt: str,
    *,
    actor: str,
    origin: str,
    tlp_max: str = "amber",
) -> Download:
    """One export as a file to download (addresses to block, the sensors' Intel file, the
    sightings as STIX up to `tlp_max`); recorded in the audit trail."""
    from rempart.core.errors import ConfigError

    if fmt not in EXPORTS:
        raise ConfigError(f"unknown export format {fmt!r}")
    if tlp_max not in TLP_LEVELS:
        raise ConfigError(f"unknown TLP {tlp_max!r}")
    ws = Workspace.at(workspace, create=False)
    ext, ctype = EXPORTS[fmt]
    with tempfile.TemporaryDirectory(prefix="rempart-intel-") as tmp:
        out = Path(tmp) / f"export.{ext}"
        with writing(ws.root):
            report = intel.export_intel(ws, fmt, out, tlp_max=tlp_max)
        text = out.read_text(encoding="utf-8")
    record(
        ws.root,
        actor,
        "intel.export",
        "intel",
        fmt,
        {"format": fmt, "written": report.written, "withheld": report.withheld, "tlp_max": tlp_max},
        origin=origin,
    )
    day = datetime.now(UTC).strftime("%Y%m%d")
    return Download(f"rempart-intel-{day}.{ext}", ctype, text, report.written, report.withheld)


__all__ = [
    "EXPORTS",
    "MAX_UPLOAD",
    "PAGE_SIZE",
    "SHOWN",
    "TLP_LEVELS",
    "UPLOAD_FOLDER",
    "Conflict",
    "Download",
    "IndicatorFilter",
    "IndicatorRow",
    "IntelPage",
    "Sighting",
    "export_download",
    "import_uploads",
    "intel_page",
    "safe_name",
]
