"""A small hand-made hospital: two buildings, a server room, a biomedical network, partners."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rempart.contain import HostRef, Situation
from rempart.model import Hospital

SMALL: dict[str, object] = {
    "hospital": {"name": "CH Test", "internal_ranges": ["10.0.0.0/8"]},
    "zones": [
        {"id": "bat-a", "name": "A", "cidrs": ["10.1.0.0/16"]},
        {"id": "bat-b", "name": "B", "cidrs": ["10.2.0.0/16"]},
        {"id": "dc", "name": "Serveurs", "kind": "server", "cidrs": ["10.10.0.0/24"]},
        {"id": "biomed", "name": "Biomédical", "kind": "medical", "cidrs": ["10.30.0.0/16"]},
    ],
    "assets": [
        {"hostname": "dpi01", "ip": "10.10.0.30", "zone": "dc", "kind": "server"},
        {"hostname": "fs01", "ip": "10.10.0.20", "zone": "dc", "kind": "server",
         "role": "file_server"},
        {"hostname": "pacs01", "ip": "10.10.0.40", "zone": "dc", "kind": "server"},
        {"hostname": "pc-a-1", "ip": "10.1.0.11", "zone": "bat-a"},
        {"hostname": "pc-b-1", "ip": "10.2.0.11", "zone": "bat-b"},
    ],
    "services": [
        {
            "id": "urgences", "name": "Urgences", "kind": "emergency", "vital": True,
            "zones": ["bat-a"],
            "depends_on": [
                {"kind": "asset", "ref": "dpi01"},
                {"kind": "asset", "ref": "pacs01", "vital": False},
                {"kind": "partner", "ref": "labo"},
                {"kind": "service", "ref": "labo-interne", "vital": False},
            ],
            "degraded_procedure": "Dossiers papier.",
        },
        {
            "id": "labo-interne", "name": "Laboratoire", "kind": "lab", "vital": False,
            "zones": ["bat-b"],
            "depends_on": [{"kind": "asset", "ref": "fs01"}],
            "degraded_procedure": "Résultats par téléphone.",
        },
        {
            "id": "paie", "name": "Paie", "kind": "administration", "vital": False,
            "zones": ["bat-b"],
            "depends_on": [{"kind": "partner", "ref": "tresor", "vital": True}],
            "degraded_procedure": "Virements manuels.",
        },
    ],
    "partners": [
        {"id": "labo", "name": "Labo", "kind": "biology_lab", "vital": True,
         "addresses": ["198.51.100.10/32"], "ports": [443]},
        {"id": "tresor", "name": "Trésor", "kind": "treasury",
         "addresses": ["198.51.100.20/32"], "ports": [443]},
        {"id": "hds", "name": "HDS", "kind": "health_data_host",
         "addresses": ["203.0.113.0/28"], "ports": [443]},
        {"id": "vendeur", "name": "Télémaintenance", "kind": "vendor",
         "addresses": ["192.0.2.50/32"], "ports": [22, 443]},
    ],
}  # fmt: skip

T0 = datetime(2019, 3, 11, 9, 40, tzinfo=UTC)


@pytest.fixture
def hospital() -> Hospital:
    return Hospital.model_validate(SMALL)


@pytest.fixture
def situation() -> Situation:
    return Situation(
        observed_at=T0,
        infected=(HostRef(ip="10.1.0.11"), HostRef(ip="10.1.0.12", hostname="pc-a-2")),
        suspected=(HostRef(ip="10.1.0.13"),),
        senders=("rh@ch-test1.fr",),
        domains=("ch-test1.fr",),
        indicators=(
            "203.0.113.200",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        compromised_accounts=("jdupont",),
        campaign_message_ids=("<abc@ch-test1.fr>",),
    )
