"""ingest → detect → incident → plan → report on the public corpora (../shared/data).

One test per corpus family, on a few files each (kept fast): no traceback at any step, the
incident's kind and patient zero as the corpus's labels or file names say, never an internet
address as patient zero, and a report (HTML and JSON) for every incident found. Skipped with
a reason when the corpora are absent.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest

from rempart.app.detect import detect
from rempart.app.incident import IncidentResult, build_and_save_all
from rempart.app.ingest import implausible_times, ingest, not_an_event_log
from rempart.app.init import init
from rempart.app.plan import propose
from rempart.app.report import incident_report, write_incident_report
from rempart.incidents import KINDS, Incident

pytestmark = pytest.mark.corpus


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"corpus file not present: {path}")
    return path


def _pipeline(ws: Path, paths: list[Path], internal: tuple[str, ...] = ()) -> list[IncidentResult]:
    init(ws)
    report = ingest(ws, paths)
    assert report.files and not any(f.status.value == "failed" for f in report.files)
    result = detect(ws, internal=internal)
    assert not result.failed, [r.error for r in result.runs if r.error]
    found = build_and_save_all(ws)
    for r in found:
        _check_sane(r.incident)
        plans = propose(ws, incident=r.saved.id, runs=10)
        assert plans.rows, "a plan is always proposed"
        rep = incident_report(ws, r.saved.id, runs=10)
        html = write_incident_report(rep, "html", ws / f"{r.saved.id}.html", "fr")
        assert r.incident.id in html.read_text(encoding="utf-8")
        data = json.loads(
            write_incident_report(rep, "json", ws / f"{r.saved.id}.json", "en").read_text(
                encoding="utf-8"
            )
        )
        assert data["kind"] == r.incident.kind and data["todo"]
    return found


def _is_public(value: str) -> bool:
    try:
        return ipaddress.ip_address(value).is_global
    except ValueError:
        return False


def _check_sane(inc: Incident) -> None:
    assert inc.kind in KINDS
    pz = inc.patient_zero
    assert pz is None or pz.ip not in inc.external_sources
    for h in inc.hosts:
        assert h.ip not in inc.external_sources
    assert inc.first_seen.year >= 2000


def test_evtx_lateral_movement(shared_data: Path, tmp_path: Path) -> None:
    """Two Windows logs of two machines (file names: lateral movement samples): one host
    compromise each, patient zero the machine the log comes from (host names, no address)."""
    folder = shared_data / "evtx_attack_samples" / "Lateral Movement"
    files = [
        _need(folder / "net_share_drive_5142.evtx"),  # PC04.example.corp
        _need(folder / "LM_4624_mimikatz_sekurlsa_pth_source_machine.evtx"),  # PC01
    ]
    found = _pipeline(tmp_path / "ws", files)
    by_pz = {r.incident.patient_zero.hostname: r.incident for r in found if r.incident.patient_zero}
    assert {"PC04.example.corp", "PC01.example.corp"} <= set(by_pz)
    for inc in by_pz.values():
        # days apart, no shared entity: never merged into a "lateral spread"
        assert inc.kind == "host_compromise" and len(inc.hosts) == 1


def test_zeek_internet_scan(shared_data: Path, tmp_path: Path) -> None:
    """Capture 011: a Windows host attacked from the internet (labels.config names it).
    A scan, patient zero unknown, the labelled host targeted, the scanners external."""
    capture = shared_data / "stratosphere_zeek" / "011-zeek-mixed"
    labels = _need(capture / "labels.config").read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(labels) if line.startswith("Malicious, External"))
    victim = labels[at + 1].split("dstIP=")[1].strip()
    conn = _need(capture / "data" / "conn.log.labeled")
    found = _pipeline(tmp_path / "ws", [conn], internal=("147.32.0.0/16",))
    assert found
    inc = found[0].incident
    assert inc.kind in ("scan", "external_exposure")
    assert inc.patient_zero is None
    assert victim in inc.targets
    assert inc.external_sources and all(_is_public(e) for e in inc.external_sources)
    assert not any(_is_public(h.ip) for h in inc.hosts)


def test_zeek_relative_timestamps_are_rejected_whole(shared_data: Path, tmp_path: Path) -> None:
    """Capture 005 has relative timestamps (1970): each of its rows is rejected for its
    implausible time (with its line), the file said once as wholly implausible; no incident
    of 1970, no traceback."""
    capture = shared_data / "stratosphere_zeek" / "005-zeek-scenario-malicious"
    conn = _need(capture / "conn.log")
    with conn.open(encoding="utf-8") as fh:
        rows = sum(1 for line in fh if not line.startswith("#"))
    init(tmp_path / "ws")
    report = ingest(tmp_path / "ws", [conn])
    [odd] = implausible_times(report)
    assert odd.path == str(conn) and odd.all_implausible and odd.implausible == rows
    found = _pipeline(tmp_path / "ws", [conn])
    assert found == []


def test_otrf_lateral_movement(shared_data: Path, tmp_path: Path) -> None:
    """OTRF Security-Datasets, Empire PsExec (lateral movement, host logs of the Shire lab):
    per the dataset's metadata the operator on WORKSTATION5 (172.18.39.5) installs a service
    on WORKSTATION6. A lateral spread whose patient zero is WORKSTATION5 (the network logon
    that carried the service install), WORKSTATION6 infected by it; no internet address."""
    zip_ = _need(
        shared_data / "otrf_security_datasets/atomic/windows/lateral_movement/host"
        "/empire_psexec_dcerpc_tcp_svcctl.zip"
    )
    found = _pipeline(tmp_path / "ws", [zip_])
    spread = [r.incident for r in found if r.incident.kind == "lateral_spread"]
    assert len(spread) == 1
    inc = spread[0]
    pz = inc.patient_zero
    assert pz is not None and (pz.hostname or "").startswith("WORKSTATION5")
    assert pz.ip == "172.18.39.5"
    target = next(h for h in inc.hosts if h.ip.startswith("WORKSTATION6"))
    assert target.infected_by == pz.ip and target.status == "infected"


def test_mail_phishing_pot(shared_data: Path, tmp_path: Path) -> None:
    """Three messages of phishing_pot (a phishing corpus): a phishing incident whose entry
    email is one of them; patient zero unknown (no host log says who clicked)."""
    mails = sorted((shared_data / "phishing_pot" / "fr").glob("*.eml"))[:3]
    if not mails:
        pytest.skip("phishing_pot messages not present")
    found = _pipeline(tmp_path / "ws", mails)
    assert found
    inc = found[0].incident
    assert inc.kind == "phishing"
    assert inc.entry_email is not None and inc.patient_zero is None


MAIL_FIXTURES = ("dovecot", "postfix", "courier-auth", "sogo-auth", "cyrus-imap", "sieve")


def test_mail_server_logs(shared_data: Path, tmp_path: Path) -> None:
    """fail2ban's mail-server fixtures: one sample line per log variant, failed logins from
    many addresses, years apart. Every failure is read with its service and source; the
    brute-force detectors fire exactly where one address fails often enough within an hour
    (the data decides, through the detectors' own threshold: these fixtures never reach it,
    fail2ban's own default being 5 in 10 minutes); no incident has an internet patient
    zero."""
    from rempart.detect.mail.intrusion import BRUTE_MIN_FAILURES
    from rempart.store import Store

    folder = shared_data / "fail2ban_log_fixtures"
    files = [_need(folder / n) for n in MAIL_FIXTURES]
    found = _pipeline(tmp_path / "ws", files)
    with Store(tmp_path / "ws" / "rempart.duckdb", read_only=True) as store:
        services = {
            r["service"]: r["n"]
            for r in store.sql(
                """SELECT service, count(*) AS n FROM authentication
                   WHERE status = 'failure' AND src_ip IS NOT NULL GROUP BY 1"""
            ).to_pylist()
        }
        bursts = store.sql(
            """SELECT src_ip, count(*) AS n FROM authentication
               WHERE status = 'failure' AND src_ip IS NOT NULL
                 AND list_contains(['imap', 'pop3', 'smtp', 'submission', 'managesieve',
                                    'webmail'], service)
               GROUP BY src_ip, time_bucket(INTERVAL 1 HOUR, time) HAVING count(*) >= $k""",
            {"k": BRUTE_MIN_FAILURES},
        ).to_pylist()
        brute = store.sql(
            "SELECT DISTINCT entity FROM finding WHERE detector = 'mail_bruteforce'"
        ).column("entity")
    assert services.get("imap", 0) >= 20 and services.get("smtp", 0) >= 10
    assert {r["src_ip"] for r in bursts} == set(brute.to_pylist())
    for r in found:
        assert r.incident.kind in ("mailbox_intrusion", "scan", "external_exposure")
        assert r.incident.patient_zero is None


def test_intel_and_rules_are_not_logs(shared_data: Path) -> None:
    """A MISP event, a STIX bundle and a Sigma rule are recognised, not ingested."""
    misp = next((shared_data / "eset_misp_events").rglob("*.json"), None)
    stix = next((shared_data / "unit42_stix_playbooks").rglob("*.json"), None)
    sigma = next((shared_data / "sigma_rules").rglob("*.yml"), None)
    if misp is None or stix is None or sigma is None:
        pytest.skip("intel or Sigma corpora not present")
    assert not_an_event_log(misp) == "misp"
    assert not_an_event_log(stix) == "stix"
    assert not_an_event_log(sigma) == "sigma"
