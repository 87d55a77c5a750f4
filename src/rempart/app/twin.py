"""The digital twin: generate the synthetic hospital, write a scenario, check the calibration,
replay a scenario against Rempart's response."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rempart.app.replay import replay_montpellier
from rempart.model import Hospital, load_hospital
from rempart.store import Workspace
from rempart.twin.hospital import generate_hospital, write_hospital
from rempart.twin.scenarios.montpellier import (
    HISTORICAL,
    HORIZONS,
    GroundTruth,
    historical_controls,
    patient_zero,
    write_montpellier,
)
from rempart.twin.spread import SpreadNetwork, SpreadParams, simulate

SCENARIOS = ("montpellier",)
TARGET_INFECTED = 649  # Montpellier, March 2019
ISOLATION_MINUTE = HISTORICAL.isolation_minute


def spread_params(
    spread_rate: float | None = None,
    incubation: float | None = None,
    smb_success: float | None = None,
    rdp_success: float | None = None,
    cross_building: float | None = None,
    vulnerable: float | None = None,
) -> SpreadParams:
    """The calibrated defaults, with the values given on the command line."""
    base = SpreadParams()
    return SpreadParams(
        spread_rate=base.spread_rate if spread_rate is None else spread_rate,
        incubation_minutes=base.incubation_minutes if incubation is None else incubation,
        smb_success=base.smb_success if smb_success is None else smb_success,
        rdp_success=base.rdp_success if rdp_success is None else rdp_success,
        cross_building=base.cross_building if cross_building is None else cross_building,
        workstation_vulnerable=base.workstation_vulnerable if vulnerable is None else vulnerable,
    )


@dataclass(frozen=True)
class TwinHospital:
    hospital: Hospital
    path: Path  # where it was read from or written to
    generated: bool


def generate(
    workspace: Path | str | None, *, machines: int = 6000, buildings: int = 12, seed: int = 0
) -> TwinHospital:
    """`rempart twin generate`: a synthetic CHU written into the workspace."""
    ws = Workspace.at(workspace)
    h = generate_hospital(machines=machines, buildings=buildings, seed=seed)
    return TwinHospital(h, write_hospital(h, ws.root), True)


def workspace_or_twin(workspace: Path | str | None, *, machines: int, seed: int) -> TwinHospital:
    """The workspace's hospital if there is one, else a generated twin written there."""
    ws = Workspace.at(workspace)
    if ws.hospital_path.exists():
        return TwinHospital(load_hospital(ws.hospital_path), ws.hospital_path, False)
    h = generate_hospital(machines=machines, seed=seed)
    return TwinHospital(h, write_hospital(h, ws.root), True)


def given_hospital(workspace: Path | str | None) -> Hospital | None:
    """The hospital.yaml of an explicitly given workspace, if it has one (nothing created)."""
    if workspace is None:
        return None
    ws = Workspace.at(workspace, create=False)
    return load_hospital(ws.hospital_path) if ws.hospital_path.is_file() else None


def scenario_folder(workspace: Path | str | None, name: str, out: Path | None) -> Path:
    return out or Workspace.at(workspace).root / f"scenario-{name}"


def write_scenario(
    hospital: Hospital,
    target: Path,
    *,
    seed: int = 0,
    params: SpreadParams | None = None,
    rows: int = 1_000_000,
    runs: int = 200,
    progress: Callable[[int, int], None] | None = None,
) -> GroundTruth:
    """`rempart twin scenario montpellier`: mailbox, conn.log, the proxy's access.log and
    ground truth in `target`."""
    files = write_montpellier(
        hospital, target, seed=seed, params=params, rows=rows, runs=runs, progress=progress
    )
    return files.ground_truth


@dataclass(frozen=True)
class CalibrationRow:
    seed: int
    patient_zero: str
    means: tuple[float, ...]  # mean infected at each horizon (1 h, 6 h, 24 h)
    p05: float
    p95: float

    @property
    def within(self) -> bool:
        return abs(self.means[-1] - TARGET_INFECTED) <= 0.15 * TARGET_INFECTED


def calibrate(
    seeds: list[int],
    *,
    machines: int = 6000,
    runs: int = 500,
    params: SpreadParams | None = None,
    hospital: Hospital | None = None,
) -> list[CalibrationRow]:
    """The historical response replayed on each seed (on `hospital`, else a twin per seed)."""
    params = params or SpreadParams()
    out = []
    for s in seeds:
        h = hospital or generate_hospital(machines=machines, seed=s)
        pz = patient_zero(h, s)
        net = SpreadNetwork(h, params)
        r = simulate(
            net, None, [pz], historical_controls(h), HORIZONS, runs=runs, seed=s, trajectory=False
        )
        last = r.horizons[-1]
        out.append(CalibrationRow(s, pz, tuple(x.mean for x in r.horizons), last.p05, last.p95))
    return out


__all__ = [
    "ISOLATION_MINUTE",
    "SCENARIOS",
    "CalibrationRow",
    "GroundTruth",
    "SpreadParams",
    "TwinHospital",
    "calibrate",
    "generate",
    "given_hospital",
    "replay_montpellier",
    "scenario_folder",
    "spread_params",
    "workspace_or_twin",
    "write_scenario",
]
