"""Retro-hunt: every stored event that an indicator names is a finding, with its evidence.

The queries (`hunt.py`) run through the store's engine, so the same hunt runs on DuckDB or
on Spark. Findings are per (indicator, entity): the internal host that talked to a command
server or resolved its name, the message that came from a listed sender or carried a listed
URL or attachment, the account logged in from a listed address. A proxy's own connections
are reported as the proxy's (medium: the proxy is a relay, not the infected machine), and
the hosts behind it are named by time correlation (`hunt.relay_query`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from rempart.core.i18n import t
from rempart.detect.base import DetectContext, Detector, Finding, Severity
from rempart.detect.intel.hunt import FILES, IOC, RELAYS, Sighting, run_hunt
from rempart.model import Hospital
from rempart.store.engine import Engine
from rempart.store.intel import hunt_table

NAME = "intel_hunt"
VERSION = "1"
HUNTED_TABLES = (
    "network_flow",
    "network_event",
    "email",
    "mail_transfer",
    "process",
    "authentication",
    "mailbox_activity",
)
RELAY_ROLES = ("proxy", "web_proxy", "gateway")
_STRONG = ("ip", "domain", "url", "email", "md5", "sha1", "sha256", "ja3", "ja3s")
_ATTACK = {
    "ip": ("T1071",), "cidr": ("T1071",), "domain": ("T1071", "T1568"), "url": ("T1566.002",),
    "uri": ("T1071.001",), "email": ("T1566",), "md5": ("T1204.002",), "sha1": ("T1204.002",),
    "sha256": ("T1204.002",), "filename": ("T1204.002",), "command_line": ("T1059",),
    "user_agent": ("T1071.001",), "ja3": ("T1071.001",), "ja3s": ("T1071.001",),
}  # fmt: skip


def relays_of(hospital: Hospital | None) -> list[str]:
    """Addresses of the proxies: beacons that go through them show up as theirs."""
    if hospital is None:
        return []
    return sorted(a.ip for a in hospital.assets if a.ip and (a.role or "") in RELAY_ROLES)


def _severity(kind: str, confidence: int, relay: bool, via: str, count: int) -> Severity:
    if via == "relay":
        return Severity.HIGH if count >= 3 else Severity.MEDIUM
    level = Severity.HIGH if kind in _STRONG else Severity.MEDIUM
    if relay:
        level = Severity.MEDIUM
    if confidence < 40:
        level = Severity.LOW if level is Severity.MEDIUM else Severity.MEDIUM
    return level


def to_findings(
    sightings: Iterable[Sighting], iocs: pa.Table, relays: Iterable[str] = ()
) -> list[Finding]:
    """Findings of the sightings, as message keys and values (the French text is kept as
    the stored `title`/`reason` older readers show, like every detector's)."""
    sightings = list(sightings)
    seen = pa.array(sorted({s.uid for s in sightings}), pa.string())
    by_uid = {str(r["uid"]): r for r in iocs.filter(pc.is_in(iocs["uid"], seen)).to_pylist()}
    relay_set = set(relays)
    out: list[Finding] = []
    for s in sightings:
        ioc = by_uid.get(s.uid)
        if ioc is None:
            continue
        kind, value = str(ioc["type"]), str(ioc["value"])
        relay = s.entity in relay_set and s.evidence_class == "network_flow"
        key = "intel.reason_relay" if s.via == "relay" else (
            "intel.reason_proxy" if relay else "intel.reason"
        )  # fmt: skip
        params = {
            "value": value,
            "type": kind,
            "matched": s.matched,
            "n": s.count,
            "table": s.evidence_class,
            "sources": ioc["sources"] or "?",
        }
        out.append(
            Finding(
                detector=NAME,
                detector_version=VERSION,
                severity=_severity(kind, int(ioc["confidence"]), relay, s.via, s.count),
                title=t("intel.title", "fr", **params),
                reason=t(key, "fr", **params),
                title_key="intel.title",
                reason_key=key,
                params=params,
                entity=s.entity,
                entity_type=s.entity_type,
                first_seen=s.first_seen,
                last_seen=s.last_seen,
                evidence_class=s.evidence_class,
                evidence=s.evidence,
                evidence_count=s.count,
                score=int(ioc["confidence"]) / 100,
                attack=_ATTACK.get(kind, ()),
                related=(value, *[r for r in s.related if r != value]),
            )
        )
    return sorted(out, key=lambda f: (f.first_seen, f.entity, f.title))


def hunt(
    engine: Engine,
    iocs: pa.Table,
    tables: Iterable[str],
    *,
    hospital: Hospital | None = None,
    files: list[str] | None = None,
) -> list[Finding]:
    """Hunt the indicators `iocs` (`rempart.store.intel.hunt_table`) on an engine, over the
    tables named (those with rows), or only the rows of `files` (a hunt over new data)."""
    if iocs.num_rows == 0:
        return []
    relays = relays_of(hospital)
    engine.register(IOC, iocs.select(["uid", "value", "type", "port", "lo", "hi"]))
    engine.register(RELAYS, pa.table({"ip": pa.array(relays or ["-"], pa.string())}))
    engine.register(FILES, pa.table({"path": pa.array(files or ["-"], pa.string())}))
    sightings = run_hunt(engine, set(tables), limited=files is not None, relays=bool(relays))
    return to_findings(sightings, iocs, relays)


class IntelHuntDetector(Detector):
    NAME: ClassVar[str] = NAME
    VERSION: ClassVar[str] = VERSION
    INPUTS: ClassVar[tuple[str, ...]] = ("indicator",)
    DESCRIPTION: ClassVar[str] = "retro-hunt of the imported indicators over all stored events"

    def run(self, ctx: DetectContext) -> list[Finding]:
        iocs = hunt_table(ctx.store, ctx.store.clock.now())
        tables = [name for name in HUNTED_TABLES if ctx.store.count(name) > 0]
        engine = Engine.for_store(ctx.store)
        try:
            return hunt(engine, iocs, tables, hospital=ctx.hospital)
        finally:
            engine.close()


__all__ = ["HUNTED_TABLES", "IntelHuntDetector", "hunt", "relays_of", "to_findings"]
