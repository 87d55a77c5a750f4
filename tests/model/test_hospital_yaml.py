from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from rempart.core.errors import ModelError
from rempart.model import AssetKind, load_hospital

EXAMPLE = Path(str(resources.files("rempart.model") / "examples" / "hospital.yaml"))


def test_example_loads_with_inventory() -> None:
    h = load_hospital(EXAMPLE)
    assert {z.id for z in h.zones} >= {"bat-a", "bat-b", "dc", "biomed"}
    by_name = {a.hostname: a for a in h.assets}
    # zone of pc-b-0001 is not in the CSV: it is inferred from its IP address
    assert by_name["pc-b-0001"].zone == "bat-b"
    assert by_name["portable-01"].kind is AssetKind.LAPTOP
    urgences = next(s for s in h.services if s.id == "urgences")
    pacs = next(d for d in urgences.depends_on if d.ref == "pacs01")
    assert urgences.dependency_is_vital(pacs) is False


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "hospital.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_bad_cidr_reports_its_line(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        "hospital:\n  name: X\nzones:\n  - id: a\n    name: A\n    cidrs: [10.0.0.0/33]\n",
    )
    with pytest.raises(ModelError) as err:
        load_hospital(p)
    (loc, msg), *_ = err.value.problems
    assert loc.line == 6
    assert "CIDR" in msg


def test_broadcast_senders_lowered_and_a_bad_one_reports_its_line(tmp_path: Path) -> None:
    ok = _write(
        tmp_path, "hospital:\n  name: X\n  broadcast_senders: [Com@CHU.fr, '*@info.chu.fr']\n"
    )
    assert load_hospital(ok).hospital.broadcast_senders == ("com@chu.fr", "*@info.chu.fr")
    bad = _write(tmp_path, "hospital:\n  name: X\n  broadcast_senders:\n    - communication\n")
    with pytest.raises(ModelError) as err:
        load_hospital(bad)
    (loc, msg), *_ = err.value.problems
    assert loc.line == 4
    assert "not a mail address or pattern" in msg


def test_unknown_zone_reference_reports_its_line(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        "hospital:\n  name: X\nzones:\n  - {id: a, name: A}\nservices:\n"
        "  - id: s\n    name: S\n    depends_on:\n      - {kind: zone, ref: nowhere}\n",
    )
    with pytest.raises(ModelError) as err:
        load_hospital(p)
    (loc, msg), *_ = err.value.problems
    assert loc.line == 9
    assert "nowhere" in msg


def test_yaml_syntax_error_has_line(tmp_path: Path) -> None:
    p = _write(tmp_path, "hospital:\n  name: X\nzones: [\n")
    with pytest.raises(ModelError) as err:
        load_hospital(p)
    assert err.value.problems[0][0].line is not None


def test_glpi_export_and_bad_row(tmp_path: Path) -> None:
    (tmp_path / "glpi.csv").write_text(
        "Nom;Statut;Type;Système d'exploitation - Nom;Lieu;Adresse IP\n"
        "PC-URG-01;En service;Poste fixe;Windows 10;Bâtiment A;10.1.3.4\n"
        "SRV-01;En service;Serveur;Windows Server;;10.10.0.99\n"
        "BAD;En service;Poste fixe;Windows 10;;999.1.1.1\n",
        encoding="utf-8",
    )
    p = _write(
        tmp_path,
        "hospital:\n  name: X\nzones:\n  - {id: bat-a, name: Bâtiment A, cidrs: [10.1.0.0/16]}\n"
        "  - {id: dc, name: DC, kind: server, cidrs: [10.10.0.0/24]}\n"
        "inventories:\n  - {path: glpi.csv}\n",
    )
    with pytest.raises(ModelError) as err:
        load_hospital(p)
    (loc, msg), *_ = err.value.problems
    assert loc.file.endswith("glpi.csv") and loc.line == 4
    assert "IP" in msg
    (tmp_path / "glpi.csv").write_text(
        "\n".join((tmp_path / "glpi.csv").read_text(encoding="utf-8").splitlines()[:3]) + "\n",
        encoding="utf-8",
    )
    h = load_hospital(p)
    assets = {a.hostname: a for a in h.assets}
    assert assets["PC-URG-01"].zone == "bat-a"
    assert assets["SRV-01"].kind is AssetKind.SERVER and assets["SRV-01"].zone == "dc"
