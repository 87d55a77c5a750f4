"""Intel sources on the public corpora: counts per type, rejects, one exact indicator."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from rempart.sources.intel import read_intel, sniff_format
from rempart.sources.intel.stix import parse_pattern

pytestmark = pytest.mark.corpus


def _counts(path: Path) -> tuple[Counter[str], Counter[str], Counter[str]]:
    batches = read_intel(path)
    types = Counter(i.type for b in batches for i in b.indicators)
    reasons = Counter(r.reason for b in batches for r in b.rejects)
    formats = Counter(b.format for b in batches)
    return types, reasons, formats


def test_eset_misp_events(intel_data: Path) -> None:
    types, reasons, formats = _counts(intel_data / "eset_misp_events")
    assert formats == {"misp": 54}
    assert types == {
        "sha1": 766, "domain": 746, "filename": 422, "md5": 288, "sha256": 288, "ip": 277,
        "url": 138, "email": 22, "uri": 2, "user_agent": 1,
    }  # fmt: skip
    # 3,480 attributes: text, links, registry keys... are counted, not dropped silently
    assert reasons == {"intel.misp_type": 826, "intel.bad_filename": 4}
    crutch = read_intel(intel_data / "eset_misp_events/turla/misp-turla-crutch-event.json")[0]
    first = next(
        i for i in crutch.indicators if i.value == "a010d5449d29a1916827fdb443e3c84c405cb2a5"
    )
    assert first.type == "sha1"
    assert first.source.startswith("MISP ") and "Turla Crutch" in first.source
    assert first.confidence == 50  # not flagged to_ids
    assert first.first_seen is not None and first.first_seen.date().isoformat() == "2020-11-30"


def test_misp_composite_types_split(intel_data: Path) -> None:
    batch = read_intel(intel_data / "eset_misp_events/sshdoor/misp-events/coruscant.json")[0]
    kinds = Counter(i.type for i in batch.indicators)
    assert kinds["domain"] >= 1 and kinds["ip"] >= 1  # domain|ip gives both


def test_unit42_stix_bundles(intel_data: Path) -> None:
    types, reasons, formats = _counts(intel_data / "unit42_stix_playbooks")
    assert formats == {"stix": 11}
    assert types == {
        "sha256": 976, "url": 141, "command_line": 52, "ip": 39, "domain": 21, "filename": 4,
        "email": 2, "sha1": 1,
    }  # fmt: skip
    assert sum(types.values()) + sum(reasons.values()) == 1237  # every indicator accounted
    assert reasons == {"intel.stix_term": 1}  # a registry key: not hunted, named


def test_stix_and_keeps_the_hash_with_its_name(intel_data: Path) -> None:
    batch = read_intel(intel_data / "unit42_stix_playbooks/emotet.json")[0]
    hit = [i for i in batch.indicators if i.context == "file:name = form.xlsm"]
    assert [(i.type, i.value) for i in hit] == [
        ("sha256", "6d55f25222831cce73fd9a64a8e5a63b002522dc2637bd2704f77168c7c02d88")
    ]


def test_stix_patterns_and_or() -> None:
    branches = parse_pattern(
        "[ipv4-addr:value = '198.51.100.7' OR domain-name:value = 'evil.top'] "
        "AND [url:value = 'http://evil.top/a']"
    )
    assert [[str(t) for t in b] for b in branches] == [
        ["ipv4-addr:value = 198.51.100.7", "url:value = http://evil.top/a"],
        ["domain-name:value = evil.top", "url:value = http://evil.top/a"],
    ]
    with pytest.raises(ValueError, match=r"\S"):
        parse_pattern("[ipv4-addr:value = ")


def test_maltrail_trails(intel_data: Path) -> None:
    types, reasons, formats = _counts(intel_data / "maltrail_trails/malware")
    assert formats == {"maltrail": 12}
    assert types == {"ip": 14017, "domain": 8666, "url": 7134, "uri": 5665}
    assert reasons == {"intel.bad_domain": 6, "intel.bad_port": 1}
    wannacry = read_intel(intel_data / "maltrail_trails/malware/wannacry.txt")[0]
    assert len(wannacry.indicators) == 144
    first = wannacry.indicators[0]
    assert (first.value, first.type, first.source) == (
        "iuqerfsodp9ifjaposdfjhgosurijfaewrwergwea.com", "domain", "Maltrail malware/wannacry",
    )  # fmt: skip
    assert "microsoft.com" in first.context  # the reference line above it
    qakbot = read_intel(intel_data / "maltrail_trails/malware/qakbot.txt")[0]
    bad = next(r for r in qakbot.rejects if r.reason == "intel.bad_port")
    assert bad.line is not None and bad.offset is not None


def test_maltrail_cidr_list(intel_data: Path) -> None:
    batch = read_intel(intel_data / "maltrail_trails/mass_scanner_cidr.txt")[0]
    assert {i.type for i in batch.indicators} == {"cidr", "ip"}  # a few /32 entries: addresses
    assert batch.indicators[0].value == "5.63.151.0/24"


def test_sniffing(intel_data: Path) -> None:
    assert sniff_format(intel_data / "unit42_stix_playbooks/icedid.json").NAME == "stix"
    assert sniff_format(intel_data / "eset_misp_events/mozi/mozi.misp-event.json").NAME == "misp"
    assert sniff_format(intel_data / "maltrail_trails/mass_scanner.txt").NAME == "maltrail"
