"""What an incident is, from its evidence: internet sources are never hosts nor patient
zero, unrelated hosts are not merged, implausible times are set aside with a warning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rempart.detect import Finding, Severity, findings_table
from rempart.incidents import build_incidents
from rempart.store import Store

T0 = datetime(2022, 6, 12, 22, 0, tzinfo=UTC)
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _f(
    detector: str,
    entity: str,
    minutes: float,
    severity: Severity = Severity.MEDIUM,
    related: tuple[str, ...] = (),
    entity_type: str = "host",
    at: datetime = T0,
) -> Finding:
    t = at + timedelta(minutes=minutes)
    return Finding(detector, "1", severity, "t", "r", entity, entity_type, t, t, "network_flow",
                   ("e:1",), 1, related=related)  # fmt: skip


def _store(*groups: tuple[str, list[Finding]]) -> Store:
    store = Store.memory()
    for detector, findings in groups:
        store.replace_findings(detector, findings_table(findings))
    return store


def test_internet_scanners_are_a_scan_with_no_patient_zero() -> None:
    store = _store(
        ("network_scan", [_f("network_scan", ip, i * 30) for i, ip in
                          enumerate(["104.156.155.13", "167.94.146.20", "45.155.205.44"])]),
        ("inbound_probe", [_f("inbound_probe", "147.32.83.165", 0, related=("104.156.155.13",))]),
    )  # fmt: skip
    found = build_incidents(store, None, internal=("147.32.0.0/16",), now=NOW)
    assert len(found) == 1
    inc = found[0]
    assert inc.kind == "scan" and inc.patient_zero is None and inc.hosts == ()
    assert set(inc.external_sources) == {"104.156.155.13", "167.94.146.20", "45.155.205.44"}
    assert inc.targets == ("147.32.83.165",)
    assert inc.severity == "low"


def test_unrelated_hosts_are_separate_incidents() -> None:
    day = timedelta(days=1)
    store = _store(
        ("sigma", [
            _f("sigma", "PC04.example.corp", 0, Severity.HIGH),
            _f("sigma", "PC01.example.corp", 0, Severity.HIGH, at=T0 + day),
            _f("sigma", "PC02.example.corp", 30, Severity.HIGH, at=T0 + day),  # same window
        ]),
    )  # fmt: skip
    found = build_incidents(store, None, now=NOW)
    assert len(found) == 2
    names = sorted(tuple(sorted(h.hostname or "" for h in i.hosts)) for i in found)
    assert names == [("PC01.example.corp", "PC02.example.corp"), ("PC04.example.corp",)]
    lone = next(i for i in found if len(i.hosts) == 1)
    assert lone.kind == "host_compromise"
    assert lone.patient_zero is not None and lone.patient_zero.hostname == "PC04.example.corp"


def test_lateral_spread_kind_and_internal_patient_zero() -> None:
    store = _store(
        ("lateral_spread", [
            _f("lateral_spread", "10.1.0.5", 0, Severity.HIGH, related=("10.1.0.6",)),
            _f("lateral_spread", "10.1.0.6", 10, Severity.HIGH),
        ]),
        ("network_scan", [_f("network_scan", "8.8.4.4", -60)]),
    )  # fmt: skip
    found = build_incidents(store, None, now=NOW)
    spread = found[0]
    assert spread.kind == "lateral_spread" and spread.severity == "critical"
    assert spread.patient_zero is not None and spread.patient_zero.ip == "10.1.0.5"
    assert all(h.ip != "8.8.4.4" for i in found for h in i.hosts)


def test_implausible_times_are_set_aside_with_a_warning() -> None:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    store = _store(
        ("sigma", [
            _f("sigma", "10.0.0.9", 0, Severity.HIGH, at=epoch),
            _f("sigma", "10.0.0.7", 0, Severity.HIGH),
        ]),
    )  # fmt: skip
    found = build_incidents(store, None, now=NOW)
    assert len(found) == 1 and [h.ip for h in found[0].hosts] == ["10.0.0.7"]
    assert found[0].warnings[0]["key"] == "incident.warn.implausible_time"
    assert found[0].first_seen.year == 2022


def test_accounts_make_a_mailbox_intrusion() -> None:
    store = _store(
        ("mail_bruteforce", [_f("mail_bruteforce", "alice@chu.fr", 0, Severity.HIGH,
                                related=("203.0.113.9",), entity_type="account")]),
    )  # fmt: skip
    found = build_incidents(store, None, now=NOW)
    assert [i.kind for i in found] == ["mailbox_intrusion"]
    assert found[0].accounts == ("alice@chu.fr",) and found[0].patient_zero is None


def _event(i: int, host: str, code: int, at: datetime, **fields: str) -> dict[str, object]:
    return {"time": at, "host": host, "event_code": code, "fields": list(fields.items()),
            "event_uid": f"e{i}", "source_file": "x.evtx", "source_line": i,
            "source_format": "evtx"}  # fmt: skip


def _remote_execution_store(user: str = "bob", ip: str = "10.1.0.5") -> Store:
    """PC6 gets a service installed remotely (a T1569 finding, months after an older
    finding of its own); seconds before, a network logon from `ip` as `user`; PC5's own
    Sysmon says it initiated connections from 10.1.0.5."""
    import pyarrow as pa

    from rempart.schema import EVENT_CLASSES

    t = T0 + timedelta(days=60)
    rows = [
        _event(1, "PC6.corp", 4624, t - timedelta(seconds=20), LogonType="3", IpAddress=ip,
               TargetUserName=user, WorkstationName="-"),
        _event(2, "PC6.corp", 4624, t - timedelta(seconds=5), LogonType="3", IpAddress=ip,
               TargetUserName="PC5$"),  # a machine account: never the carrier
        _event(3, "PC5.corp", 3, t - timedelta(minutes=1), SourceIp="10.1.0.5",
               Initiated="true"),
        _event(4, "PC6.corp", 3, t - timedelta(minutes=1), SourceIp="10.1.0.5",
               Initiated="false"),  # inbound on PC6: says nothing of who owns 10.1.0.5
    ]  # fmt: skip
    store = _store(
        ("sigma", [
            _f("sigma", "PC6.corp", 0, Severity.HIGH),  # an older, unrelated finding
            Finding("sigma", "1", Severity.HIGH, "t", "r", "PC6.corp", "host", t, t, "process",
                    ("e:9",), 1, attack=("T1021.002", "T1569.002")),
        ]),
    )  # fmt: skip
    store.append("process", pa.Table.from_pylist(rows, schema=EVENT_CLASSES["process"]))
    return store


def test_a_remote_execution_is_a_spread_from_where_the_logon_came() -> None:
    """The machine the carrying network logon came from is the patient zero (named by its
    own Sysmon connections), the target infected by it: a lateral spread."""
    found = build_incidents(_remote_execution_store(), None, now=NOW)
    assert len(found) == 1
    inc = found[0]
    assert inc.kind == "lateral_spread"
    pz = inc.patient_zero
    assert pz is not None and (pz.ip, pz.hostname) == ("10.1.0.5", "PC5.corp")
    target = next(h for h in inc.hosts if h.ip == "PC6.corp")
    assert target.infected_by == "10.1.0.5"


def test_a_remote_execution_from_the_internet_or_by_a_machine_is_no_spread() -> None:
    """A logon from an internet address never makes a patient zero; a machine account's
    logon never carries an execution: the target stays a host compromise of its own."""
    for store in (
        _remote_execution_store(ip="45.155.205.44"),
        _remote_execution_store(user="PC5$"),
    ):
        found = build_incidents(store, None, now=NOW)
        assert [i.kind for i in found] == ["host_compromise"]
        pz = found[0].patient_zero
        assert pz is not None and pz.ip == "PC6.corp"
