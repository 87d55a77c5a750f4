"""Records at an implausible time (before 2000, or after the ingest's clock plus a day) are
rejected one by one with their line, whatever way their source emits them (compact flows,
a SQL SELECT, Arrow rows); the rest of the file is kept; a file where nothing is left says
so once. The ingest's "now" is the store's injected clock."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.sources.harness import ingest_sample

from rempart.app.ingest import implausible_times, ingest
from rempart.app.sources_view import sources
from rempart.core.clock import FixedClock
from rempart.core.i18n import render_reason
from rempart.sources.base import IMPLAUSIBLE_TIME
from rempart.store import Store

NOW = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)
HEADER = (
    "#separator \\x09\n#path\tconn\n"
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\t"
    "orig_bytes\tresp_bytes\tconn_state\n"
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\n"
)


def _conn(ts: str, uid: str) -> str:
    return f"{ts}\t{uid}\t10.1.0.5\t49152\t10.1.0.6\t445\ttcp\tsmb\t0.5\t100\t200\tSF\n"


# line 5: 1970 (relative), line 6: 2019, line 7: 2100 (a wrong clock), line 8: 2026-03-12
# 11:00 (within the day of skew)
CONN = HEADER + "".join(
    _conn(ts, f"C{i}")
    for i, ts in enumerate(("13.184015", "1552291200.0", "4102444800.0", "1773313200.0"))
)


def _store(now: datetime = NOW) -> Store:
    return Store.memory(clock=FixedClock(now))


def test_conn_log_rows_out_of_time_are_rejected_with_their_line(tmp_path: Path) -> None:
    got = ingest_sample(tmp_path, "conn.log", CONN, store=_store())
    assert got.counts == (2, 2)
    assert got.rejects == [(5, IMPLAUSIBLE_TIME), (7, IMPLAUSIBLE_TIME)]
    assert got.result.implausible == 2 and not got.result.all_implausible
    kept = [r["flow_uid"] for r in got.rows("network_flow", "time")]
    assert kept == ["C1", "C3"]


def test_the_clock_decides_what_is_the_future(tmp_path: Path) -> None:
    """The same file ingested by a clock of 2101: the 2100 row is no longer in the future."""
    got = ingest_sample(tmp_path, "conn.log", CONN, store=_store(datetime(2101, 1, 1, tzinfo=UTC)))
    assert got.counts == (3, 1) and got.rejects == [(5, IMPLAUSIBLE_TIME)]


def test_json_conn_log_and_a_sql_source(tmp_path: Path) -> None:
    """Zeek JSON (compact flows, JSON line finder) and Suricata EVE (a SQL SELECT): the
    rows out of time rejected, with their lines."""
    rows = [
        {"ts": 13.1, "uid": "J0", "id.orig_h": "10.1.0.5", "id.orig_p": 1, "id.resp_h": "10.1.0.6",
         "id.resp_p": 445, "proto": "tcp", "conn_state": "SF"},
        {"ts": 1552291200.0, "uid": "J1", "id.orig_h": "10.1.0.5", "id.orig_p": 1,
         "id.resp_h": "10.1.0.6", "id.resp_p": 445, "proto": "tcp", "conn_state": "SF"},
    ]  # fmt: skip
    text = "".join(json.dumps(r) + "\n" for r in rows)
    got = ingest_sample(tmp_path, "conn.json", text, store=_store())
    assert got.result.source == "zeek_conn_json"
    assert got.counts == (1, 1) and got.rejects == [(1, IMPLAUSIBLE_TIME)]
    eve = "".join(
        json.dumps(
            {"timestamp": when, "event_type": "flow", "src_ip": "10.1.0.5", "src_port": 1,
             "dest_ip": "10.1.0.6", "dest_port": 445, "proto": "TCP",
             "flow": {"pkts_toserver": 1, "pkts_toclient": 1, "bytes_toserver": 60,
                      "bytes_toclient": 60, "state": "closed"}}
        ) + "\n"
        for when in ("2019-03-11T10:00:00.000000+0000", "2100-01-01T00:00:00.000000+0000")
    )  # fmt: skip
    got = ingest_sample(tmp_path, "eve.json", eve, store=_store())
    assert got.result.source == "suricata_eve_flow", got.result
    assert got.counts == (1, 1) and got.rejects == [(2, IMPLAUSIBLE_TIME)]


def test_arrow_rows_are_checked_too(tmp_path: Path) -> None:
    """A syslog with full dates (Arrow rows): the 1999 and 2099 lines rejected."""
    log = "".join(
        f"{when} srv sshd[1]: Failed password for root from 203.0.113.9 port 22 ssh2\n"
        for when in (
            "1999-12-31T23:00:00+00:00",
            "2025-06-01T10:00:00+00:00",
            "2099-01-01T00:00:00+00:00",
        )
    )
    got = ingest_sample(tmp_path, "auth.log", log, store=_store())
    assert got.result.event_class == "authentication", got.result
    assert got.counts == (1, 2)
    assert got.rejects == [(1, IMPLAUSIBLE_TIME), (3, IMPLAUSIBLE_TIME)]


def test_a_message_date_is_the_senders_word_not_a_reject(tmp_path: Path) -> None:
    eml = (
        "From: a@example.org\nTo: b@example.org\nSubject: hello\n"
        "Date: Thu, 01 Jan 1970 00:00:00 +0000\nMessage-ID: <x@example.org>\n\nbody\n"
    )
    got = ingest_sample(tmp_path, "m.eml", eml, store=_store())
    assert got.counts == (1, 0)


def test_a_wholly_relative_capture_is_said_once(tmp_path: Path) -> None:
    """Every row of 1970: nothing kept, one warning naming the file (not one per line), the
    reject reason in the report, and the Sources view lists the file as wholly implausible."""
    ws = tmp_path / "ws"
    log = tmp_path / "relative-conn.log"
    log.write_text(HEADER + "".join(_conn(f"{i}.5", f"R{i}") for i in range(300)), "utf-8")
    good = tmp_path / "conn.log"
    good.write_text(CONN, "utf-8")
    report = ingest(ws, [log, good])
    odd = {Path(f.path).name: f for f in implausible_times(report)}
    assert set(odd) == {"relative-conn.log", "conn.log"}
    assert odd["relative-conn.log"].all_implausible and odd["relative-conn.log"].implausible == 300
    assert not odd["conn.log"].all_implausible
    assert report.reasons()[IMPLAUSIBLE_TIME] == 300 + 2
    view = sources(ws)
    whole = {Path(f.path).name: f for f in view.implausible}
    assert whole["relative-conn.log"].whole and whole["relative-conn.log"].rejected == 300
    assert whole["relative-conn.log"].first_line == 5 and not whole["conn.log"].whole
    logged = {Path(f.path).name: f for f in view.files}
    assert logged["relative-conn.log"].rejected == 300


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_cli_warns_once_per_file(tmp_path: Path, lang: str) -> None:
    log = tmp_path / "relative-conn.log"
    log.write_text(HEADER + "".join(_conn(f"{i}.5", f"R{i}") for i in range(50)), "utf-8")
    run = [sys.executable, "-c", "from rempart.cli import main; main()"]
    res = subprocess.run(
        [*run, "ingest", "-w", str(tmp_path / "ws"), str(log), "--lang", lang],
        capture_output=True,
        text=True,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join(sys.path)},
    )
    assert res.returncode == 0, res.stderr
    said = [line for line in res.stderr.splitlines() if "relative-conn.log" in line]
    assert len(said) == 1
    assert ("nothing ingested, all 50" if lang == "en" else "aucun enregistrement") in said[0]
    # the reasons table speaks the chosen language (the stored reason is the English one)
    shown = render_reason(IMPLAUSIBLE_TIME, "en" if lang == "en" else "fr")
    assert shown.split(" (")[0] in res.stdout
    assert (lang == "en") == (IMPLAUSIBLE_TIME.split(" (")[0] in res.stdout)
