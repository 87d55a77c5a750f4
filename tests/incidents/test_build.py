from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa

from rempart.detect import Finding, Severity, findings_table
from rempart.incidents import Incident, build_incident
from rempart.model import Asset, Hospital, HospitalInfo, Zone
from rempart.schema import EMAIL
from rempart.sources.email_mime import message_record
from rempart.store import Store

T0 = datetime(2019, 3, 11, 8, 0, tzinfo=UTC)


def _hospital() -> Hospital:
    return Hospital(
        hospital=HospitalInfo(name="CH Test", domains=("chu.fr",)),
        zones=(
            Zone(id="bat-a", name="A", cidrs=("10.1.0.0/16",)),
            Zone(id="bat-b", name="B", cidrs=("10.2.0.0/16",)),
        ),
        assets=(
            Asset(hostname="pc-a1", ip="10.1.0.1", zone="bat-a", user="alice@chu.fr"),
            Asset(hostname="pc-a2", ip="10.1.0.2", zone="bat-a", user="bob@chu.fr"),
            Asset(hostname="pc-b1", ip="10.2.0.1", zone="bat-b"),
        ),
    )


def _host_finding(ip: str, minutes: int, severity: Severity = Severity.HIGH) -> Finding:
    t = T0 + timedelta(minutes=minutes)
    return Finding(
        "lateral_spread",
        "1",
        severity,
        "SMB fan-out",
        "r",
        ip,
        "host",
        t,
        t,
        "network_flow",
        ("f:1",),
        1,
        attack=("T1021.002",),
    )


def _store_with_mail(store: Store) -> None:
    raw = (
        b"From: Labo <x@labo-bi0.fr>\nTo: alice@chu.fr, carol@chu.fr\nSubject: Resultats\n"
        b"Date: Mon, 11 Mar 2019 08:30:00 +0000\nMessage-ID: <p1@x>\n\nbody\n"
    )
    rec = message_record(raw, T0)
    rec.update(event_uid="m:1", source_file="box", source_line=1, source_format="mbox")
    store.append("email", pa.Table.from_pylist([rec], schema=EMAIL))
    t = T0 + timedelta(minutes=30)
    mail = Finding(
        "phishing",
        "1",
        Severity.HIGH,
        "Phishing",
        "lookalike domain",
        "<p1@x>",
        "email",
        t,
        t,
        "email",
        ("m:1",),
        1,
        score=92.0,
    )
    store.replace_findings("phishing", findings_table([mail]))


def test_patient_zero_entry_email_and_zones(tmp_path: Path) -> None:
    store = Store.memory()
    _store_with_mail(store)
    store.replace_findings(
        "lateral_spread",
        findings_table(
            [
                _host_finding("10.1.0.2", 70),
                _host_finding("10.1.0.1", 45),
                _host_finding("10.2.0.1", 90, Severity.MEDIUM),
            ]
        ),
    )
    inc = build_incident(store, _hospital())
    assert inc is not None
    assert inc.patient_zero is not None and inc.patient_zero.hostname == "pc-a1"
    assert inc.entry_email is not None and inc.entry_email.message_id == "<p1@x>"
    assert inc.entry_email.recipients == ("alice@chu.fr", "carol@chu.fr")
    by_zone = inc.hosts_by_zone()
    assert [h.hostname for h in by_zone["bat-a"]] == ["pc-a1", "pc-a2"]
    assert by_zone["bat-b"][0].status == "suspected"
    assert inc.timeline[0].kind == "email"
    again = Incident.load(inc.save(tmp_path))
    assert again == inc


def test_no_findings_no_incident() -> None:
    assert build_incident(Store.memory(), _hospital()) is None


def test_windows_host_finding_joins_the_network_one() -> None:
    store = Store.memory()
    store.replace_findings("lateral_spread", findings_table([_host_finding("10.1.0.1", 45)]))
    t = T0 + timedelta(minutes=50)
    sigma = Finding("sigma", "1", Severity.HIGH, "PsExec service", "r", "PC-A1.chu.local",
                    "host", t, t, "process", ("e:1",), 1)  # fmt: skip
    store.replace_findings("sigma", findings_table([sigma]))
    inc = build_incident(store, _hospital(), detectors=("lateral_spread", "sigma"))
    assert inc is not None
    (host,) = inc.hosts
    assert host.hostname == "pc-a1" and host.detectors == ("lateral_spread", "sigma")
