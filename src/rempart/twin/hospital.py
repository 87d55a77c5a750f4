"""A seeded synthetic French hospital (CHU-like), written as hospital.yaml + inventory.csv.

The twin must look like a real CHU to every part of Rempart (zones per building, servers with
roles, biomedical devices, Wi-Fi laptops, care services that depend on systems and partners),
yet be reproducible: the same seed gives the same model and the same bytes on disk. Building
shares are a fixed table so that a scenario's shape (how big patient zero's building is) does
not drift with the seed; the seed moves names, addresses, operating systems and users.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import math
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict

from rempart.core.datafile import load_data
from rempart.model.hospital import (
    Asset,
    AssetKind,
    CareService,
    Criticality,
    Dependency,
    DependencyKind,
    Door,
    DoorKind,
    Hospital,
    HospitalInfo,
    Inventory,
    Partner,
    Person,
    Site,
    Zone,
    ZoneKind,
)

__all__ = ["BUILDINGS", "DOMAIN", "generate_hospital", "write_hospital"]

DOMAIN = "chu-exemple.fr"
INVENTORY_NAME = "inventory.csv"
INVENTORY_COLUMNS = ("hostname", "ip", "zone", "kind", "os", "criticality", "role", "mac", "user")


@dataclass(frozen=True)
class _Building:
    id: str
    letter: str
    name: str
    share: float  # of the workstations
    site: str


# Uneven on purpose: real CHU buildings range from a small geriatric wing to a big medical block.
BUILDINGS: tuple[_Building, ...] = (
    _Building("bat-a", "A", "Bâtiment A – Urgences et SAMU", 0.11, "site-principal"),
    _Building("bat-b", "B", "Bâtiment B – Bloc opératoire et réanimation", 0.09, "site-principal"),
    _Building("bat-c", "C", "Bâtiment C – Médecine", 0.14, "site-principal"),
    _Building("bat-d", "D", "Bâtiment D – Chirurgie", 0.12, "site-principal"),
    _Building("bat-e", "E", "Bâtiment E – Femme-mère-enfant", 0.08, "site-principal"),
    _Building("bat-f", "F", "Bâtiment F – Imagerie", 0.06, "site-principal"),
    _Building("bat-g", "G", "Bâtiment G – Laboratoires", 0.07, "site-principal"),
    _Building("bat-h", "H", "Bâtiment H – Pharmacie et logistique", 0.04, "site-principal"),
    _Building("bat-i", "I", "Bâtiment I – Administration et finances", 0.10, "site-nord"),
    _Building("bat-j", "J", "Bâtiment J – Consultations externes", 0.11, "site-nord"),
    _Building("bat-k", "K", "Bâtiment K – Psychiatrie", 0.05, "site-nord"),
    _Building("bat-l", "L", "Bâtiment L – Gériatrie et SSR", 0.03, "site-nord"),
)

# (hostname, role, os, criticality, zone) of the fixed servers.
_SERVERS: tuple[tuple[str, str, str, Criticality, str], ...] = (
    ("dc01", "domain_controller", "Windows Server 2016", Criticality.VITAL, "serveurs"),
    ("dc02", "domain_controller", "Windows Server 2016", Criticality.VITAL, "serveurs"),
    ("dc03", "domain_controller", "Windows Server 2012 R2", Criticality.VITAL, "serveurs"),
    ("dns01", "dns", "Windows Server 2016", Criticality.HIGH, "serveurs"),
    ("dns02", "dns", "Windows Server 2016", Criticality.HIGH, "serveurs"),
    ("fs01", "file_server", "Windows Server 2012 R2", Criticality.HIGH, "serveurs"),
    ("fs02", "file_server", "Windows Server 2012 R2", Criticality.HIGH, "serveurs"),
    ("fs03", "file_server", "Windows Server 2016", Criticality.HIGH, "serveurs"),
    ("fs04", "file_server", "Windows Server 2016", Criticality.MEDIUM, "serveurs"),
    ("sccm01", "management", "Windows Server 2016", Criticality.HIGH, "serveurs"),
    ("sccm02", "management", "Windows Server 2016", Criticality.MEDIUM, "serveurs"),
    ("wsus01", "management", "Windows Server 2016", Criticality.MEDIUM, "serveurs"),
    ("dpi01", "dpi", "Red Hat Enterprise Linux 7", Criticality.VITAL, "serveurs"),
    ("dpi02", "dpi", "Red Hat Enterprise Linux 7", Criticality.VITAL, "serveurs"),
    ("pacs01", "pacs", "Red Hat Enterprise Linux 7", Criticality.HIGH, "serveurs"),
    ("pacs02", "pacs", "Red Hat Enterprise Linux 7", Criticality.HIGH, "serveurs"),
    ("sil01", "lab_system", "Red Hat Enterprise Linux 6", Criticality.VITAL, "serveurs"),
    ("eai01", "interface_engine", "Red Hat Enterprise Linux 7", Criticality.VITAL, "serveurs"),
    ("pharma01", "pharmacy", "Windows Server 2012 R2", Criticality.HIGH, "serveurs"),
    ("gef01", "finance", "Windows Server 2012 R2", Criticality.HIGH, "serveurs"),
    ("paie01", "payroll", "Windows Server 2012 R2", Criticality.MEDIUM, "serveurs"),
    ("exch01", "mail_server", "Windows Server 2016", Criticality.HIGH, "serveurs"),
    ("exch02", "mail_server", "Windows Server 2016", Criticality.HIGH, "serveurs"),
    ("rds01", "remote_desktop", "Windows Server 2012 R2", Criticality.MEDIUM, "serveurs"),
    ("rds02", "remote_desktop", "Windows Server 2012 R2", Criticality.MEDIUM, "serveurs"),
    ("print01", "print_server", "Windows Server 2012 R2", Criticality.LOW, "serveurs"),
    ("av01", "antivirus", "Windows Server 2016", Criticality.MEDIUM, "serveurs"),
    ("backup01", "backup", "Windows Server 2016", Criticality.HIGH, "serveurs"),
    ("samu01", "samu_regulation", "Windows Server 2016", Criticality.VITAL, "serveurs"),
    ("mx01", "mail_gateway", "Debian 9", Criticality.HIGH, "dmz"),
    ("proxy01", "proxy", "Debian 9", Criticality.HIGH, "dmz"),
    ("vpn01", "vpn", "FortiOS 6.0", Criticality.HIGH, "dmz"),
    ("mss01", "secure_messaging", "Debian 9", Criticality.MEDIUM, "dmz"),
    ("web01", "web_portal", "Debian 9", Criticality.LOW, "dmz"),
)

# (prefix, label, os choices, criticality, share of the medical devices)
_DEVICES: tuple[tuple[str, str, tuple[str, ...], Criticality, float], ...] = (
    ("pompe", "pompe à insuline", ("RTOS",), Criticality.VITAL, 0.30),
    (
        "scope",
        "moniteur patient",
        ("Embedded Linux", "Windows 7 Embedded"),
        Criticality.VITAL,
        0.28,
    ),
    ("lit", "lit connecté Wi-Fi", ("Embedded Linux",), Criticality.MEDIUM, 0.18),
    ("pousse", "pousse-seringue", ("RTOS",), Criticality.VITAL, 0.12),
    ("automate", "automate de biologie", ("Windows 7 Embedded",), Criticality.HIGH, 0.07),
    (
        "modalite",
        "modalité d'imagerie",
        ("Windows 10 IoT", "Embedded Linux"),
        Criticality.HIGH,
        0.05,
    ),
)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_FIRST = _words(
    "alice anne antoine arnaud audrey aurelie baptiste benjamin camille caroline catherine "
    "cecile celine charlotte chloe christine christophe claire clement damien david delphine "
    "elodie emilie emma eric fabien florence francois frederic gaelle guillaume helene hugo "
    "isabelle jacques jean julie julien karine laetitia laura laurent lea lucas lucie manon "
    "marc marie martine mathieu maxime melanie michel nathalie nicolas olivier pascal patrick "
    "pauline philippe pierre romain sandrine sarah sebastien sophie stephane sylvie thomas "
    "valerie vincent virginie xavier yann"
)
_LAST = _words(
    "martin bernard thomas petit robert richard durand dubois moreau laurent simon michel "
    "lefebvre leroy roux david bertrand morel fournier girard bonnet dupont lambert fontaine "
    "rousseau vincent muller lefevre faure andre mercier blanc guerin boyer garnier chevalier "
    "francois legrand gauthier garcia perrin robin clement morin nicolas henry roussel mathieu "
    "gautier masson marchand duval denis dumont marie lemaire noel meyer dufour meunier brun "
    "blanchard giraud joly riviere lucas brunet gaillard barbier arnaud martinez gerard roche "
    "renard schmitt roy leroux colin vidal caron picard roger fabre aubert lemoine renaud "
    "dumas lacroix olivier philippe bourgeois pierre benoit rey leclerc payet rolland"
)

_WIN_DESKTOP = ("Windows 10", "Windows 7", "Windows 11")
_WIN_DESKTOP_P = (0.83, 0.12, 0.05)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _prefix_for(hosts: int) -> int:
    """A subnet two to four times the hosts it holds, as a real DHCP scope would be."""
    needed = max(64, hosts * 3)
    return max(16, min(24, 32 - math.ceil(math.log2(needed))))


def _split(total: int, shares: list[float]) -> list[int]:
    """Largest-remainder split of `total` by `shares` (deterministic, sums exactly)."""
    raw = [total * s / sum(shares) for s in shares]
    base = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (base[i] - raw[i], i))
    for i in order[: total - sum(base)]:
        base[i] += 1
    return base


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.users: set[str] = set()

    def user(self) -> str:
        first = _FIRST[int(self.rng.integers(len(_FIRST)))]
        last = _LAST[int(self.rng.integers(len(_LAST)))]
        base = f"{first}.{last}"
        name, n = base, 1
        while name in self.users:
            n += 1
            name = f"{base}{n}"
        self.users.add(name)
        return f"{name}@{DOMAIN}"

    def addresses(self, cidr: str, count: int, first: int = 10) -> list[str]:
        """`count` addresses of `cidr`, spread with gaps (leases come and go), sorted."""
        net = ipaddress.ip_network(cidr)
        usable = net.num_addresses - first - 1
        if count > usable:
            raise ValueError(f"{cidr} cannot hold {count} hosts")
        offsets = np.sort(self.rng.choice(usable, size=count, replace=False)) + first
        return [str(net.network_address + int(o)) for o in offsets]

    def mac(self) -> str:
        octets = [0x00, 0x50, 0x56, *(int(x) for x in self.rng.integers(0, 256, size=3))]
        return ":".join(f"{o:02x}" for o in octets)


def _zones(blds: tuple[_Building, ...], counts: dict[str, int]) -> tuple[Zone, ...]:
    zones: list[Zone] = []
    for i, b in enumerate(blds):
        prefix = _prefix_for(counts[b.id])
        cidr = f"10.{20 + i}.0.0/{prefix}"
        zones.append(
            Zone(
                id=b.id,
                name=b.name,
                site=b.site,
                kind=ZoneKind.BUILDING,
                building=b.letter,
                vlan=100 + 10 * (i + 1),
                cidrs=(cidr,),
            )
        )
    zones += [
        Zone(
            id="serveurs",
            name="Salle serveurs (datacenter)",
            site="site-principal",
            kind=ZoneKind.SERVER,
            vlan=10,
            cidrs=("10.10.0.0/23",),
        ),
        Zone(
            id="dmz",
            name="DMZ (passerelle mail, proxy, VPN)",
            site="site-principal",
            kind=ZoneKind.DMZ,
            vlan=5,
            cidrs=("10.5.0.0/24",),
        ),
        Zone(
            id="biomed",
            name="Réseau biomédical",
            site="site-principal",
            kind=ZoneKind.MEDICAL,
            vlan=300,
            cidrs=(f"10.40.0.0/{_prefix_for(counts['biomed'])}",),
        ),
        Zone(
            id="wifi-soins",
            name="Wi-Fi des soignants",
            site="site-principal",
            kind=ZoneKind.WIFI,
            vlan=500,
            cidrs=(f"10.50.0.0/{_prefix_for(counts['wifi-soins'])}",),
        ),
        Zone(
            id="reseau",
            name="Administration réseau (switches, bornes)",
            site="site-principal",
            kind=ZoneKind.ADMIN,
            vlan=2,
            cidrs=(f"10.2.0.0/{_prefix_for(counts['reseau'])}",),
        ),
    ]
    return tuple(zones)


class _TwinPartners(BaseModel):
    """data/partners.yaml: the twin's external partners."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    partners: tuple[Partner, ...]


def _partners() -> tuple[Partner, ...]:
    """The twin's partners, kept as data in data/partners.yaml (read once, validated)."""
    return load_data("rempart.twin", "partners.yaml", _TwinPartners).partners


def _doors(ip_of: dict[str, str], wifi_cidr: str) -> tuple[Door, ...]:
    def at(host: str) -> tuple[str, ...]:
        return (f"{ip_of[host]}/32",) if host in ip_of else ()

    door = DoorKind
    return (
        Door(id="mx", name="Passerelle de messagerie", kind=door.EMAIL_GATEWAY, asset="mx01",
             addresses=at("mx01"), ports=(25,)),
        Door(id="proxy", name="Proxy internet", kind=door.PROXY, asset="proxy01",
             addresses=at("proxy01"), ports=(3128,)),
        Door(id="vpn", name="VPN nomades et astreintes", kind=door.VPN, asset="vpn01",
             addresses=at("vpn01"), ports=(443,)),
        Door(id="telemaintenance", name="Accès de télémaintenance imagerie",
             kind=door.REMOTE_MAINTENANCE, addresses=("192.0.2.50/32",), ports=(22, 443, 5938),
             partner="maintenance-imagerie"),
        Door(id="wifi", name="Wi-Fi des soignants", kind=door.WIFI, addresses=(wifi_cidr,)),
        Door(id="portail", name="Portail patients", kind=door.WEB_PORTAL, asset="web01",
             addresses=at("web01"), ports=(443,)),
        Door(id="lien-samu", name="Liaison SAMU régionale", kind=door.PARTNER_LINK,
             addresses=("198.51.100.40/32",), ports=(443, 5061), partner="samu-lien"),
        Door(id="lien-hds", name="Lien vers l'hébergeur HDS", kind=door.PARTNER_LINK,
             addresses=("203.0.113.0/28",), ports=(443,), partner="hds"),
    )  # fmt: skip


def _dep(
    kind: DependencyKind, ref: str, vital: bool | None = None, note: str | None = None
) -> Dependency:
    return Dependency(kind=kind, ref=ref, vital=vital, note=note)


A, Z, P = DependencyKind.ASSET, DependencyKind.ZONE, DependencyKind.PARTNER


# The fallback procedures in English (the French ones are written with each service below).
PROCEDURES_EN = {
    "urgences": "Paper records, paper test requests, lab results read out over the phone.",
    "samu": "Dispatch on paper forms, calls switched over to the neighbouring 15 centre.",
    "bloc": "Surgery schedule printed the day before, paper checklists, life-threatening "
    "emergencies only.",
    "reanimation": "Bedside monitoring, pumps in stand-alone mode, paper charts and handovers.",
    "medecine": "Paper prescriptions and handovers, printed care plan.",
    "chirurgie": "Paper records, non-urgent consultations postponed.",
    "maternite": "Paper partograms, fetal monitoring in local mode.",
    "radiologie": "Reading on the modality console, dictated reports, emergencies first.",
    "laboratoire": "Critical results phoned through, paper requests, samples sent by courier.",
    "pharmacie": "Dispensing on paper prescriptions, emergency stocks in the wards.",
    "finances": "Urgent transfers confirmed by phone with the treasury, last month's payroll "
    "repeated.",
    "consultations": "Consultations kept on paper records, non-urgent appointments postponed.",
    "psychiatrie": "Paper handovers.",
    "geriatrie": "Printed care plans, paper handovers.",
    "coordination": "Discharge letters printed and handed to the patient, faxes to GPs.",
}


def _services() -> tuple[CareService, ...]:
    def svc(
        id_: str, name: str, kind: str, vital: bool, zones: tuple[str, ...],
        deps: tuple[Dependency, ...], degraded: str,
    ) -> CareService:  # fmt: skip
        return CareService(
            id=id_, name=name, kind=kind, vital=vital, zones=zones,
            depends_on=deps, degraded_procedure=degraded,
            degraded_procedure_en=PROCEDURES_EN.get(id_),
        )  # fmt: skip

    return (
        svc("urgences", "Urgences adultes", "emergency", True, ("bat-a",), (
            _dep(A, "dpi01"), _dep(A, "dc01"), _dep(A, "sil01"),
            _dep(A, "pacs01", vital=False, note="imagerie différée possible"),
            _dep(P, "labo-biosud"),
        ), "Dossiers papier, bons d'examen papier, résultats de biologie dictés par téléphone."),
        svc("samu", "SAMU – centre 15", "samu", True, ("bat-a",), (
            _dep(A, "samu01"), _dep(P, "samu-lien"), _dep(A, "dc01"),
        ), "Régulation sur fiches papier, bascule des appels vers le centre 15 voisin."),
        svc("bloc", "Bloc opératoire", "surgery", True, ("bat-b",), (
            _dep(A, "dpi01"), _dep(Z, "biomed"),
            _dep(A, "pacs01", vital=False, note="clichés sur CD si besoin"),
        ), "Programme opératoire imprimé la veille, checklists papier, urgences vitales seules."),
        svc("reanimation", "Réanimation", "icu", True, ("bat-b",), (
            _dep(Z, "biomed"), _dep(A, "dpi01"), _dep(A, "eai01"),
        ), "Surveillance au lit, pompes en mode autonome, pancartes et transmissions papier."),
        svc("medecine", "Médecine polyvalente", "medicine", False, ("bat-c",), (
            _dep(A, "dpi01"), _dep(A, "fs01"), _dep(A, "print01", vital=False),
        ), "Prescriptions et transmissions papier, plan de soins imprimé."),
        svc("chirurgie", "Chirurgie", "surgery", False, ("bat-d",), (
            _dep(A, "dpi01"), _dep(A, "fs02"),
        ), "Dossiers papier, consultations reportées si non urgentes."),
        svc("maternite", "Maternité", "maternity", True, ("bat-e",), (
            _dep(A, "dpi01"), _dep(Z, "biomed"),
        ), "Partogrammes papier, monitoring fœtal en mode local."),
        svc("radiologie", "Radiologie et imagerie", "radiology", False, ("bat-f",), (
            _dep(A, "pacs01"), _dep(A, "pacs02"),
            _dep(P, "maintenance-imagerie", vital=False),
            _dep(P, "hds", vital=False, note="archivage externalisé"),
        ), "Lecture sur console de la modalité, comptes rendus dictés, priorité aux urgences."),
        svc("laboratoire", "Laboratoire de biologie", "lab", True, ("bat-g",), (
            _dep(A, "sil01"), _dep(A, "eai01"),
            _dep(P, "labo-biosud"), _dep(P, "labo-occitanie"),
        ), "Résultats critiques téléphonés, bons papier, envoi des prélèvements par coursier."),
        svc("pharmacie", "Pharmacie à usage intérieur", "pharmacy", True, ("bat-h",), (
            _dep(A, "pharma01"), _dep(A, "dpi01"),
        ), "Délivrance sur ordonnances papier, dotations de secours dans les services."),
        svc("finances", "Administration, finances et paie", "administration", False, ("bat-i",), (
            _dep(A, "gef01"), _dep(A, "paie01"),
            _dep(P, "tresorerie", vital=True, note="paiement des fournisseurs et des salaires"),
            _dep(P, "paie-externe"),
        ), "Virements urgents validés par téléphone avec la trésorerie, "
        "paie du mois précédent reconduite."),
        svc("consultations", "Consultations externes", "outpatient", False, ("bat-j",), (
            _dep(A, "dpi01"), _dep(A, "rds01"),
        ), "Consultations maintenues sur dossier papier, rendez-vous non urgents reportés."),
        svc("psychiatrie", "Psychiatrie", "psychiatry", False, ("bat-k",), (
            _dep(A, "dpi01"),
        ), "Transmissions papier."),
        svc("geriatrie", "Gériatrie et SSR", "geriatrics", False, ("bat-l",), (
            _dep(A, "dpi01"),
        ), "Plans de soins imprimés, transmissions papier."),
        svc("coordination", "Coordination ville-hôpital", "coordination", False, ("bat-j",), (
            _dep(P, "mssante"), _dep(A, "mss01"),
        ), "Courriers de sortie imprimés et remis au patient, fax aux médecins traitants."),
    )  # fmt: skip


def _people() -> tuple[Person, ...]:
    return tuple(
        Person(name=name, role=role, email=f"{_ascii(name).lower().replace(' ', '.')}@{DOMAIN}")
        for name, role in (
            ("Hélène Garnier", "Directrice générale"),
            ("Philippe Moreau", "Directeur des affaires financières"),
            ("Sophie Lambert", "Directrice des ressources humaines"),
            ("Laurent Vidal", "Directeur des systèmes d'information"),
            ("Nadia Benali", "RSSI"),
            ("Jean-Marc Roussel", "Président de la CME"),
            ("Isabelle Faure", "Directrice des soins"),
        )
    )


def generate_hospital(machines: int = 6000, buildings: int = 12, seed: int = 0) -> Hospital:
    """A CHU-like hospital with `machines` assets over `buildings` building zones (≤ 12)."""
    if not 1 <= buildings <= len(BUILDINGS):
        raise ValueError(f"buildings must be between 1 and {len(BUILDINGS)}")
    blds = BUILDINGS[:buildings]
    b = _Builder(seed)
    n_servers = len(_SERVERS)
    n_network = 2 * buildings + 4
    n_devices = round(machines * 0.07)
    n_laptops = round(machines * 0.05)
    n_ws = machines - n_servers - n_network - n_devices - n_laptops
    if n_ws < buildings:
        raise ValueError(f"too few machines ({machines}) for {buildings} buildings")
    ws_counts = _split(n_ws, [x.share for x in blds])
    counts = {x.id: c for x, c in zip(blds, ws_counts, strict=True)}
    counts.update({"biomed": n_devices, "wifi-soins": n_laptops, "reseau": n_network})
    zones = _zones(blds, counts)
    cidr = {z.id: z.cidrs[0] for z in zones}
    assets: list[Asset] = []

    server_ips = b.addresses(cidr["serveurs"], sum(1 for s in _SERVERS if s[4] == "serveurs"))
    dmz_ips = b.addresses(cidr["dmz"], sum(1 for s in _SERVERS if s[4] == "dmz"))
    ips = {"serveurs": iter(server_ips), "dmz": iter(dmz_ips)}
    for host, role, os_, crit, zone in _SERVERS:
        assets.append(
            Asset(
                hostname=host,
                ip=next(ips[zone]),
                zone=zone,
                kind=AssetKind.SERVER,
                os=os_,
                criticality=crit,
                role=role,
                mac=b.mac(),
            )
        )

    net_ips = iter(b.addresses(cidr["reseau"], n_network))
    for x in blds:
        for k in (1, 2):
            assets.append(
                Asset(
                    hostname=f"sw-{x.letter.lower()}-{k:02d}",
                    ip=next(net_ips),
                    zone="reseau",
                    kind=AssetKind.NETWORK,
                    os="Cisco IOS",
                    criticality=Criticality.HIGH,
                    role="switch",
                )
            )
    for k, (host, role) in enumerate(
        (
            ("fw-coeur", "firewall"),
            ("fw-dmz", "firewall"),
            ("wlc01", "wifi_controller"),
            ("core-sw01", "core_switch"),
        )
    ):
        assets.append(
            Asset(
                hostname=host,
                ip=next(net_ips),
                zone="reseau",
                kind=AssetKind.NETWORK,
                os="FortiOS 6.0" if k < 2 else "Cisco IOS",
                criticality=Criticality.VITAL,
                role=role,
            )
        )

    for x, n in zip(blds, ws_counts, strict=True):
        oses = b.rng.choice(len(_WIN_DESKTOP), size=n, p=_WIN_DESKTOP_P)
        for k, ip in enumerate(b.addresses(cidr[x.id], n)):
            assets.append(
                Asset(
                    hostname=f"pc-{x.letter.lower()}-{k + 1:04d}",
                    ip=ip,
                    zone=x.id,
                    kind=AssetKind.WORKSTATION,
                    os=_WIN_DESKTOP[int(oses[k])],
                    criticality=Criticality.MEDIUM,
                    mac=b.mac(),
                    user=b.user(),
                )
            )

    dev_counts = _split(n_devices, [d[4] for d in _DEVICES])
    dev_ips = iter(b.addresses(cidr["biomed"], n_devices))
    for (prefix, _label, oses_d, crit, _share), n in zip(_DEVICES, dev_counts, strict=True):
        for k in range(n):
            assets.append(
                Asset(
                    hostname=f"{prefix}-{k + 1:04d}",
                    ip=next(dev_ips),
                    zone="biomed",
                    kind=AssetKind.MEDICAL_DEVICE,
                    os=oses_d[int(b.rng.integers(len(oses_d)))],
                    criticality=crit,
                    role=prefix,
                    mac=b.mac(),
                )
            )

    for k, ip in enumerate(b.addresses(cidr["wifi-soins"], n_laptops)):
        assets.append(
            Asset(
                hostname=f"portable-{k + 1:04d}",
                ip=ip,
                zone="wifi-soins",
                kind=AssetKind.LAPTOP,
                os="Windows 10",
                criticality=Criticality.MEDIUM,
                mac=b.mac(),
                user=b.user(),
            )
        )

    building_ids = {x.id for x in blds}
    services = tuple(
        s
        for s in _services()
        if all(z in building_ids or not z.startswith("bat-") for z in s.zones)
    )
    return Hospital(
        hospital=HospitalInfo(
            name="CHU Exemple (jumeau numérique)",
            finess="340000000",
            domains=(DOMAIN,),
            internal_ranges=("10.0.0.0/8",),
        ),
        sites=(
            Site(id="site-principal", name="Hôpital principal", city="Exempleville"),
            Site(id="site-nord", name="Site nord", city="Exempleville"),
        ),
        zones=zones,
        assets=tuple(assets),
        services=services,
        partners=_partners(),
        doors=_doors({a.hostname: str(a.ip) for a in assets if a.ip}, cidr["wifi-soins"]),
        people=_people(),
        inventories=(Inventory(path=INVENTORY_NAME, format="rempart"),),
    )


_HEADER = """\
# hospital.yaml du jumeau numérique Rempart : un CHU synthétique ({machines} équipements,
# {zones} zones). Généré par `rempart twin generate` ; les équipements sont dans {inventory}.
# Même graine, mêmes octets. Les adresses externes sont des plages de documentation.
"""

_SECTIONS: tuple[tuple[str, str], ...] = (
    ("hospital", "L'établissement"),
    ("sites", "Sites"),
    ("zones", "Zones : ce que le confinement isole (bâtiments, VLAN, Wi-Fi, DMZ)"),
    ("inventories", "Inventaires d'équipements (colonnes Rempart)"),
    ("services", "Services de soins, leurs dépendances et leur mode dégradé"),
    ("partners", "Partenaires externes : les flux qu'une coupure internet doit garder"),
    ("doors", "Portes d'entrée depuis l'extérieur"),
    ("people", "Personnes dont le nom peut être usurpé"),
)


class _Dumper(yaml.SafeDumper):
    pass


def _short_lists(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(not isinstance(v, dict | list) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


class _Flow(dict[str, Any]):
    """A small mapping written on one line: `{kind: asset, ref: dpi01}`."""


def _flow_map(dumper: yaml.SafeDumper, data: _Flow) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=True)


_Dumper.add_representer(list, _short_lists)
_Dumper.add_representer(_Flow, _flow_map)


def hospital_yaml(h: Hospital, machines: int) -> str:
    """hospital.yaml text: every section but the assets (those go to the inventory CSV)."""
    data = h.model_dump(mode="json", exclude_defaults=True, exclude={"assets"})
    for service in data.get("services", []):
        service["depends_on"] = [_Flow(d) for d in service.get("depends_on", [])]
    for key in ("doors", "people", "inventories"):
        data[key] = [_Flow(d) for d in data.get(key, [])]
    parts = [_HEADER.format(machines=machines, zones=len(h.zones), inventory=INVENTORY_NAME)]
    for key, title in _SECTIONS:
        if key not in data:
            continue
        body = yaml.dump(
            {key: data[key]}, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=160
        )
        parts.append(f"\n# {title}\n{body}")
    return "".join(parts)


def inventory_csv(assets: tuple[Asset, ...]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(INVENTORY_COLUMNS)
    for a in assets:
        row = a.model_dump(mode="json")
        writer.writerow(["" if row[c] is None else row[c] for c in INVENTORY_COLUMNS])
    return out.getvalue()


def write_hospital(h: Hospital, folder: Path | str) -> Path:
    """Write hospital.yaml and its inventory CSV into `folder`; return hospital.yaml's path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    inv_name = h.inventories[0].path if h.inventories else INVENTORY_NAME
    if not h.inventories:
        h = h.model_copy(update={"inventories": (Inventory(path=inv_name, format="rempart"),)})
    (folder / inv_name).write_text(inventory_csv(h.assets), encoding="utf-8", newline="")
    path = folder / "hospital.yaml"
    path.write_text(hospital_yaml(h, len(h.assets)), encoding="utf-8", newline="")
    return path
