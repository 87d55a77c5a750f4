"""The contract of a detector: a name, a version, the tables it reads, findings it returns.

Detectors are set-based: they query the store (SQL or Ibis) and return only their small
results as `Finding` values. Every finding says which detector (name and version) raised
it, why (a sentence), and which events prove it (event_uid values + total count).

The title and the reason are catalogue keys and their values (`core/locale/detect.yaml`),
rendered per language when shown; the French rendering is also kept in `title`/`reason`
(older readers, and the finding uid, which hashes the French title as it always did).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, cast

import pyarrow as pa

from rempart.core.i18n import Lang, t
from rempart.schema import FINDING
from rempart.store import Store
from rempart.store.engine import Engine

if TYPE_CHECKING:  # the hospital model (pydantic) is loaded by whoever builds one
    from rempart.model import Hospital

MAX_EVIDENCE_IDS = 50


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


@dataclass(frozen=True)
class Finding:
    """One alert. `evidence` holds at most MAX_EVIDENCE_IDS ids; `evidence_count` all."""

    detector: str
    detector_version: str
    severity: Severity
    title: str
    reason: str
    entity: str
    entity_type: str
    first_seen: datetime
    last_seen: datetime
    evidence_class: str
    evidence: tuple[str, ...]
    evidence_count: int
    score: float | None = None
    attack: tuple[str, ...] = ()
    related: tuple[str, ...] = field(default=())
    detected_at: datetime | None = None  # when a streaming run would have alerted
    title_key: str = ""  # catalogue keys of the title and the reason ("" for plain text)
    reason_key: str = ""
    params: dict[str, Any] = field(default_factory=dict, hash=False)  # JSON-able values

    def render(self, lang: str = "fr") -> tuple[str, str]:
        """(title, reason) in `lang`."""
        lg: Lang = "en" if lang == "en" else "fr"
        title = t(self.title_key, lg, **self.params) if self.title_key else self.title
        reason = t(self.reason_key, lg, **self.params) if self.reason_key else self.reason
        return title, reason

    @property
    def uid(self) -> str:
        key = f"{self.detector}|{self.entity}|{self.first_seen.isoformat()}|{self.title}"
        return hashlib.sha256(key.encode()).hexdigest()[:20]


def _plain(value: object) -> object:
    """JSON for the values a query returns (DECIMAL sums, times)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def params_json(params: dict[str, Any]) -> str | None:
    """A finding's parameters as stored (JSON text, keys sorted), None when it has none."""
    if not params:
        return None
    return json.dumps(params, ensure_ascii=False, sort_keys=True, default=_plain)


def findings_table(findings: list[Finding]) -> pa.Table:
    """Findings as an Arrow table of the `finding` schema."""
    rows = [
        {
            "finding_uid": f.uid,
            "detector": f.detector,
            "detector_version": f.detector_version,
            "severity": f.severity.value,
            "title": f.title,
            "reason": f.reason,
            "entity": f.entity,
            "entity_type": f.entity_type,
            "first_seen": f.first_seen,
            "last_seen": f.last_seen,
            "detected_at": f.detected_at,
            "score": f.score,
            "attack": list(f.attack),
            "evidence_class": f.evidence_class,
            "evidence": list(f.evidence[:MAX_EVIDENCE_IDS]),
            "evidence_count": f.evidence_count,
            "related": list(f.related),
            "title_key": f.title_key or None,
            "reason_key": f.reason_key or None,
            "params": params_json(f.params),
        }
        for f in findings
    ]
    return pa.Table.from_pylist(rows, schema=FINDING)


@dataclass(frozen=True)
class DetectContext:
    """What a detector may read: the store and, when there is one, the hospital model.

    `internal` adds address ranges (CIDR) to the internal ones (the model's, else RFC 1918):
    `rempart detect --internal`, for a network numbered in public space. `engine` is where
    detectors run their queries (default: the store's DuckDB); no detector touches the
    store's connection itself.
    """

    store: Store
    hospital: Hospital | None = None
    internal: tuple[str, ...] = ()
    engine: Engine = field(default=cast(Engine, None))

    def __post_init__(self) -> None:
        if self.engine is None:
            object.__setattr__(self, "engine", self.store.engine())


class Detector(ABC):
    """One detection. Subclasses set the class variables and implement `run`.

    `INCIDENT` says whether the findings are attack activity that belongs in an incident
    (False for posture reports such as exposed medical devices). `RETROSPECTIVE` marks
    reconstructions made after the fact (a spread tree): their times are estimates of when
    things happened, not of when an alert could have been raised.
    """

    NAME: ClassVar[str]
    VERSION: ClassVar[str]
    INPUTS: ClassVar[tuple[str, ...]]  # tables read
    ATTACK: ClassVar[tuple[str, ...]] = ()
    DESCRIPTION: ClassVar[str] = ""
    INCIDENT: ClassVar[bool] = True
    RETROSPECTIVE: ClassVar[bool] = False

    @abstractmethod
    def run(self, ctx: DetectContext) -> list[Finding]:
        """Return this detector's findings over the whole store."""

    def finding(self, **kwargs: object) -> Finding:
        """A Finding stamped with this detector's name, version and ATT&CK ids.

        Given `title_key`/`reason_key` and `params`, the French `title`/`reason` are rendered
        from the catalogue (the stored text older readers see, and the uid's basis).
        """
        kwargs.setdefault("attack", self.ATTACK)
        params = kwargs.get("params") or {}
        assert isinstance(params, dict)
        for text, key in (("title", "title_key"), ("reason", "reason_key")):
            if key in kwargs and text not in kwargs:
                kwargs[text] = t(str(kwargs[key]), "fr", **params)
        return Finding(detector=self.NAME, detector_version=self.VERSION, **kwargs)  # type: ignore[arg-type]


# Addresses taken as the hospital's own when there is no hospital.yaml: private, loopback, ULA.
DEFAULT_INTERNAL = (
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "127.0.0.0/8",
    "fc00::/7",
    "::1/128",
)


def internal_checker(ctx: DetectContext) -> Callable[[str | None], bool]:
    """Whether an address is the hospital's: its model's ranges (else DEFAULT_INTERNAL) and
    the extra ranges of `rempart detect --internal`; a host name or bad text is not."""
    ranges = ctx.hospital.hospital.internal_ranges if ctx.hospital else DEFAULT_INTERNAL
    nets = [ipaddress.ip_network(r, strict=False) for r in (*ranges, *ctx.internal)]

    def internal(ip: str | None) -> bool:
        if not ip:
            return False
        try:
            addr = ipaddress.ip_address(ip.strip("[]"))
        except ValueError:
            return False
        return any(addr.version == n.version and addr in n for n in nets)

    return internal
