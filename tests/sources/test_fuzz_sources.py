"""Property tests: sources never crash on arbitrary bytes; they ingest or reject."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rempart.sources import SOURCES
from rempart.store import Store
from rempart.store.ingest import FileStatus, ingest_file

ZEEK_HEAD = (
    b"#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\t"
    b"conn_state\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\n"
)
MAIL_HEAD = b"From: a@b.fr\nTo: c@d.fr\nSubject: s\n"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.binary(max_size=2000), prefix=st.sampled_from([ZEEK_HEAD, MAIL_HEAD, b"From x\n"]))
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
