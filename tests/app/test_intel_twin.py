"""The twin: an alert email naming the Montpellier campaign's sender domain and the worm's
command servers, imported into a demo-like workspace, finds the campaign's recipients,
patient zero and the command-server traffic, and the hosts behind the proxy, as one
incident. The hosts behind the proxy are named from the conn.log alone by time correlation
(`rempart.detect.intel.hunt.relay_query`), then, once the proxy's own access.log (the twin
writes it, Squid format) is ingested, by that log, which replaces the correlation."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.sources.intel.alerts import alert_email
from typer.testing import CliRunner

from rempart.app.board import open_board
from rempart.app.incidents_store import list_incidents, load_incident
from rempart.app.intel import export_intel, hunt_intel, import_intel
from rempart.cli import app
from rempart.detect import DETECTORS, DetectContext, run_detectors
from rempart.ingest.files import ingest_file
from rempart.model import load_hospital
from rempart.store import Store, Workspace
from rempart.twin.hospital import generate_hospital, write_hospital
from rempart.twin.scenarios.montpellier import C2, write_montpellier


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, object]:
    root = tmp_path_factory.mktemp("intel-twin")
    ws = Workspace.at(root / "ws")
    write_hospital(generate_hospital(machines=400, seed=3), ws.root)
    hospital = load_hospital(ws.hospital_path)
    files = write_montpellier(hospital, ws.folder("twin"), seed=3, rows=30_000, runs=10)
    with Store(ws.db_path) as store:
        for path in (files.mailbox, files.conn_log):
            ingest_file(store, path)
        run_detectors(DetectContext(store, hospital), list(DETECTORS.names()))
    return ws, files


@pytest.mark.slow
def test_alert_email_finds_the_campaign_patient_zero_and_c2(
    twin: tuple[Workspace, object], tmp_path: Path
) -> None:
    ws, files = twin
    truth = files.ground_truth  # type: ignore[attr-defined]
    domain = truth.phishing.sender.split("@")[1]
    alert = tmp_path / "alerte-cert-sante.eml"
    alert.write_bytes(
        alert_email(
            "Campagne Qbot visant les établissements de santé.\n"
            f"Domaine expéditeur : {domain.replace('.', '[.]')}\n"
            f"Serveurs de commande : [{C2[0]}] et {C2[1].replace('.', '[.]', 1)}\n"
        )
    )
    report = import_intel(ws, [alert])
    assert report.files[0].counts == {"domain": 1, "ip": 2}
    hunt = report.hunt
    assert hunt is not None and hunt.incident_id is not None
    with Store(ws.db_path) as store:
        rows = store.sql("SELECT * FROM finding WHERE detector = 'intel_hunt'").to_pylist()
    # the campaign: the message from the lookalike domain, to its recipients
    mails = [r for r in rows if r["evidence_class"] == "email"]
    recipients = {a for r in mails for a in r["related"][1:]}
    assert set(truth.phishing.recipients) <= recipients
    # the command-server traffic: the proxy's connections to both C2s
    c2_rows = [r for r in rows if r["evidence_class"] == "network_flow"]
    assert {r["related"][0] for r in c2_rows} == set(C2)
    # the hosts behind the proxy, patient zero first among them
    behind = {r["entity"] for r in c2_rows if "juste avant" in r["reason"]}
    infected = {h.ip for h in truth.infected}
    assert truth.patient_zero.ip in behind
    assert len(behind & infected) >= 0.8 * len(infected)
    extra = sorted(
        (r["entity"], r["evidence_count"])
        for r in c2_rows
        if "juste avant" in r["reason"] and r["entity"] not in infected
    )
    assert len(behind - infected) <= 2, extra
    # one incident: patient zero, the entry email and the intel findings together
    inc = load_incident(ws.root, hunt.incident_id)
    # the machines the indicators were seen on are on the incident's remediation board
    board = {r.host for r in open_board(ws.root, hunt.incident_id).rows()}
    assert truth.patient_zero.hostname in board or truth.patient_zero.ip in board
    assert inc.patient_zero is not None and inc.patient_zero.ip == truth.patient_zero.ip
    assert inc.entry_email is not None
    assert set(truth.phishing.recipients) <= set(inc.entry_email.recipients)
    assert {r["finding_uid"] for r in rows} <= set(inc.finding_uids) | {
        r["finding_uid"] for r in rows if r["entity_type"] != "host"
    }
    assert len(list_incidents(ws.root)) == 1
    # hunting again attaches to the same incident and changes nothing
    again = hunt_intel(ws)
    assert again.incident_id == hunt.incident_id and not again.incident_new
    assert again.findings == hunt.findings
    # the proxy's log names the machines behind it: the infected ones that beaconed (every
    # one whose incubation ended before the log does), patient zero first, no one else; the
    # time correlation is no longer needed, and it is still one incident
    assert files.proxy_log is not None
    with Store(ws.db_path) as store:
        ingest_file(store, files.proxy_log)
    third = hunt_intel(ws)
    assert third.incident_id == hunt.incident_id and not third.incident_new
    with Store(ws.db_path) as store:
        rows = store.sql("SELECT * FROM finding WHERE detector = 'intel_hunt'").to_pylist()
    assert not [r for r in rows if "juste avant" in r["reason"]]
    proxied = [r for r in rows if r["evidence_class"] == "network_event"]
    named = {r["entity"] for r in proxied}
    assert {r["related"][0] for r in proxied} == set(C2)
    assert truth.patient_zero.ip in named
    assert named <= infected and len(named) >= 0.9 * len(infected)
    first = min(proxied, key=lambda r: r["first_seen"])
    assert first["entity"] == truth.patient_zero.ip
    assert third.incident_id is not None
    inc = load_incident(ws.root, third.incident_id)
    assert {r["finding_uid"] for r in proxied} <= set(inc.finding_uids)
    assert len(list_incidents(ws.root)) == 1
    # exports: the C2s to block, and a STIX bundle of sightings that keeps TLP:AMBER
    nft = export_intel(ws, "nftables", tmp_path / "out" / "intel.nft")
    assert nft.written == 2 and C2[0] in nft.path.read_text()
    stix = export_intel(ws, "stix", tmp_path / "out" / "sightings.json")
    assert stix.written == 3 and stix.withheld == 0
    text = stix.path.read_text()
    assert '"sighting"' in text and truth.patient_zero.ip not in text  # no internal host
    red = export_intel(ws, "stix", tmp_path / "out" / "none.json", tlp_max="green")
    assert red.written == 0 and red.withheld == 3


@pytest.mark.slow
def test_cli_intel_list_formats(twin: tuple[Workspace, object], tmp_path: Path) -> None:
    ws, _files = twin
    runner = CliRunner()
    csv_file = tmp_path / "iocs.csv"
    csv_file.write_text("value,type,tlp\n45.33.2.79,ip,red\n", "utf-8")
    out = runner.invoke(app, ["intel", "import", str(csv_file), "-w", str(ws.root), "--no-hunt"])
    assert out.exit_code == 0, out.output
    out = runner.invoke(app, ["intel", "list", "-w", str(ws.root), "--format", "jsonl"])
    assert out.exit_code == 0
    lines = [line for line in out.output.splitlines() if '"45.33.2.79"' in line]
    assert (
        len(lines) == 1 and '"type": "ip"' in lines[0] and '"sources": ["CSV iocs.csv"]' in lines[0]
    )
    out = runner.invoke(app, ["intel", "list", "-w", str(ws.root), "--format", "xml"])
    assert out.exit_code != 0
    out = runner.invoke(
        app, ["intel", "export", "-w", str(ws.root), "--format", "zeek", "--out",
              str(tmp_path / "intel.dat"), "--lang", "en"],
    )  # fmt: skip
    assert out.exit_code == 0 and "exported as zeek" in out.output
    assert "45.33.2.79\tIntel::ADDR" in (tmp_path / "intel.dat").read_text()
