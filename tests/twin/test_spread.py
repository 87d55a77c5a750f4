from __future__ import annotations

import numpy as np
import pytest

from rempart.model import Hospital
from rempart.twin.hospital import generate_hospital
from rempart.twin.spread import Controls, SpreadNetwork, SpreadParams, simulate


@pytest.fixture(scope="module")
def small() -> Hospital:
    return generate_hospital(machines=600, buildings=4, seed=1)


def _pz(h: Hospital, zone: str = "bat-c") -> str:
    return next(a.hostname for a in h.assets if a.zone == zone and a.os == "Windows 10")


FAST = SpreadParams(spread_rate=4.0, incubation_minutes=20)


def test_reproducible_with_seed(small: Hospital) -> None:
    a = simulate(small, FAST, [_pz(small)], runs=50, seed=7)
    b = simulate(small, FAST, [_pz(small)], runs=50, seed=7)
    c = simulate(small, FAST, [_pz(small)], runs=50, seed=8)
    assert np.array_equal(a.totals, b.totals)
    assert a.trajectory == b.trajectory
    assert not np.array_equal(a.totals, c.totals)
    assert [h.minute for h in a.horizons] == [60, 360, 1440]
    for h in a.horizons:
        assert 1 <= h.p05 <= h.median <= h.p95 <= a.susceptible
    # totals never decrease over time in any run
    assert (np.diff(a.totals, axis=1) >= 0).all()


def test_spread_grows_and_trajectory_matches(small: Hospital) -> None:
    r = simulate(small, FAST, [_pz(small)], runs=40, seed=1)
    assert r.horizon(1440).mean > 20 * r.horizon(60).mean / 2
    traj = r.trajectory
    assert traj is not None
    assert traj.infections[0] == (_pz(small), "bat-c", 0.0)
    minutes = [m for _, _, m in traj.infections]
    assert minutes == sorted(minutes)
    assert traj.at(1440) == r.totals[traj.run, -1]
    assert traj.at(360) == r.totals[traj.run, 1]
    immune = {a.hostname for a in small.assets if not (a.os or "").startswith("Windows")}
    assert not immune & {h for h, _, _ in traj.infections}


def test_isolation_reduces_infections(small: Hospital) -> None:
    params = SpreadParams(spread_rate=4.0, incubation_minutes=20, cross_building=0.3)
    pz = _pz(small)
    free = simulate(small, params, [pz], runs=60, seed=3)
    buildings = tuple(z.id for z in small.zones if z.kind == "building")
    iso = Controls(isolated_zones=buildings, applied_at_minute=30)
    isolated = simulate(small, params, [pz], iso, runs=60, seed=3)
    assert isolated.horizon(1440).mean < 0.8 * free.horizon(1440).mean
    outside = sum(v for z, v in isolated.horizon(1440).by_zone if z != "bat-c")
    assert outside < sum(v for z, v in free.horizon(1440).by_zone if z != "bat-c")
    smb = Controls(blocked=(("*", "*", 445), ("*", "*", 3389)), applied_at_minute=0)
    assert simulate(small, params, [pz], smb, runs=20, seed=3).horizon(1440).mean == 1.0


def test_quarantine_of_initial_host_stops_spread(small: Hospital) -> None:
    pz = _pz(small)
    q = Controls(quarantined_hosts=(pz,), applied_at_minute=0)
    r = simulate(small, FAST, [pz], q, runs=30, seed=2)
    assert r.totals.max() == 1  # patient zero stays counted, nobody else
    ip = next(a.ip for a in small.assets if a.hostname == pz)
    assert ip is not None
    late = Controls(quarantined_hosts=(ip,), applied_at_minute=600)
    assert simulate(small, FAST, [pz], late, runs=30, seed=2).horizon(1440).mean > 1


def test_network_reuse_and_bad_input(small: Hospital) -> None:
    net = SpreadNetwork(small)
    r1 = simulate(net, FAST, [_pz(small)], runs=10, seed=4, trajectory=False)
    r2 = simulate(small, FAST, [_pz(small)], runs=10, seed=4, trajectory=False)
    assert np.array_equal(r1.totals, r2.totals)
    assert r1.trajectory is None
    with pytest.raises(KeyError, match="unknown host"):
        simulate(net, None, ["nope"], runs=1)
    with pytest.raises(ValueError, match="between 0 and 1"):
        SpreadParams(smb_success=1.5)
