"""Network sources: counts, rejects with reason and line, one exact record each."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.sources.harness import Ingested, ingest_sample

from rempart.ingest.files import FileStatus, IngestReport, ingest_file
from rempart.sources import SOURCES, sniff
from rempart.store import Store

NFDUMP_HEAD = (
    "ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out,sas,das,smk,dmk,dtos,dir,"
    "nh,nhb,svln,dvln,ismc,odmc,idmc,osmc,mpls1,mpls2,mpls3,mpls4,mpls5,mpls6,mpls7,mpls8,"
    "mpls9,mpls10,cl,sl,al,ra,eng,exid,tr\n"
)
NF_TAIL = (
    ",0,0,0,0,0,0,0,0,0.0.0.0,0.0.0.0,0,0,00:00:00:00:00:00,00:00:00:00:00:00,"
    "00:00:00:00:00:00,00:00:00:00:00:00,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,"
    "0-0-0,0-0-0,0.000,0.000,0.000,127.0.0.1,0/0,1,2019-03-11 08:00:02.000\n"
)
NFDUMP = (
    NFDUMP_HEAD
    + "2019-03-11 08:00:00,2019-03-11 08:00:01,1.024,10.1.0.5,10.1.0.6,49152,445,TCP,.AP.SF,0,0,"
    "5,300,4,400"
    + NF_TAIL
    + "2019-03-11 08:00:01,2019-03-11 08:00:01,0.000,10.1.0.5,10.1.0.7,49153,445,TCP,....S.,0,0,"
    "1,60,0,0"
    + NF_TAIL
    + "2019-03-11 08:00:02,2019-03-11 08:00:02,0.000,10.1.0.5\n"
    + "2019-03-11 08:00:03,2019-03-11 08:00:03,0.010,10.1.0.5,8.8.8.8,5353,53,UDP,......,0,0,"
    "1,70,1,90"
    + NF_TAIL
    + "Summary\nflows,bytes,packets,avg_bps,avg_pps,avg_bpp\n3,860,12,0,0,71\n"
)

# Stormshield WELF lines, after the fields its documentation describes (values written here)
SNS = (
    'id=firewall time="2019-03-11 09:00:05" fw="SNS-CHU" tz=+0100 '
    'startime="2019-03-11 09:00:01" pri=5 confid=01 slotlevel=2 ruleid=12 srcif="Ethernet1" '
    'srcifname="in" ipproto=tcp dstif="Ethernet0" dstifname="out" proto=microsoft-ds '
    "src=10.1.0.5 srcport=49152 dst=10.2.0.9 dstport=445 ipv=4 sent=0 rcvd=0 duration=0.00 "
    'action=block logtype="connection"\n'
    '<134>Mar 11 09:00:06 SNS-CHU asqd: id=firewall time="2019-03-11 09:00:06" fw="SNS-CHU" '
    'tz=+0100 startime="2019-03-11 09:00:02" pri=5 ruleid=3 ipproto=tcp proto=https '
    "src=10.1.0.5 srcport=49153 dst=93.184.216.34 dstport=443 ipv=4 sent=1200 rcvd=5400 "
    'duration=3.52 action=pass msg="Connexion vers le portail" logtype="connection"\n'
    'id=firewall time="2019-03-11 09:00:07" fw="SNS-CHU" tz=+0100 '
    'startime="2019-03-11 09:00:07" pri=4 ipproto=icmp icmptype=8 icmpcode=0 proto=icmp '
    'src=10.9.0.1 dst=10.1.0.5 ipv=4 action=pass logtype="filter"\n'
    'id=firewall time="2019-03-11 09:00:08" fw="SNS-CHU" tz=+0100 ipproto=tcp proto=ssh '
    "src=198.51.100.7 srcport=54937 dst=10.1.0.1 dstport=22 action=block "
    'msg="Interactive connection detected" alarmid=85 logtype="alarm"\n'
    'id=firewall time="2019-03-11 09:00:09" fw="SNS-CHU" tz=+0100 ipproto=tcp src=10.1.0.5 '
    'srcport=1 dst=not-an-ip dstport=445 sent=0 rcvd=0 action=pass logtype="connection"\n'
    "garbage line\n"
)

EVE = (
    '{"timestamp":"2019-03-11T08:00:00.500000+0000","flow_id":1111,"event_type":"flow",'
    '"src_ip":"10.1.0.5","src_port":49152,"dest_ip":"10.1.0.6","dest_port":445,"proto":"TCP",'
    '"app_proto":"smb","flow":{"pkts_toserver":5,"pkts_toclient":4,"bytes_toserver":300,'
    '"bytes_toclient":400,"age":1,"state":"closed"},"tcp":{"syn":true,"ack":true,'
    '"state":"closed"}}\n'
    '{"timestamp":"2019-03-11T08:00:01.000000+0000","flow_id":2222,"event_type":"alert",'
    '"src_ip":"10.1.0.5","dest_ip":"10.1.0.6","alert":{"signature":"ET x"}}\n'
    '{"timestamp":"2019-03-11T08:00:02.000000+0000","flow_id":3333,"event_type":"flow",'
    '"src_ip":"10.1.0.5","src_port":49153,"dest_ip":"10.1.0.7","dest_port":445,"proto":"TCP",'
    '"flow":{"pkts_toserver":2,"pkts_toclient":0,"bytes_toserver":120,"bytes_toclient":0,'
    '"age":0,"state":"new"},"tcp":{"syn":true,"state":"syn_sent"}}\n'
    '{"timestamp":"2019-03-11T08:00:03.0\n'
)

NETFILTER = (
    "Mar 11 08:00:01 fw1 kernel: [12345.678901] DROP-B1-B2 IN=eth1 OUT=eth2 "
    "MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC=10.1.0.5 DST=10.2.0.9 LEN=60 TOS=0x00 "
    "PREC=0x00 TTL=63 ID=54321 DF PROTO=TCP SPT=49152 DPT=445 WINDOW=64240 RES=0x00 SYN URGP=0\n"
    "Mar 11 08:00:02 fw1 kernel: ACCEPT-OUT IN=eth1 OUT=eth0 SRC=10.1.0.5 DST=93.184.216.34 "
    "LEN=52 TOS=0x00 PREC=0x00 TTL=63 ID=1 DF PROTO=TCP SPT=49153 DPT=443 WINDOW=64240 "
    "RES=0x00 ACK URGP=0\n"
    "Mar 11 08:00:03 fw1 kernel: [12347.0] DROP IN=eth1 OUT=eth2 SRC=10.1.0.5 DST=10.2.0.\n"
    "Mar  1 08:00:04 fw1 sshd[99]: Accepted password for root\n"
)

FORTI = (
    'Mar 11 08:00:01 fgt date=2019-03-11 time=08:00:01 devname="FGT-CHU" devid="FG100E" '
    'logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" '
    'eventtime=1552291201000000000 srcip=10.1.0.5 srcport=49152 srcintf="port1" '
    'dstip=10.2.0.9 dstport=445 dstintf="port2" sessionid=12345 proto=6 action="deny" '
    'policyid=12 service="SMB" sentbyte=0 rcvdbyte=0 sentpkt=1 rcvdpkt=0\n'
    'date=2019-03-11 time=08:00:02 devname="FGT-CHU" type="traffic" subtype="forward" '
    "srcip=10.1.0.5 srcport=49153 dstip=93.184.216.34 dstport=443 sessionid=12346 proto=6 "
    'action="close" policyid=3 service="HTTPS" sentbyte=1200 rcvdbyte=5400 sentpkt=10 '
    "rcvdpkt=9 duration=3\n"
    'date=2019-03-11 time=08:00:03 devname="FGT-CHU" type="event" subtype="system" msg="x"\n'
    'date=2019-03-11 time=08:00:04 devname="FGT-CHU" type="traffic" srcip=10.1.0.5 '
    'dstip=bad..ip proto=17 action="accept"\n'
)

# CEF from three vendors, after their documented examples (values written here): FortiGate
# (eventtime, `out` = its sentbyte, a value with a space), a FortiGate UTM record (not a
# flow), Palo Alto TRAFFIC and THREAT, Check Point drop and accept, an event without
# addresses, a line that is not CEF, an unreadable date
CEF = (
    "Mar 11 08:00:01 FGT-CHU CEF: 0|Fortinet|Fortigate|v6.0.3|00013|traffic:forward close|3|"
    "FTNTFGTeventtime=1552291201 cat=traffic:forward src=10.1.0.5 spt=49153 dst=93.184.216.34 "
    "dpt=443 proto=6 act=close FTNTFGTpolicyid=3 app=HTTPS FTNTFGTdstcountry=United States "
    "FTNTFGTduration=2 out=1200 in=5400 FTNTFGTsentpkt=10 FTNTFGTrcvdpkt=9\n"
    "Mar 11 08:00:02 FGT-CHU CEF: 0|Fortinet|Fortigate|v6.0.3|16384|utm:virus infected|5|"
    "FTNTFGTeventtime=1552291202 cat=utm:virus src=10.1.0.5 dst=93.184.216.34 dpt=80\n"
    "CEF:0|Palo Alto Networks|PAN-OS|10.1.0|TRAFFIC|deny|3|rt=Mar 11 2019 08:00:03 GMT "
    "src=10.1.0.5 dst=10.2.0.9 spt=49154 dpt=445 proto=tcp act=deny app=ms-ds-smb "
    "cs1Label=Rule cs1=Block SMB between buildings in=66 out=0\n"
    "CEF:0|Palo Alto Networks|PAN-OS|10.1.0|THREAT|vulnerability|5|rt=Mar 11 2019 08:00:04 "
    "src=10.1.0.5 dst=10.2.0.9 dpt=445 proto=tcp act=alert\n"
    "CEF:0|Check Point|VPN-1 & FireWall-1|Check Point|Log|Accept|Unknown|act=Accept "
    "rt=1552291205000 src=10.3.0.5 spt=41001 dst=10.3.0.4 dpt=3389 proto=6 in=74 out=0\n"
    "CEF:0|Vendor|Product|1.0|100|login|3|rt=1552291206000 suser=alice msg=user logged in\n"
    "this line is not CEF\n"
    "CEF:0|Check Point|VPN-1 & FireWall-1|Check Point|Log|Accept|Unknown|act=Accept "
    "rt=not a date src=10.3.0.5 dst=10.3.0.4 dpt=22 proto=6\n"
)

ZEEK_HEAD = (
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\t{path}\n"
    "#open\t2019-03-11-08-00-00\n#fields\t{fields}\n#types\t{types}\n"
)
DNS = (
    ZEEK_HEAD.format(
        path="dns",
        fields="ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery"
        "\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers"
        "\tTTLs\trejected",
        types="time\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\tstring"
        "\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]"
        "\tvector[interval]\tbool",
    )
    + "1552291200.5\tD1\t10.1.0.5\t5353\t10.9.0.1\t53\tudp\t1\t0.01\tevil.example\t1\tC_INTERNET"
    "\t1\tA\t3\tNXDOMAIN\tF\tF\tT\tT\t0\t-\t-\tF\n" + "1552291201.5\tD2\t10.1.0.5\n"
)
SMB = (
    ZEEK_HEAD.format(
        path="smb_mapping",
        fields="ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tpath\tservice"
        "\tnative_file_system\tshare_type",
        types="time\tstring\taddr\tport\taddr\tport\tstring\tstring\tstring\tstring",
    )
    + "1552291200.5\tS1\t10.1.0.5\t49152\t10.1.0.6\t445\t\\\\\\\\10.1.0.6\\\\ADMIN$\t-\t-\tDISK\n"
)


def _ingest(tmp_path: Path, name: str, text: str) -> Ingested:
    return ingest_sample(tmp_path, name, text, reference=datetime(2019, 6, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("name", "text", "source", "records", "reasons"),
    [
        ("flows.csv", NFDUMP, "nfdump_csv", 3, {"truncated line (too few fields)": 1}),
        # the alert is suricata_eve_events' (a `network_event` row)
        ("eve.json", EVE, "suricata_eve_flow+suricata_eve_events", 3, {"not valid JSON": 1}),
        # the sshd line is linux_auth_syslog's, and no login (no client address): skipped
        ("messages", NETFILTER, "netfilter_log+linux_auth_syslog", 2,
         {"truncated line (no PROTO=)": 1}),
        ("fgt.log", FORTI, "fortigate_traffic", 2, {"bad destination address": 1}),
        # the alarm line is another kind: skipped, not rejected
        ("l_connection", SNS, "stormshield_log", 3,
         {"bad destination address": 1, "not a WELF line": 1}),
        # threats, UTM and events without addresses are other kinds: skipped
        ("siem.log", CEF, "cef_traffic", 3,
         {"not a CEF line": 1, "missing or bad timestamp": 1}),
        ("dns.log", DNS, "zeek_dns", 1, {"truncated line (too few fields)": 1}),
        ("smb_mapping.log", SMB, "zeek_smb_mapping", 1, {}),
    ],
)  # fmt: skip
def test_counts_and_rejects(
    tmp_path: Path, name: str, text: str, source: str, records: int, reasons: dict[str, int]
) -> None:
    got = _ingest(tmp_path, name, text)
    assert got.ok, got.result.error
    assert (got.result.source, got.counts[0], got.reasons) == (source, records, reasons)
    assert got.store.count("network_flow") + got.store.count("network_event") == records
    assert all(isinstance(n, int) and n >= 1 for n in got.reject_lines)


def test_nfdump_exact_record_and_summary_skipped(tmp_path: Path) -> None:
    got = _ingest(tmp_path, "flows.csv", NFDUMP)
    rows = got.rows("network_flow")
    first = rows[0]
    assert first["time"] == datetime(2019, 3, 11, 8, 0, tzinfo=UTC)
    assert (first["src_ip"], first["dst_ip"], first["dst_port"]) == ("10.1.0.5", "10.1.0.6", 445)
    assert (first["protocol"], first["status"], first["bytes_out"], first["bytes_in"]) == (
        "tcp", "success", 300, 400
    )  # fmt: skip
    assert first["source_line"] == 2 and first["duration"] == 1.024
    assert rows[1]["status"] == "failure"  # SYN never acknowledged
    assert got.reject_lines == [4]


@pytest.mark.parametrize("limit", [0, 1 << 30])
def test_staged_or_read_twice_same_rows_and_rejects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    """A source's SELECT staged in memory (small files) or run twice (big ones, here forced
    by the size limit) stores the same rows and the same rejects."""
    import rempart.ingest.files as ingest_module

    monkeypatch.setattr(ingest_module, "STAGE_MAX_BYTES", limit)
    got = _ingest(tmp_path, "flows.csv", NFDUMP)
    assert got.counts == (3, 1)
    rows = got.rows("network_flow")
    assert [(r["source_line"], r["dst_ip"], r["bytes_out"]) for r in rows] == [
        (2, "10.1.0.6", 300), (3, "10.1.0.7", 60), (5, "8.8.8.8", 70)
    ]  # fmt: skip
    assert got.reject_lines == [4]
    tables = got.store.sql("SELECT table_name FROM duckdb_tables() WHERE temporary").column(0)
    assert "_staged" not in tables.to_pylist()  # (DuckDB's CSV reject tables may stay)


def test_eve_flow_time_is_its_start(tmp_path: Path) -> None:
    """A `flow` event is written when the flow ends or times out: its row's time is the
    flow's start (`flow.start`), its duration end - start; without them, `timestamp` and
    `age` (the record above)."""
    line = (
        '{"timestamp":"2019-03-11T08:10:00.000000+0100","flow_id":7,"event_type":"flow",'
        '"src_ip":"10.1.0.5","src_port":49152,"dest_ip":"10.1.0.6","dest_port":445,'
        '"proto":"TCP","flow":{"pkts_toserver":5,"pkts_toclient":4,"bytes_toserver":300,'
        '"bytes_toclient":400,"start":"2019-03-11T08:00:00.250000+0100",'
        '"end":"2019-03-11T08:04:30.750000+0100","age":270,"state":"closed"}}\n'
    )
    got = _ingest(tmp_path, "eve.json", line)
    (row,) = got.rows("network_flow")
    assert row["time"] == datetime(2019, 3, 11, 7, 0, 0, 250000, tzinfo=UTC)
    assert row["duration"] == 270.5


def test_eve_exact_record_skips_other_events(tmp_path: Path) -> None:
    got = _ingest(tmp_path, "eve.json", EVE)
    rows = got.rows("network_flow")
    assert [r["source_line"] for r in rows] == [1, 3]
    first = rows[0]
    assert first["time"] == datetime(2019, 3, 11, 8, 0, 0, 500000, tzinfo=UTC)
    assert (first["service"], first["flow_uid"], first["packets_in"]) == ("smb", "1111", 4)
    assert (first["status"], rows[1]["status"]) == ("success", "failure")


def test_eve_flow_outcome_from_the_client_flags(tmp_path: Path) -> None:
    """`tcp.ack` of a `flow` event merges both sides: a closed port's RST+ACK made a refused
    SYN look like a success, so a whole SYN scan read as completed connections (Suricata
    7 on a public Nmap capture). The client's own flags decide: SYN without ACK failed,
    SYN then ACK succeeded, no SYN seen (mid-stream) is unknown."""

    def flow(n: int, ts: str, tc: str, syn: bool) -> str:
        return (
            f'{{"timestamp":"2020-05-10T11:33:0{n}.000000+0000","flow_id":{n},'
            '"event_type":"flow","src_ip":"192.0.2.5","src_port":40000,'
            f'"dest_ip":"192.0.2.9","dest_port":{100 + n},"proto":"TCP","flow":'
            '{"pkts_toserver":1,"pkts_toclient":1,"bytes_toserver":60,"bytes_toclient":60,'
            '"state":"closed"},"tcp":{'
            f'"tcp_flags":"16","tcp_flags_ts":"{ts}","tcp_flags_tc":"{tc}",'
            f'"syn":{str(syn).lower()},"rst":true,"ack":true,"state":"closed"}}}}\n'
        )

    text = (
        flow(1, "02", "14", True)  # SYN, answered RST+ACK: refused
        + flow(2, "1b", "1b", True)  # SYN, ACK, PSH, FIN both ways: completed
        + flow(3, "06", "12", True)  # SYN then RST after a SYN+ACK: half-open scan
        + flow(4, "10", "10", False)  # no SYN seen: picked up mid-stream
    )
    got = _ingest(tmp_path, "eve.json", text)
    status = [r["status"] for r in got.rows("network_flow")]
    assert status == ["failure", "success", "failure", "unknown"]


def test_netfilter_exact_record(tmp_path: Path) -> None:
    got = _ingest(tmp_path, "messages", NETFILTER)
    row = got.record("network_flow", source_line=1)
    assert row["time"] == datetime(2019, 3, 11, 8, 0, 1, tzinfo=UTC)  # year from reference
    assert (row["rule"], row["action"], row["status"]) == ("DROP-B1-B2", "denied", "failure")
    assert (row["src_port"], row["dst_port"], row["protocol"]) == (49152, 445, "tcp")
    assert row["record_kind"] == "firewall"
    assert got.rejects[0] == (3, "truncated line (no PROTO=)")


def test_fortigate_exact_record(tmp_path: Path) -> None:
    got = _ingest(tmp_path, "fgt.log", FORTI)
    rows = got.rows("network_flow")
    deny, ok = rows
    assert deny["time"] == datetime(2019, 3, 11, 8, 0, 1, tzinfo=UTC)
    assert (deny["action"], deny["status"], deny["rule"], deny["flow_uid"]) == (
        "denied", "failure", "12", "12345"
    )  # fmt: skip
    assert (ok["status"], ok["bytes_in"], ok["service"], ok["duration"]) == (
        "success", 5400, "https", 3.0
    )  # fmt: skip
    assert got.reject_lines == [4]


def test_zeek_dns_and_smb_records(tmp_path: Path) -> None:
    got = _ingest(tmp_path, "dns.log", DNS)
    (row,) = got.rows("network_flow")
    assert (row["dns_query"], row["dns_rcode"], row["record_kind"]) == (
        "evil.example", "NXDOMAIN", "dns"
    )  # fmt: skip
    assert row["source_line"] == 9 and row["flow_uid"] == "D1"
    assert got.reject_lines == [10]
    got = _ingest(tmp_path, "smb_mapping.log", SMB)
    (row,) = got.rows("network_flow")
    assert row["smb_path"].endswith("ADMIN$") and row["smb_action"] == "DISK"


def test_cef_exact_records(tmp_path: Path) -> None:
    """Vendors' CEF traffic: times from eventtime / rt (date or epoch ms), FortiGate's byte
    direction, a value holding spaces, denials, a one-way TCP session failed; other event
    kinds skipped, not rejected."""
    got = _ingest(tmp_path, "siem.log", CEF)
    assert got.result.source == "cef_traffic"
    fgt, pan, chk = got.rows("network_flow")
    assert fgt["time"] == datetime(2019, 3, 11, 8, 0, 1, tzinfo=UTC)
    assert (fgt["src_ip"], fgt["dst_ip"], fgt["dst_port"], fgt["protocol"]) == (
        "10.1.0.5", "93.184.216.34", 443, "tcp"
    )  # fmt: skip
    assert (fgt["bytes_out"], fgt["bytes_in"], fgt["packets_in"], fgt["duration"]) == (
        1200, 5400, 9, 2.0
    )  # fmt: skip
    assert (fgt["status"], fgt["action"], fgt["rule"], fgt["service"]) == (
        "success", "allowed", "3", "https"
    )  # fmt: skip
    assert pan["time"] == datetime(2019, 3, 11, 8, 0, 3, tzinfo=UTC)
    assert (pan["action"], pan["status"], pan["rule"], pan["source_line"]) == (
        "denied", "failure", "Block SMB between buildings", 3
    )  # fmt: skip
    assert (chk["time"], chk["bytes_out"], chk["status"]) == (
        datetime(2019, 3, 11, 8, 0, 5, tzinfo=UTC), 74, "failure"
    )  # fmt: skip
    assert got.rejects == [(7, "not a CEF line"), (8, "missing or bad timestamp")]


def test_stormshield_exact_records(tmp_path: Path) -> None:
    """`startime` at the `tz` offset, a block is a denied attempt, ICMP type and code as
    the ports, a filter line without byte counts has an unknown outcome."""
    got = _ingest(tmp_path, "l_connection", SNS)
    block, https, ping = got.rows("network_flow")
    assert block["time"] == datetime(2019, 3, 11, 8, 0, 1, tzinfo=UTC)
    assert (block["src_ip"], block["dst_ip"], block["dst_port"], block["protocol"]) == (
        "10.1.0.5", "10.2.0.9", 445, "tcp"
    )  # fmt: skip
    assert (block["action"], block["status"], block["rule"], block["record_kind"]) == (
        "denied", "failure", "12", "firewall"
    )  # fmt: skip
    assert (https["status"], https["bytes_out"], https["bytes_in"], https["duration"]) == (
        "success", 1200, 5400, 3.52
    )  # fmt: skip
    assert (https["service"], https["source_line"]) == ("https", 2)
    assert (ping["protocol"], ping["src_port"], ping["dst_port"], ping["status"]) == (
        "icmp", 8, 0, "unknown"
    )  # fmt: skip
    assert got.reject_lines == [5, 6]


def test_sniffers_say_no_to_each_other(tmp_path: Path) -> None:
    samples = {"a.csv": NFDUMP, "b.json": EVE, "c.log": NETFILTER, "d.log": FORTI, "e": DNS,
               "f": SNS, "g.log": CEF}  # fmt: skip
    expected = ["nfdump_csv", "suricata_eve_flow", "netfilter_log", "fortigate_traffic",
                "zeek_dns", "stormshield_log", "cef_traffic"]  # fmt: skip
    found = []
    for name, text in samples.items():
        p = tmp_path / name
        p.write_text(text, encoding="utf-8")
        src = sniff(p)
        found.append(src.NAME if src else None)
    assert found == expected
    junk = tmp_path / "junk.txt"
    junk.write_text("hello\nworld\n", encoding="utf-8")
    assert sniff(junk) is None


@pytest.mark.parametrize(
    ("name", "text"),
    [("flows.csv", NFDUMP), ("eve.json", EVE), ("messages", NETFILTER), ("fgt.log", FORTI),
     ("dns.log", DNS)],
)  # fmt: skip
def test_arrow_path_matches_query_path(tmp_path: Path, name: str, text: str) -> None:
    """Without a query sink (a store that cannot run SQL), sources stream Arrow: same rows."""
    from rempart.sources import ParseContext

    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    got = _ingest(tmp_path, name, text)
    fast = got.rows("network_flow")
    other = Store.memory()
    src = sniff(p)
    assert src is not None
    ctx = ParseContext(
        path=p,
        digest=fast[0]["event_uid"].split(":")[0],
        sink=lambda data: other.append("network_flow", data),
        reference_time=datetime(2019, 6, 1, tzinfo=UTC),
    )
    src.parse(p, ctx)
    ctx.close()
    slow = other.sql("SELECT * FROM network_flow ORDER BY source_line").to_pylist()
    assert slow == fast
    assert ctx.rejected == {name: bad for name, _, _, bad in got.result.parts}[src.NAME]


CENTRAL_SYSLOG = (
    "Mar 11 08:00:00 mx postfix/smtpd[123]: warning: unknown[203.0.113.7]: "
    "SASL LOGIN authentication failed: UGFzc3dvcmQ6\n"
    "Mar 11 08:00:01 mx dovecot[12]: imap-login: Login: user=<alice>, method=PLAIN, "
    "rip=10.1.0.5, lip=10.0.0.5, TLS\n"
    "Mar 11 08:00:02 fw1 kernel: [12345.6] DROP-IN IN=eth0 OUT= SRC=203.0.113.9 DST=10.1.0.6 "
    "LEN=60 TTL=50 ID=1 DF PROTO=TCP SPT=4444 DPT=445 WINDOW=29200 SYN URGP=0\n"
    "Mar 11 08:00:03 srv sshd[99]: Accepted publickey for bob from 10.1.0.9 port 5555 ssh2\n"
    # a mail daemon's chatter (rejected by mail_auth_syslog). Was `postfix/qmgr[55]: ABC123:
    # removed`: Postfix's queue lines are now the mail flow, `postfix_delivery`'s, and
    # mail_auth_syslog leaves them alone (tests/mail/test_mail_transfer.py reads a central
    # syslog with delivery lines too)
    "Mar 11 08:00:04 mx postfix/smtpd[55]: disconnect from unknown[203.0.113.7]\n"
)


def test_central_syslog_is_read_by_every_syslog_source(tmp_path: Path) -> None:
    """One rsyslog file holding mail logins, firewall and sshd lines: every syslog source
    reads it, in one transaction; a mail daemon's chatter is rejected."""
    p = tmp_path / "syslog"
    p.write_text(CENTRAL_SYSLOG, encoding="utf-8")
    store = Store.memory()
    res = ingest_file(store, p, reference=datetime(2019, 3, 12, tzinfo=UTC))
    assert res.status is FileStatus.INGESTED
    assert set(res.source.split("+")) == {"mail_auth_syslog", "netfilter_log", "linux_auth_syslog"}
    parts = {name: (cls, n, bad) for name, cls, n, bad in res.parts}
    assert parts == {
        "mail_auth_syslog": ("authentication", 2, 1),
        "netfilter_log": ("network_flow", 1, 0),
        "linux_auth_syslog": ("authentication", 1, 0),
    }
    assert (res.records, res.rejected, res.reasons) == (4, 1, (("not a login record", 1),))
    auth = store.sql("SELECT src_ip, status FROM authentication ORDER BY time").to_pylist()
    assert auth == [
        {"src_ip": "203.0.113.7", "status": "failure"},
        {"src_ip": "10.1.0.5", "status": "success"},
        {"src_ip": "10.1.0.9", "status": "success"},
    ]
    flows = store.sql("SELECT src_ip, dst_port, action FROM network_flow").to_pylist()
    assert flows == [{"src_ip": "203.0.113.9", "dst_port": 445, "action": "denied"}]
    rejected = store.sql("SELECT line, reason FROM rejects").to_pylist()
    assert rejected == [{"line": 5, "reason": "not a login record"}]
    report = IngestReport(files=[res])
    assert report.by_class() == {"authentication": (1, 3, 1), "network_flow": (1, 1, 0)}
    assert ingest_file(store, p).status is FileStatus.ALREADY
    # a source named explicitly reads the file alone
    netfilter = next(s for s in SOURCES if s.NAME == "netfilter_log")
    only = ingest_file(Store.memory(), p, source=netfilter)
    assert (only.source, only.records, only.rejected) == ("netfilter_log", 1, 0)


def test_central_syslog_gzip_cut_keeps_every_source_rows_before_the_cut(tmp_path: Path) -> None:
    """A rotated central syslog copied while it was compressed: every syslog source reads
    the rows before the cut (mail logins too), named after the original file."""
    import gzip

    data = gzip.compress(CENTRAL_SYSLOG.encode() * 3000, compresslevel=1, mtime=0)
    p = tmp_path / "syslog.1.gz"
    p.write_bytes(data[: len(data) * 3 // 5])
    store = Store.memory()
    res = ingest_file(store, p, reference=datetime(2019, 3, 12, tzinfo=UTC))
    assert res.status is FileStatus.INGESTED, res.error
    parts = {name: (cls, n) for name, cls, n, _ in res.parts}
    assert parts["mail_auth_syslog"][1] > 1000 and parts["netfilter_log"][1] > 500
    assert any(reason.startswith("gzip stream truncated") for reason, _ in res.reasons)
    files = store.sql("SELECT DISTINCT source_file FROM authentication").to_pylist()
    assert files == [{"source_file": str(p)}]
    flows = store.sql("SELECT DISTINCT source_file FROM network_flow").to_pylist()
    assert flows == [{"source_file": str(p)}]
