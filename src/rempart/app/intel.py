"""Threat intelligence use cases: import, list, hunt, expire, export.

`import_intel` reads files and folders (STIX, MISP, CSV, Maltrail, alert emails, free text),
merges their indicators into the store, marks those the allowlist stops (the hospital's and
its partners' domains and addresses from hospital.yaml, plus `intel-allowlist.txt` in the
workspace) and hunts them over everything stored. `hunt_new_files` is the same hunt over the
rows of newly ingested files only: the ingest use case calls it after each ingest.
Sightings become findings of the `intel_hunt` detector, grouped into the incident.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pyarrow as pa

from rempart.contain.export import intel as exports
from rempart.core.clock import SYSTEM_CLOCK, Clock
from rempart.core.errors import ConfigError
from rempart.detect import findings_table
from rempart.detect.intel import HUNTED_TABLES, NAME, hunt
from rempart.incidents import build_incident
from rempart.incidents.spread import spread_hint
from rempart.model import Hospital, load_hospital
from rempart.schema.intel import INDICATOR
from rempart.sources.intel import Indicator, IntelBatch, IntelReject, guess_type, read_intel
from rempart.store import Store, Workspace
from rempart.store import intel as ioc_store
from rempart.store.engine import Engine

ALLOWLIST_FILE = "intel-allowlist.txt"
LIST_FORMATS = ("table", "jsonl", "csv")


@dataclass(frozen=True)
class FileReport:
    path: str
    format: str
    source: str
    counts: dict[str, int]
    rejects: tuple[IntelReject, ...]

    @property
    def indicators(self) -> int:
        return sum(self.counts.values())

    def reject_counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.rejects:
            out[r.reason] = out.get(r.reason, 0) + 1
        return out


@dataclass(frozen=True)
class HuntReport:
    findings: int
    by_table: dict[str, int]
    entities: tuple[str, ...]
    incident_id: str | None = None
    incident_new: bool = False
    incident_path: str | None = None


@dataclass(frozen=True)
class ImportReport:
    files: tuple[FileReport, ...]
    new: int
    merged: int
    conflicts: tuple[tuple[str, str, str], ...]  # (value, type, why it is allowlisted)
    hunt: HuntReport | None = None
    counts: dict[str, int] = field(default_factory=dict)  # the store's, after the import


def _uid(ind: Indicator) -> str:
    key = f"{ind.type}|{ind.value}|{ind.port if ind.port is not None else ''}"
    return hashlib.sha256(key.encode()).hexdigest()[:20]


def indicator_rows(batches: Sequence[IntelBatch], now: datetime) -> pa.Table:
    """The batches' indicators as rows of the `indicator` table (one source each)."""
    rows = [
        {
            "indicator_uid": _uid(i),
            "value": i.value,
            "type": i.type,
            "port": i.port,
            "sources": [i.source],
            "tlp": i.tlp,
            "confidence": i.confidence,
            "first_seen": i.first_seen,
            "last_seen": i.last_seen,
            "expiry": i.expiry,
            "context": [i.context] if i.context else [],
            "imported_at": now,
            "allowlisted": None,
        }
        for b in batches
        for i in b.indicators
    ]
    return pa.Table.from_pylist(rows, schema=INDICATOR)


def hospital_of(ws: Workspace) -> Hospital | None:
    return load_hospital(ws.hospital_path) if ws.hospital_path.is_file() else None


def allowlist_rows(hospital: Hospital | None, ws: Workspace | None) -> pa.Table:
    """What must keep working: the hospital's domains, its partners' domains and addresses,
    the senders it trusts, and the workspace's `intel-allowlist.txt` (one value a line)."""
    rows: list[dict[str, object]] = []

    def add(value: str, reason: str) -> None:
        value = value.strip().lower()
        if not value:
            return
        try:
            net = ipaddress.ip_network(value, strict=False)
        except ValueError:
            kind = "domain" if guess_type(value) == "domain" else "value"
            rows.append({"kind": kind, "value": value.lstrip("*."), "reason": reason})
            return
        lo = hi = None
        if net.version == 4:
            lo, hi = int(net.network_address), int(net.broadcast_address)
        rows.append({"kind": "cidr", "value": str(net), "reason": reason, "lo": lo, "hi": hi})

    if hospital is not None:
        for d in hospital.hospital.domains:
            add(d, f"hospital.yaml: {hospital.hospital.name}")
        for d in hospital.hospital.trusted_senders:
            add(str(d), "hospital.yaml: trusted_senders")
        for p in hospital.partners:
            for d in p.domains:
                add(d, f"hospital.yaml: partenaire {p.id}")
            for a in p.addresses:
                add(a, f"hospital.yaml: partenaire {p.id}")
    path = ws.root / ALLOWLIST_FILE if ws is not None else None
    if path is not None and path.is_file():
        for n, line in enumerate(path.read_text("utf-8", errors="replace").splitlines(), 1):
            value = line.split("#", 1)[0].strip()
            if value:
                add(value, f"{ALLOWLIST_FILE}:{n}")
    return pa.Table.from_pylist(rows, schema=ioc_store.ALLOW)


def _tables(store: Store) -> list[str]:
    return [name for name in HUNTED_TABLES if store.count(name) > 0]


def _hunt(
    store: Store,
    hospital: Hospital | None,
    now: datetime,
    files: list[str] | None,
) -> list[object]:
    iocs = ioc_store.hunt_table(store, now)
    engine = Engine.for_store(store)
    try:
        found = hunt(engine, iocs, _tables(store), hospital=hospital, files=files)
    finally:
        engine.close()
    ioc_store.add_findings(
        store, findings_table(found), replace_detector=NAME if files is None else None
    )
    return list(found)


def _report(found: list[object], ws: Workspace | None, store: Store,
            hospital: Hospital | None) -> HuntReport:  # fmt: skip
    by_table: dict[str, int] = {}
    entities: list[str] = []
    for f in found:
        cls = str(getattr(f, "evidence_class", ""))
        by_table[cls] = by_table.get(cls, 0) + 1
        entity = str(getattr(f, "entity", ""))
        if entity not in entities:
            entities.append(entity)
    if not found or ws is None:
        return HuntReport(len(found), by_table, tuple(entities))
    incident = build_incident(store, hospital, spread=spread_hint)
    if incident is None:
        return HuntReport(len(found), by_table, tuple(entities))
    # in the case store like every incident (web pages, board, declarations), and the
    # machines the indicators were seen on go on its remediation board
    from rempart.app.board_feed import board_from_intel
    from rempart.app.incidents_store import list_incidents, save_incident

    before = {i.id for i in list_incidents(ws.root)}
    saved = save_incident(ws.root, incident)
    board_from_intel(ws.root, store)
    return HuntReport(
        len(found), by_table, tuple(entities), saved.id, saved.id not in before, saved.location
    )


def import_intel(
    ws: Workspace,
    paths: Sequence[Path],
    *,
    clock: Clock = SYSTEM_CLOCK,
    run_hunt: bool = True,
) -> ImportReport:
    """Read, merge, allowlist and (by default) hunt; see the module docstring."""
    batches: list[IntelBatch] = []
    for path in paths:
        if not path.exists():
            raise ConfigError(key="error.not_found", params={"paths": str(path)})
        batches.extend(read_intel(path))
    now = clock.now()
    hospital = hospital_of(ws)
    files = tuple(
        FileReport(str(b.path), b.format, b.source, b.counts(), tuple(b.rejects)) for b in batches
    )
    with Store(ws.db_path) as store:
        merged = ioc_store.merge_indicators(store, indicator_rows(batches, now))
        ioc_store.apply_allowlist(store, allowlist_rows(hospital, ws))
        conflicts = tuple(
            (str(r["value"]), str(r["type"]), str(r["allowlisted"]))
            for r in ioc_store.conflicts(store).to_pylist()
        )
        hunted = None
        if run_hunt:
            hunted = _report(_hunt(store, hospital, now, None), ws, store, hospital)
        counts = ioc_store.counts(store)
    return ImportReport(files, merged.new, merged.merged, conflicts, hunted, counts)


def hunt_intel(ws: Workspace, *, clock: Clock = SYSTEM_CLOCK) -> HuntReport:
    """Hunt every stored indicator over all stored data (the earlier hunt's findings go)."""
    hospital = hospital_of(ws)
    with Store(ws.db_path) as store:
        ioc_store.apply_allowlist(store, allowlist_rows(hospital, ws))
        return _report(_hunt(store, hospital, clock.now(), None), ws, store, hospital)


def hunt_new_files(
    store: Store,
    hospital: Hospital | None,
    digests: Sequence[str],
    *,
    clock: Clock | None = None,
) -> int:
    """The hunt over the rows of newly ingested files only (by their ingest-log digests);
    the ingest use case calls it after its files are written. Returns the findings added;
    nothing happens when no indicator is stored."""
    if not digests or store.count(ioc_store.TABLE) == 0:
        return 0
    paths = ioc_store.ingested_paths(store, list(digests))
    if not paths:
        return 0
    return len(_hunt(store, hospital, (clock or store.clock).now(), paths))


def hunt_new_paths(
    store: Store,
    hospital: Hospital | None,
    paths: Sequence[str],
    *,
    clock: Clock | None = None,
) -> int:
    """The hunt over the rows of the files just ingested (their paths as the ingest log has
    them); the ingest use case calls it. Nothing happens when no indicator is stored."""
    if not paths or store.count(ioc_store.TABLE) == 0:
        return 0
    return len(_hunt(store, hospital, (clock or store.clock).now(), list(paths)))


def list_indicators(
    ws: Workspace,
    *,
    clock: Clock = SYSTEM_CLOCK,
    types: tuple[str, ...] = (),
    limit: int | None = None,
) -> list[dict[str, object]]:
    """The stored indicators (not expired), as plain rows for rendering."""
    with Store(ws.db_path) as store:
        rows: list[dict[str, object]] = ioc_store.indicators(
            store, now=clock.now(), types=types, limit=limit
        ).to_pylist()
    return rows


def expire_intel(ws: Workspace, *, clock: Clock = SYSTEM_CLOCK) -> int:
    """Delete the indicators whose expiry date has passed."""
    with Store(ws.db_path) as store:
        return ioc_store.expire(store, clock.now())


@dataclass(frozen=True)
class ExportReport:
    path: Path
    format: str
    written: int  # addresses, indicators or sightings written
    withheld: int = 0  # sightings left out of a STIX bundle because of their TLP


def export_intel(
    ws: Workspace, fmt: str, out: Path, *, clock: Clock = SYSTEM_CLOCK, tlp_max: str = "amber"
) -> ExportReport:
    """Write one export (nftables, ipset, zeek, stix) atomically to `out`."""
    if fmt not in exports.FORMATS:
        raise ConfigError(
            key="error.unknown_export_format",
            params={"fmt": repr(fmt), "known": ", ".join(exports.FORMATS)},
        )
    now = clock.now()
    with Store(ws.db_path) as store:
        rows = ioc_store.indicators(store, now=now).to_pylist()
        sightings = []
        if fmt == "stix":
            sightings = store.sql(
                """SELECT uid, min(first_seen) AS first_seen, max(last_seen) AS last_seen,
                          sum(evidence_count) AS count
                   FROM (SELECT i.indicator_uid AS uid, f.first_seen, f.last_seen,
                                f.evidence_count
                         FROM finding f JOIN indicator i
                           ON f.detector = $det AND i.value = f.related[1])
                   GROUP BY uid ORDER BY uid""",
                {"det": NAME},
            ).to_pylist()
    live = [r for r in rows if not r.get("allowlisted")]
    withheld = 0
    if fmt == "nftables":
        text = exports.render_nftables(live)
        written = sum(len(x) for x in exports.blocklist(live))
    elif fmt == "ipset":
        text = exports.render_ipset(live)
        written = sum(len(x) for x in exports.blocklist(live))
    elif fmt == "zeek":
        text = exports.render_zeek(live)
        written = text.count("\n") - 1
    else:
        hospital = hospital_of(ws)
        org = hospital.hospital.name if hospital else "Rempart"
        text, written, withheld = exports.render_stix(
            live, sightings, organisation=org, now=now, tlp_max=tlp_max
        )
    exports.write_atomic(out, text)
    return ExportReport(out, fmt, written, withheld)


__all__ = [
    "ALLOWLIST_FILE",
    "LIST_FORMATS",
    "ExportReport",
    "FileReport",
    "HuntReport",
    "ImportReport",
    "allowlist_rows",
    "expire_intel",
    "export_intel",
    "hunt_intel",
    "hunt_new_files",
    "hunt_new_paths",
    "import_intel",
    "indicator_rows",
    "list_indicators",
]
