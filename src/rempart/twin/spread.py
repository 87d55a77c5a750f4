"""Vectorised, seeded Monte Carlo of a worm spreading over the hospital's zones.

The model is a stochastic SI epidemic with an incubation delay over a metapopulation: hosts
live in zones (buildings, servers, Wi-Fi...), an infectious host scans addresses at random,
mostly in its own subnet, and a scan that reaches a susceptible Windows host over a protocol
the network lets through (SMB, RDP) infects it with that protocol's success probability.

Random scanning makes the hazard on a host depend only on its zone, so each host's
infection can be drawn once as an exponential threshold: host `h` is infected when its zone's
cumulative hazard reaches ``E_h / susceptibility_h`` (``E_h ~ Exp(1)``). This is exact for a
hazard that is homogeneous within a zone, and it makes every step of every run a handful of
array operations: a (runs × zones) matrix product for the hazard and one `searchsorted` over
the per-zone sorted thresholds of all runs at once. There is no Python loop over hosts or runs;
the only loop is over time steps (1,440 one-minute steps for a day).

Controls (isolating zones, blocking a protocol between zones, quarantining hosts, cutting the
internet) change the reachability matrix or remove hosts from `applied_at_minute` on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt

from rempart.model.hospital import AssetKind, Hospital, ZoneKind

__all__ = [
    "Controls",
    "HorizonStat",
    "SpreadNetwork",
    "SpreadParams",
    "SpreadResult",
    "Trajectory",
    "simulate",
]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

SMB_PORTS = frozenset({139, 445})
RDP_PORTS = frozenset({3389})
_CAP = 64.0  # thresholds above this are never reached (P < 1e-5 for any susceptible host)
_BIG = 2 * _CAP  # key spacing between (run, zone) segments
_WINDOW = np.arange(8)


@dataclass(frozen=True)
class SpreadParams:
    """The worm's behaviour; defaults are the Montpellier calibration (docs/twin.md)."""

    spread_rate: float = 1.2  # scans per infectious host per minute
    incubation_minutes: float = 45.0  # from infection to the first scan
    smb_success: float = 0.1  # a scan reaching a susceptible host over SMB infects it
    rdp_success: float = 0.02  # same over RDP (password guessing)
    rdp_share: float = 0.15  # share of scans on RDP (the rest on SMB)
    local_fraction: float = 0.9  # share of scans in the host's own subnet
    cross_building: float = 0.05  # share of cross-zone scans that routing lets through
    workstation_vulnerable: float = 0.75  # share of Windows PCs the worm can take (unpatched,
    # shared local admin password); the others resist (drawn anew in every run)
    server_susceptibility: float = 0.3  # hardened, patched Windows servers
    device_susceptibility: float = 0.5  # Windows-embedded medical devices
    egress_cut_factor: float = 1.0  # spread rate multiplier once the internet is cut
    step_minutes: float = 1.0

    def __post_init__(self) -> None:
        for name in (
            "smb_success", "rdp_success", "rdp_share", "local_fraction", "workstation_vulnerable",
        ):  # fmt: skip
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        if not 0.0 <= self.cross_building <= 1.0:
            raise ValueError("cross_building must be between 0 and 1")
        if self.spread_rate < 0 or self.incubation_minutes < 0 or self.step_minutes <= 0:
            raise ValueError("spread_rate and incubation must be ≥ 0, step_minutes > 0")


@dataclass(frozen=True)
class Controls:
    """Containment applied from `applied_at_minute` (after the first infection) on.

    `blocked` holds (zone_a, zone_b, port) triples, both directions, ``"*"`` for any zone;
    (z, z, 445) blocks SMB inside zone z (host firewalls, private VLAN). Hosts are named by
    hostname or IP address.
    """

    isolated_zones: tuple[str, ...] = ()
    blocked: tuple[tuple[str, str, int], ...] = ()
    quarantined_hosts: tuple[str, ...] = ()
    egress_cut: bool = False
    applied_at_minute: float = 0.0


NO_CONTROLS = Controls(applied_at_minute=math.inf)


@dataclass(frozen=True)
class HorizonStat:
    minute: float
    mean: float
    median: float
    p05: float
    p95: float
    by_zone: tuple[tuple[str, float], ...]  # mean infected per zone (zones with any)


@dataclass(frozen=True)
class Trajectory:
    """One sampled run, host by host: (hostname, zone, minute infected), in infection order."""

    run: int
    infections: tuple[tuple[str, str, float], ...]

    def at(self, minute: float) -> int:
        return sum(1 for _, _, m in self.infections if m <= minute)


@dataclass(frozen=True, eq=False)
class SpreadResult:
    hosts: int
    susceptible: int
    runs: int
    horizons: tuple[HorizonStat, ...]
    totals: F64 = field(repr=False)  # (runs, horizons) infected machines
    trajectory: Trajectory | None = None

    def horizon(self, minute: float) -> HorizonStat:
        for h in self.horizons:
            if h.minute == minute:
                return h
        raise KeyError(minute)


class SpreadNetwork:
    """The hospital reduced to what the engine needs: hosts by zone, susceptibility, reach."""

    def __init__(self, hospital: Hospital, params: SpreadParams | None = None) -> None:
        params = params or SpreadParams()
        self.hospital = hospital
        self.params = params
        zones = [z for z in hospital.zones]
        zone_ids = [z.id for z in zones]
        index = {z: i for i, z in enumerate(zone_ids)}
        hosts = [a for a in hospital.assets if a.zone in index]
        order = sorted(range(len(hosts)), key=lambda i: (index[str(hosts[i].zone)], i))
        hosts = [hosts[i] for i in order]
        self.zone_ids: tuple[str, ...] = tuple(zone_ids)
        self.zone_kinds: tuple[ZoneKind, ...] = tuple(z.kind for z in zones)
        self.hostnames: tuple[str, ...] = tuple(a.hostname for a in hosts)
        self.ips: tuple[str, ...] = tuple(a.ip or "" for a in hosts)
        self.zone_of: I64 = np.array([index[str(a.zone)] for a in hosts], dtype=np.int64)
        self.susceptibility: F64 = np.array(
            [_susceptibility(a.kind, a.os, params) for a in hosts], dtype=np.float64
        )
        self.workstation: npt.NDArray[np.bool_] = np.array(
            [a.kind in (AssetKind.WORKSTATION, AssetKind.LAPTOP) for a in hosts], dtype=bool
        )
        nz = len(zone_ids)
        self.zone_size: I64 = np.bincount(self.zone_of, minlength=nz).astype(np.int64)
        self.zone_start: I64 = np.concatenate(([0], np.cumsum(self.zone_size)[:-1])).astype(
            np.int64
        )
        addr = []
        for z in zones:
            space = sum(2 ** (32 - int(c.split("/")[1])) for c in z.cidrs if "." in c)
            addr.append(max(space, 1))
        self.address_space: F64 = np.array(addr, dtype=np.float64)
        self._host_index = {n: i for i, n in enumerate(self.hostnames)}
        self._host_index.update({ip: i for i, ip in enumerate(self.ips) if ip})

    def with_params(self, params: SpreadParams) -> SpreadNetwork:
        return SpreadNetwork(self.hospital, params)

    @property
    def zones(self) -> int:
        return len(self.zone_ids)

    def host(self, name: str) -> int:
        try:
            return self._host_index[name]
        except KeyError:
            raise KeyError(f"unknown host {name!r} (not in any zone of the model)") from None

    @cached_property
    def _base_reach(self) -> tuple[F64, F64]:
        """(SMB, RDP) reachability between zones before any control, from the zone kinds."""
        nz = self.zones
        cross = self.params.cross_building
        reach = np.zeros((nz, nz))
        open_kinds = (ZoneKind.BUILDING, ZoneKind.SEGMENT, ZoneKind.ADMIN)
        for i, ki in enumerate(self.zone_kinds):
            for j, kj in enumerate(self.zone_kinds):
                if i == j:
                    reach[i, j] = 1.0
                elif kj is ZoneKind.WIFI or kj is ZoneKind.DMZ:
                    reach[i, j] = 0.0  # client isolation on Wi-Fi, firewall in front of the DMZ
                elif kj is ZoneKind.SERVER and ki in (*open_kinds, ZoneKind.WIFI):
                    reach[i, j] = 1.0  # file shares, domain controllers, RDS farms
                elif ki is ZoneKind.WIFI:
                    reach[i, j] = 0.0
                else:
                    reach[i, j] = cross  # separate building networks, a few legacy routes
        return reach, reach.copy()

    def kernel(self, controls: Controls | None, *, after: bool) -> F64:
        """Hazard per minute on one susceptible host of zone j from one infectious host of i."""
        p = self.params
        smb, rdp = (m.copy() for m in self._base_reach)
        rate = p.spread_rate
        if after and controls is not None:
            idx = {z: i for i, z in enumerate(self.zone_ids)}
            for z in controls.isolated_zones:
                if z not in idx:
                    raise KeyError(f"unknown zone {z!r} in controls")
                i = idx[z]
                for m in (smb, rdp):
                    keep = m[i, i]
                    m[i, :] = 0.0
                    m[:, i] = 0.0
                    m[i, i] = keep
            for a, b, port in controls.blocked:
                rows = list(range(self.zones)) if a == "*" else [idx[a]]
                cols = list(range(self.zones)) if b == "*" else [idx[b]]
                targets = ([smb] if port in SMB_PORTS else []) + (
                    [rdp] if port in RDP_PORTS else []
                )
                for m in targets:
                    m[np.ix_(rows, cols)] = 0.0
                    m[np.ix_(cols, rows)] = 0.0
            if controls.egress_cut:
                rate *= p.egress_cut_factor
        per_proto = (1 - p.rdp_share) * p.smb_success * smb + p.rdp_share * p.rdp_success * rdp
        space = self.address_space
        other_space = space.sum() - space  # address space scanned outside the own subnet
        share = np.where(
            np.eye(self.zones, dtype=bool),
            p.local_fraction / space[None, :],
            (1 - p.local_fraction) / np.maximum(other_space[:, None], 1.0),
        )
        out: F64 = rate * per_proto * share
        return out


def _susceptibility(kind: AssetKind, os: str | None, p: SpreadParams) -> float:
    windows = os is not None and "windows" in os.lower()
    if not windows:
        return 0.0
    if kind in (AssetKind.WORKSTATION, AssetKind.LAPTOP):
        return 1.0
    if kind is AssetKind.SERVER:
        return p.server_susceptibility
    if kind is AssetKind.MEDICAL_DEVICE:
        return p.device_susceptibility
    return 0.0


def _thresholds(net: SpreadNetwork, rng: np.random.Generator, runs: int, first: I64) -> F64:
    """(runs, hosts) infection thresholds; initial hosts -1, immune ones `_CAP`."""
    with np.errstate(divide="ignore"):
        theta = rng.standard_exponential((runs, len(net.hostnames))) / net.susceptibility
    np.minimum(theta, _CAP, out=theta)
    pcs = np.flatnonzero(net.workstation)
    if pcs.size and net.params.workstation_vulnerable < 1.0:
        resist = rng.random((runs, pcs.size)) >= net.params.workstation_vulnerable
        theta[:, pcs] = np.where(resist, _CAP, theta[:, pcs])
    theta[:, first] = -1.0
    return theta


def simulate(
    hospital: Hospital | SpreadNetwork,
    params: SpreadParams | None = None,
    initial_infected: Sequence[str] = (),
    controls: Controls | None = None,
    horizons_minutes: Sequence[float] = (60, 360, 1440),
    runs: int = 200,
    seed: int = 0,
    *,
    trajectory: bool = True,
) -> SpreadResult:
    """Monte Carlo of the spread from `initial_infected` (hostnames or IPs) at minute 0.

    Gives, per horizon, the mean, median and 5–95 % interval of infected machines over
    `runs`, and (if `trajectory`) the run whose last-horizon count is nearest the mean,
    host by host.
    """
    if isinstance(hospital, SpreadNetwork):
        net = hospital if params in (None, hospital.params) else hospital.with_params(params)
    else:
        net = SpreadNetwork(hospital, params or SpreadParams())
    if runs < 1:
        raise ValueError("runs must be ≥ 1")
    if not initial_infected:
        raise ValueError("initial_infected must name at least one host")
    first = np.array(sorted({net.host(h) for h in initial_infected}), dtype=np.int64)
    controls = controls or NO_CONTROLS
    quarantined = np.array(
        sorted({net.host(h) for h in controls.quarantined_hosts}), dtype=np.int64
    )
    horizons = tuple(sorted(float(h) for h in horizons_minutes))
    rng = np.random.default_rng(seed)
    theta = _thresholds(net, rng, runs, first)
    totals, by_zone, _ = _run(net, theta, controls, horizons, quarantined, history=False)
    stats = []
    for k, minute in enumerate(horizons):
        col = totals[:, k]
        zone_means = by_zone[k].mean(axis=0)
        stats.append(
            HorizonStat(
                minute=minute,
                mean=float(col.mean()),
                median=float(np.median(col)),
                p05=float(np.percentile(col, 5)),
                p95=float(np.percentile(col, 95)),
                by_zone=tuple(
                    (net.zone_ids[z], round(float(v), 2)) for z, v in enumerate(zone_means) if v > 0
                ),
            )
        )
    traj = None
    if trajectory:
        final = totals[:, -1]
        run = int(np.argmin(np.abs(final - final.mean()) + np.arange(runs) * 1e-9))
        traj = _trajectory(net, theta[run : run + 1], controls, horizons, quarantined, run)
    return SpreadResult(
        hosts=len(net.hostnames),
        susceptible=int((net.susceptibility > 0).sum()),
        runs=runs,
        horizons=tuple(stats),
        totals=totals,
        trajectory=traj,
    )


def _run(
    net: SpreadNetwork,
    theta: F64,
    controls: Controls,
    horizons: tuple[float, ...],
    quarantined: I64,
    *,
    history: bool,
) -> tuple[F64, list[F64], F64 | None]:
    """The time loop, vectorised over runs and zones. Returns totals, per-zone counts, Λ run 0."""
    p = net.params
    runs, n_hosts = theta.shape
    nz = net.zones
    dt = p.step_minutes
    steps = math.ceil(horizons[-1] / dt - 1e-9)
    delay = max(0, round(p.incubation_minutes / dt))
    ta = controls.applied_at_minute
    k_before = net.kernel(controls, after=False)
    k_after = net.kernel(controls, after=True)

    # One sorted key array for all (run, zone) segments: key = θ + BIG·(run·Z + zone).
    sorted_theta = np.empty_like(theta)
    for z in range(nz):
        a, b = int(net.zone_start[z]), int(net.zone_start[z] + net.zone_size[z])
        sorted_theta[:, a:b] = np.sort(theta[:, a:b], axis=1)
    seg = (np.arange(runs)[:, None] * nz + net.zone_of[None, :]).astype(np.float64)
    keys = (sorted_theta + seg * _BIG).ravel()
    del sorted_theta, seg
    seg_base = (np.arange(runs)[:, None] * nz + np.arange(nz)[None, :]) * _BIG
    seg_start = np.arange(runs)[:, None] * n_hosts + net.zone_start[None, :]

    q_zone = net.zone_of[quarantined]
    q_theta = theta[:, quarantined]  # (runs, Q)
    q_onehot = np.zeros((len(quarantined), nz))
    q_onehot[np.arange(len(quarantined)), q_zone] = 1.0

    lam = np.zeros((runs, nz))
    lam_ta: F64 | None = None

    # Λ only grows, so a segment's count changes only once Λ passes its next threshold:
    # search again only those segments (a few per step), not all runs × zones.
    count = (
        np.searchsorted(keys, (seg_base + lam).ravel(), side="right").reshape(runs, nz) - seg_start
    )
    seg_end = seg_start + net.zone_size[None, :]
    keys_pad = np.append(keys, np.inf)

    def next_threshold() -> F64:
        pos = np.minimum(seg_start + count, seg_end)
        nxt: F64 = keys_pad[np.where(pos < seg_end, pos, keys.size)] - seg_base
        return nxt

    nxt = next_threshold()

    def counts(lam: F64) -> tuple[F64, F64]:
        nonlocal nxt
        moved = np.flatnonzero((lam >= nxt).ravel())
        if moved.size:
            flat_count = count.reshape(-1)
            query = seg_base.ravel()[moved] + lam.ravel()[moved]
            start = seg_start.ravel()[moved] + flat_count[moved]
            # Gallop: look at the next few keys first; binary search only the rare long jumps.
            window = keys_pad[np.minimum(start[:, None] + _WINDOW, keys.size)]
            ahead = (window <= query[:, None]).sum(axis=1)
            found = start + ahead
            far = np.flatnonzero(ahead == _WINDOW.size)
            if far.size:
                found[far] = np.searchsorted(keys, query[far], side="right")
            flat_count[moved] = found - seg_start.ravel()[moved]
            pos = np.minimum(seg_start.ravel()[moved] + flat_count[moved], seg_end.ravel()[moved])
            valid = pos < seg_end.ravel()[moved]
            nxt.reshape(-1)[moved] = np.where(
                valid, keys_pad[np.where(valid, pos, keys.size)] - seg_base.ravel()[moved], np.inf
            )
        c = count.astype(np.float64)
        if len(quarantined):
            q = (q_theta <= lam[:, q_zone]).astype(np.float64) @ q_onehot
        else:
            q = np.zeros_like(c)
        return c, q

    ring_c = np.zeros((delay + 1, runs, nz))
    ring_q = np.zeros((delay + 1, runs, nz))
    ring_c[0], ring_q[0] = counts(lam)
    if ta <= 0:
        lam_ta = lam.copy()
    lam_hist = np.zeros((steps + 1, nz)) if history else None
    totals = np.zeros((runs, len(horizons)))
    by_zone: list[F64] = [np.zeros((runs, nz)) for _ in horizons]
    h_steps = [math.ceil(h / dt - 1e-9) for h in horizons]

    def record(k: int, c: F64) -> None:
        infected = c
        if lam_ta is not None and len(quarantined):
            prevented = (q_theta > lam_ta[:, q_zone]) & (q_theta <= lam[:, q_zone])
            infected = c - prevented.astype(np.float64) @ q_onehot
        by_zone[k] = infected
        totals[:, k] = infected.sum(axis=1)

    for k, hs in enumerate(h_steps):
        if hs == 0:
            record(k, ring_c[0])
    cap = _CAP * 0.999
    for t in range(steps):
        tau = t * dt
        after = tau >= ta
        src = (t - delay) % (delay + 1)
        if t >= delay:
            infectious = ring_c[src] - ring_q[src] if after else ring_c[src]
        else:
            infectious = np.zeros((runs, nz))
        lam += dt * (infectious @ (k_after if after else k_before))
        np.minimum(lam, cap, out=lam)
        if lam_ta is None and (t + 1) * dt >= ta:
            lam_ta = lam.copy()
        c, q = counts(lam)
        slot = (t + 1) % (delay + 1)
        ring_c[slot], ring_q[slot] = c, q
        if lam_hist is not None:
            lam_hist[t + 1] = lam[0]
        for k, hs in enumerate(h_steps):
            if hs == t + 1:
                record(k, c)
    return totals, by_zone, lam_hist


def _trajectory(
    net: SpreadNetwork,
    theta: F64,
    controls: Controls,
    horizons: tuple[float, ...],
    quarantined: I64,
    run: int,
) -> Trajectory:
    """Replay one run (same thresholds) keeping its hazard history; date every infection."""
    _, _, lam_hist = _run(net, theta, controls, horizons, quarantined, history=True)
    assert lam_hist is not None
    dt = net.params.step_minutes
    th = theta[0]
    step_of = np.full(len(th), -1, dtype=np.int64)
    for z in range(net.zones):
        a, b = int(net.zone_start[z]), int(net.zone_start[z] + net.zone_size[z])
        idx = np.searchsorted(lam_hist[:, z], th[a:b], side="left")
        idx[th[a:b] < 0] = 0
        reached = (idx < len(lam_hist)) & (th[a:b] < _CAP)
        step_of[a:b] = np.where(reached, idx, -1)
    ta_step = (
        math.ceil(controls.applied_at_minute / dt - 1e-9)
        if math.isfinite(controls.applied_at_minute)
        else None
    )
    if ta_step is not None and len(quarantined):
        late = step_of[quarantined] > ta_step
        step_of[quarantined[late]] = -1
    hosts = np.flatnonzero(step_of >= 0)
    rng = np.random.default_rng(run)
    jitter = rng.random(len(hosts)) * dt  # a time inside the step, not only on its edge
    minute = np.where(step_of[hosts] > 0, (step_of[hosts] - 1) * dt + jitter, 0.0).round(3)
    order = np.lexsort((hosts, minute))
    return Trajectory(
        run=run,
        infections=tuple(
            (net.hostnames[h], net.zone_ids[int(net.zone_of[h])], float(m))
            for h, m in zip(hosts[order], minute[order], strict=True)
        ),
    )
