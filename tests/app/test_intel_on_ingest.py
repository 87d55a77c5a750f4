"""Indicators already imported are hunted again over each new ingest's files only."""

from __future__ import annotations

from pathlib import Path

from rempart.app.alerts import alerts
from rempart.app.ingest import ingest
from rempart.app.intel import import_intel
from rempart.store import Workspace

HEADER = (
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n"
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\t"
    "orig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\t"
    "orig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\n"
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\t"
    "string\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\n"
)


def _conn(path: Path, dst: str) -> Path:
    path.write_text(
        HEADER + f"1552291200.5\tC1\t10.1.0.5\t49152\t{dst}\t443\ttcp\tssl\t0.5\t100\t200\tSF\t"
        "T\tF\t0\tShADadFf\t5\t300\t4\t400\t-\n"
    )
    return path


def test_a_new_ingest_is_hunted_for_the_stored_indicators(tmp_path: Path) -> None:
    ws = Workspace.at(tmp_path / "ws")
    alert = tmp_path / "alert.txt"
    alert.write_text("Serveur de commande : 203.0.113[.]77 (port 443)\n")
    import_intel(ws, [alert])
    assert not [a for a in alerts(ws.root) if a.detector == "intel_hunt"]

    ingest(ws.root, [_conn(tmp_path / "quiet.log", "198.51.100.9")])
    assert not [a for a in alerts(ws.root) if a.detector == "intel_hunt"]

    ingest(ws.root, [_conn(tmp_path / "conn.log", "203.0.113.77")])
    hits = [a for a in alerts(ws.root) if a.detector == "intel_hunt"]
    assert hits and {a.entity for a in hits} >= {"10.1.0.5"}


def test_a_new_proxy_or_http_log_is_hunted(tmp_path: Path) -> None:
    from tests.detect.intel.test_intel_http import write_logs

    ws = Workspace.at(tmp_path / "ws")
    alert = tmp_path / "alert.txt"
    alert.write_text("Domaine : evil-c2[.]com ; serveur 203.0.113[.]99\n")
    import_intel(ws, [alert])
    logs = tmp_path / "logs"
    logs.mkdir()
    _eve, http, _ssl, proxy = write_logs(logs)
    # the Squid log: a client behind the proxy reached the listed address for a name
    ingest(ws.root, [proxy])
    hits = [a for a in alerts(ws.root) if a.detector == "intel_hunt"]
    assert {a.entity for a in hits} == {"10.1.0.50", "10.1.0.51"}
    # a Zeek http.log naming none of them adds nothing
    ingest(ws.root, [http])
    assert len([a for a in alerts(ws.root) if a.detector == "intel_hunt"]) == len(hits)
