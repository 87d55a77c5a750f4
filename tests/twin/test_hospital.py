from __future__ import annotations

import hashlib
import ipaddress
from collections import Counter
from pathlib import Path

import pytest

from rempart.model import AssetKind, load_hospital, zone_for_ip
from rempart.twin.hospital import DOMAIN, generate_hospital, write_hospital


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for name in ("hospital.yaml", "inventory.csv"):
        h.update((folder / name).read_bytes())
    return h.hexdigest()


def test_default_hospital_shape() -> None:
    h = generate_hospital()
    assert len(h.assets) == 6000
    buildings = [z for z in h.zones if z.kind == "building"]
    assert len(buildings) == 12
    sizes = Counter(a.zone for a in h.assets)
    assert max(sizes[z.id] for z in buildings) > 3 * min(sizes[z.id] for z in buildings)
    roles = {a.role for a in h.assets if a.kind is AssetKind.SERVER}
    assert {"domain_controller", "file_server", "management", "dpi", "pacs"} <= roles
    assert {"mail_gateway", "proxy", "lab_system"} <= roles
    devices = {a.role for a in h.assets if a.kind is AssetKind.MEDICAL_DEVICE}
    assert {"pompe", "scope", "lit"} <= devices
    ws = [a for a in h.assets if a.kind is AssetKind.WORKSTATION]
    assert all(a.user and a.user.endswith("@" + DOMAIN) for a in ws)
    assert len({a.user for a in ws}) == len(ws)
    assert len({a.ip for a in h.assets}) == len(h.assets)
    assert len({a.hostname for a in h.assets}) == len(h.assets)
    for a in h.assets[::97]:  # every address lies in its zone's CIDR
        assert zone_for_ip(a.ip, h.zones) == a.zone
    vital = {s.id for s in h.services if s.vital}
    assert {"urgences", "samu", "reanimation", "laboratoire"} <= vital
    assert all(s.degraded_procedure for s in h.services)
    kinds = {p.kind for p in h.partners}
    assert {"biology_lab", "treasury", "health_data_host", "samu", "secure_messaging"} <= kinds
    doc = [ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")]
    for p in h.partners:
        for addr in p.addresses:
            assert any(ipaddress.ip_network(addr).subnet_of(d) for d in doc)  # type: ignore[arg-type]
    cidrs = [ipaddress.ip_network(c) for z in h.zones for c in z.cidrs]
    assert not any(a.overlaps(b) for i, a in enumerate(cidrs) for b in cidrs[i + 1 :])


def test_write_load_round_trip_and_same_bytes(tmp_path: Path) -> None:
    h = generate_hospital(machines=400, seed=3)
    path = write_hospital(h, tmp_path / "a")
    assert load_hospital(path) == h
    write_hospital(generate_hospital(machines=400, seed=3), tmp_path / "b")
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    write_hospital(generate_hospital(machines=400, seed=4), tmp_path / "c")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")
    assert "inventory.csv" in path.read_text(encoding="utf-8")


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="buildings"):
        generate_hospital(buildings=13)
    with pytest.raises(ValueError, match="too few"):
        generate_hospital(machines=50)
