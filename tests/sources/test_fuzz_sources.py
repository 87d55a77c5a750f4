"""Property tests: sources never crash on arbitrary bytes; they ingest or reject."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rempart.ingest.files import FileStatus, ingest_file
from rempart.sources import SOURCES
from rempart.store import Store

ZEEK_HEAD = (
    b"#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\t"
    b"conn_state\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\n"
)
MAIL_HEAD = b"From: a@b.fr\nTo: c@d.fr\nSubject: s\n"
# the heads of the other network formats, so the fuzzer reaches their parsers too
NET_HEADS = [
    ZEEK_HEAD.replace(b"\\x09", b"\\x2c").replace(b"\t", b","),
    b'{"_path":"conn","ts":1.5,"id.orig_h":"10.0.0.1","id.resp_h":"10.0.0.2","conn_state":"S0"}\n',
    b"firstSeen,duration,proto,srcAddr,srcPort,dstAddr,dstPort,packets,bytes,flows\n",
    b"ts,te,td,sa,da,sp,dp,pr,flg,ipkt,ibyt,opkt,obyt\n",
    b'{"timestamp":"2019-03-11T08:00:00.0+0000","event_type":"stats","stats":{}}\n',
    b"Mar 11 08:00:01 fw kernel: DROP IN=e OUT= SRC=10.0.0.1 DST=10.0.0.2 LEN=1 PROTO=TCP\n",
    b'eventtime=1 type="traffic" srcip=10.0.0.1 dstip=10.0.0.2 proto=6 action="deny"\n',
    b'{"event":{"dataset":"zeek.connection"},"@timestamp":"2019-01-11T06:33:35Z"}\n',
    b'id=firewall time="2019-03-11 09:00:05" fw="SNS" tz=+0100 src=10.0.0.1 dst=10.0.0.2\n',
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.binary(max_size=2000),
    prefix=st.sampled_from([ZEEK_HEAD, MAIL_HEAD, b"From x\n", *NET_HEADS]),
)
def test_any_bytes_are_ingested_or_rejected_never_crash(body: bytes, prefix: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input"
        path.write_bytes(prefix + body)
        store = Store.memory()
        for source in SOURCES:
            if not source.sniff(prefix + body, path):
                continue
            res = ingest_file(store, path, source=source)
            assert res.status in (FileStatus.INGESTED, FileStatus.FAILED)
            if res.status is FileStatus.INGESTED:
                assert res.records == store.count(source.EVENT_CLASS)
            break
