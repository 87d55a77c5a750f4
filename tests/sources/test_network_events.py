"""Suricata EVE events beyond flows and Zeek's application logs, as `network_event` rows:
counts, rejects, one exact record."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from tests.sources.harness import ingest_sample

T = "2017-05-13T10:00:0{}.000000+0000"


def _eve(i: int, kind: str, body: dict[str, object], **more: object) -> str:
    return json.dumps({"timestamp": T.format(i), "flow_id": 7, "event_type": kind,
                       "src_ip": "10.0.0.66", "src_port": 49152, "dest_ip": "10.0.0.5",
                       "dest_port": 445, "proto": "TCP", kind: body, **more})  # fmt: skip


def test_suricata_events(tmp_path: Path) -> None:
    lines = [
        _eve(0, "smb", {"command": "SMB1_COMMAND_TRANS2_SECONDARY", "status": "STATUS_SUCCESS"},
             app_proto="smb"),
        _eve(1, "alert", {"signature": "ET EXPLOIT ETERNALBLUE", "category": "Exploit",
                          "severity": 1, "signature_id": 2024218,
                          "metadata": {"mitre_technique_id": ["T1210", "junk"]}}),
        _eve(2, "dns", {"queries": [{"rrname": "evil.example", "rrtype": "A"}],
                        "rcode": "NXDOMAIN"}, app_proto="dns"),
        _eve(3, "http", {"hostname": "x.example", "url": "/a.php", "http_method": "GET",
                         "status": 200}),
        _eve(4, "tls", {"sni": "c2.example", "version": "TLS 1.2"}),
        _eve(5, "fileinfo", {"filename": "/p.exe", "magic": "PE32"}),
        _eve(6, "anomaly", {"type": "applayer", "event": "APPLAYER_MISMATCH"},
             app_proto="failed"),
        json.dumps({"timestamp": T.format(7), "flow_id": 7, "event_type": "flow",
                    "src_ip": "10.0.0.66", "src_port": 49152, "dest_ip": "10.0.0.5",
                    "dest_port": 445, "proto": "TCP", "app_proto": "failed",
                    "flow": {"pkts_toserver": 3, "pkts_toclient": 2}}),
        "{broken",
        _eve(8, "dns", {"rrname": "late.example"}, timestamp="yesterday"),
    ]  # fmt: skip
    got = ingest_sample(tmp_path, "eve.json", "\n".join(lines) + "\n")
    assert got.ok
    assert got.counts == (8, 2)  # 7 events + 1 flow; the broken line and the bad stamp
    assert got.reasons == {"not valid JSON": 1, "no timestamp": 1}
    rows = got.rows("network_event")
    assert [r["kind"] for r in rows] == [
        "smb",
        "alert",
        "dns",
        "http",
        "tls",
        "fileinfo",
        "anomaly",
    ]
    alert = got.record("network_event", kind="alert")
    assert (alert["name"], alert["detail"], alert["severity"], alert["signature_id"]) == (
        "ET EXPLOIT ETERNALBLUE", "Exploit", 1, 2024218)  # fmt: skip
    assert alert["attack"] == ["T1210"] and alert["source_line"] == 2
    assert alert["time"] == datetime(2017, 5, 13, 10, 0, 1, tzinfo=UTC)
    assert (alert["src_ip"], alert["dst_ip"], alert["dst_port"]) == ("10.0.0.66", "10.0.0.5", 445)
    dns = got.record("network_event", kind="dns")
    assert (dns["name"], dns["status"]) == ("evil.example", "NXDOMAIN")
    assert got.record("network_event", kind="http")["detail"] == "GET /a.php"
    assert got.record("network_event", kind="anomaly")["app_proto"] == "unknown"
    assert got.rows("network_flow", order="time")[0]["service"] == "unknown"


ZEEK_SMB = """\
#separator \\x09
#set_separator\t,
#empty_field\t(empty)
#unset_field\t-
#path\tsmb_cmd
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tcommand\tsub_command\targument\tstatus\tversion
#types\ttime\tstring\taddr\tport\taddr\tport\tstring\tstring\tstring\tstring\tstring
1494669600.5\tCx1\t10.0.0.66\t49152\t10.0.0.5\t445\tNT_TRANSACT\t-\t-\tSUCCESS\tSMB1
1494669601.0\tCx1\t10.0.0.66\t49152\t10.0.0.5\t445\tTRANSACTION2_SECONDARY\t-\t-\tSUCCESS\tSMB1
1494669602.0\tCx1\t10.0.0.66\t49152
"""


def test_zeek_smb_cmd(tmp_path: Path) -> None:
    got = ingest_sample(tmp_path, "smb_cmd.log", ZEEK_SMB)
    assert got.ok, got.result
    assert got.counts == (2, 1) and got.rejects == [(10, "wrong number of fields")]
    row = got.record("network_event", source_line=9)
    assert (row["kind"], row["name"], row["status"], row["detail"], row["flow_uid"]) == (
        "smb_cmd", "TRANSACTION2_SECONDARY", "SUCCESS", "SMB1", "Cx1")  # fmt: skip
    assert row["time"] == datetime(2017, 5, 13, 10, 0, 1, tzinfo=UTC)


def test_zeek_notice_json(tmp_path: Path) -> None:
    lines = [
        json.dumps({"_path": "notice", "ts": 1494669600.0, "uid": "C1", "id.orig_h": "10.0.0.66",
                    "id.orig_p": 1, "id.resp_h": "10.0.0.5", "id.resp_p": 445,
                    "note": "EternalSafety::EternalBlue", "msg": "Possible EternalBlue"}),
        json.dumps({"_path": "notice", "ts": "never", "id.orig_h": "10.0.0.66"}),
    ]  # fmt: skip
    got = ingest_sample(tmp_path, "notice.json", "\n".join(lines) + "\n")
    assert got.ok, got.result
    assert got.counts == (1, 1) and got.reasons == {"no timestamp": 1}
    row = got.record("network_event", source_line=1)
    assert (row["kind"], row["name"], row["detail"]) == (
        "notice", "EternalSafety::EternalBlue", "Possible EternalBlue")  # fmt: skip
