"""The injected clock: the ingest log takes its time from the store's clock (the
confirmations of vital cuts: tests/contain/test_impact.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from rempart.core.clock import SYSTEM_CLOCK, FixedClock
from rempart.ingest.files import ingest_file
from rempart.store import Store

NOON = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)

CONN = (
    "#separator \\x09\n#path\tconn\n"
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\t"
    "orig_bytes\tresp_bytes\tconn_state\n"
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\n"
    "1552291200.0\tC1\t10.1.0.5\t49152\t10.1.0.6\t445\ttcp\tsmb\t0.5\t100\t200\tSF\n"
)


def test_fixed_clock_is_aware_utc() -> None:
    paris = timezone(timedelta(hours=1))
    assert FixedClock(datetime(2026, 3, 11, 13, 0, tzinfo=paris)).now() == NOON
    assert FixedClock(NOON).now().tzinfo is UTC
    with pytest.raises(ValueError, match="timezone-aware"):
        FixedClock(datetime(2026, 3, 11, 12, 0))
    assert SYSTEM_CLOCK.now().tzinfo is UTC


def test_ingest_log_time_comes_from_the_store_clock(tmp_path: Path) -> None:
    path = tmp_path / "conn.log"
    path.write_text(CONN, encoding="utf-8")
    store = Store.memory(clock=FixedClock(NOON))
    ingest_file(store, path)
    (row,) = store.con.execute("SELECT ingested_at FROM ingest_log").fetchall()
    assert row[0].astimezone(UTC) == NOON
