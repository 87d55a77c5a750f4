"""Run every registered detector over the workspace's store, with the network's ranges.

The internal ranges come from hospital.yaml (else RFC 1918), the `--internal` values, and
the addresses the Zeek sensor marked local; the result says what was assumed so the caller
can tell the team.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rempart.app.session import Session
from rempart.core.errors import ConfigError
from rempart.detect import DetectContext, DetectorRun, run_detectors
from rempart.detect.network.nets import RFC1918
from rempart.store import Store

if TYPE_CHECKING:
    from rempart.app.board_feed import BoardFeed


class BadCidr(ConfigError):
    """An `--internal` value that is not a CIDR network (`value` says which)."""

    def __init__(self, value: str) -> None:
        super().__init__(f"{value} is not a CIDR network")
        self.value = value


def internal_ranges(values: Sequence[str]) -> tuple[str, ...]:
    """`--internal` values as normalised CIDR networks, duplicates dropped (BadCidr else)."""
    out: list[str] = []
    for value in values:
        try:
            out.append(str(ipaddress.ip_network(value.strip(), strict=False)))
        except ValueError:
            raise BadCidr(value) from None
    return tuple(dict.fromkeys(out))


def flow_addresses(store: Store, limit: int = 200_000) -> list[str]:
    """Distinct addresses of the stored flows and firewall records (at most `limit`)."""
    return store.flow_addresses(limit)


def none_internal(addresses: Sequence[str], ranges: tuple[str, ...]) -> bool:
    """Whether there are addresses and none is inside `ranges`: a network numbered in
    public space, whose hosts every internal detector would then take for the internet."""
    nets = [ipaddress.ip_network(r, strict=False) for r in ranges]
    seen = False
    for text in addresses:
        try:
            ip = ipaddress.ip_address(text)
        except ValueError:
            continue
        seen = True
        if any(ip in net for net in nets if net.version == ip.version):
            return False
    return seen


RANGES_FILE = "detect-ranges.json"  # the ranges the last detection took as internal


def save_ranges(root: Path, ranges: Sequence[str]) -> None:
    """Keep the extra internal ranges of this run: the incident builder needs the same view
    of the network (what is the hospital, what is the internet) as the detectors had."""
    (root / RANGES_FILE).write_text(json.dumps({"internal": list(ranges)}), encoding="utf-8")


def saved_ranges(root: Path) -> tuple[str, ...]:
    """The extra internal ranges of the last detection (none when it never ran)."""
    path = root / RANGES_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ()
    values = data.get("internal") if isinstance(data, dict) else None
    return tuple(str(v) for v in values) if isinstance(values, list) else ()


@dataclass(frozen=True)
class DetectResult:
    """What ran, and what was assumed about the network (for the caller to say)."""

    runs: tuple[DetectorRun, ...]
    has_model: bool
    given: tuple[str, ...]  # the --internal ranges
    sensor_local: tuple[str, ...]  # blocks the sensor marked local, outside the ranges
    base: tuple[str, ...]  # the model's internal ranges, else RFC 1918
    addresses: int  # distinct flow addresses looked at
    none_internal: bool  # no flow address inside the ranges
    # The machines an indicator was seen on, put on the board of the open incident.
    board: BoardFeed | None = None

    @property
    def failed(self) -> bool:
        return any(r.error for r in self.runs)

    @property
    def ranges(self) -> tuple[str, ...]:
        return (*self.base, *self.given, *self.sensor_local)


def detect(
    workspace: Path | str | None,
    *,
    only: Sequence[str] | None = None,
    internal: Sequence[str] = (),
    sensor_local: bool = True,
) -> DetectResult:
    """`rempart detect`: findings replace those of the previous run."""
    given = internal_ranges(internal)
    with Session.writer(workspace, must_exist=True) as session:
        hospital = session.hospital
        base = hospital.hospital.internal_ranges if hospital else RFC1918
        store = session.store
        ranges = given
        local: tuple[str, ...] = ()
        if sensor_local:
            local = tuple(store.sensor_local_ranges((*base, *given)))
            ranges = (*ranges, *local)
        addresses = flow_addresses(store)
        none = none_internal(addresses, (*base, *ranges))
        runs = run_detectors(DetectContext(store, hospital, ranges), list(only) if only else None)
        save_ranges(session.root, ranges)
        from rempart.app.board_feed import board_from_intel  # the case store, when it runs

        feed = board_from_intel(session.root, store)
    return DetectResult(
        tuple(runs), hospital is not None, given, local, tuple(base), len(addresses), none,
        feed,
    )  # fmt: skip


__all__ = [
    "BadCidr",
    "DetectResult",
    "DetectorRun",
    "detect",
    "flow_addresses",
    "internal_ranges",
    "none_internal",
    "saved_ranges",
]
