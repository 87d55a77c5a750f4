"""The hospital model: what there is to defend and what care depends on."""

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
    Partner,
    PartnerKind,
    Person,
    Site,
    Zone,
    ZoneKind,
)
from rempart.model.inventory import read_inventory, zone_for_ip
from rempart.model.loader import load_hospital

__all__ = [
    "Asset",
    "AssetKind",
    "CareService",
    "Criticality",
    "Dependency",
    "DependencyKind",
    "Door",
    "DoorKind",
    "Hospital",
    "HospitalInfo",
    "Partner",
    "PartnerKind",
    "Person",
    "Site",
    "Zone",
    "ZoneKind",
    "load_hospital",
    "read_inventory",
    "zone_for_ip",
]
