"""Windows event logs: `.evtx` files and Winlogbeat / Sysmon / OTRF JSON lines (zipped too).

Every Windows event lands in the `process` table (the host-event table): the normalised
columns when the event has them (process creation: image, command line, parent), the whole
event as JSON in `raw` for evidence, and a flat `fields` MAP (EventData / UserData / flat
JSON keys plus the System keys `EventID`, `Channel`, `Computer`, `Provider_Name`) that the
Sigma engine matches on. The EVTX parser is the Rust one of the `evtx` package; it yields
records as JSON strings which are normalised per chunk by DuckDB, never one by one in Python.
Logon events are copied to `authentication` afterwards (`rempart.ingest.windows`).
"""

from __future__ import annotations

import gzip
import io
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, ClassVar

import duckdb
import pyarrow as pa

from rempart.core.errors import SourceError
from rempart.sources.base import IMPLAUSIBLE_TIME, ParseContext, Source, implausible_sql

CHUNK = 20_000
BATCH_ROWS = 2048  # one Arrow batch of a chunk, the unit DuckDB hands a thread
EVTX_MAGIC = b"ElfFile\x00"
_TEXT_MEMBERS = (".json", ".jsonl", ".ndjson", ".log", ".txt")

_MAP = "MAP(VARCHAR, VARCHAR)"

# The three JSON shapes, normalised to one set of columns. `j` is the event's JSON text.
# System values come from one multi-path extraction `sx` (the document is parsed once).
_EVTX_PATHS = (
    '$.Event.System.TimeCreated."#attributes".SystemTime',
    "$.Event.System.Computer",
    "$.Event.System.Channel",
    "$.Event.System.EventID",
    '$.Event.System.EventID."#text"',
    "$.Event.System.EventRecordID",
    '$.Event.System.Provider."#attributes".Name',
)
_EVTX_SX = "json_extract_string(jv, [" + ", ".join("'" + x + "'" for x in _EVTX_PATHS) + "])"
_EVTX_JSON = f"""
    sx[1] AS time,
    sx[2] AS host,
    sx[3] AS channel,
    COALESCE(TRY_CAST(sx[4] AS INTEGER), TRY_CAST(sx[5] AS INTEGER)) AS event_code,
    COALESCE(rid, TRY_CAST(sx[6] AS BIGINT)) AS record_id,
    sx[7] AS provider,
    map_concat(
        COALESCE(TRY_CAST(json_transform(json_extract(j, '$.Event.EventData'), '"{_MAP}"')
                 AS {_MAP}), MAP{{}}::{_MAP}),
        COALESCE(TRY_CAST(json_transform(json_extract(j, '$.Event.UserData.*')[1], '"{_MAP}"')
                 AS {_MAP}), MAP{{}}::{_MAP})
    ) AS data
"""

_FLAT_JSON = f"""
    COALESCE(json_extract_string(j, '$."@timestamp"'), json_extract_string(j, '$.TimeCreated'),
             json_extract_string(j, '$.EventTime')) AS time,
    COALESCE(json_extract_string(j, '$.Hostname'), json_extract_string(j, '$.Computer'),
             json_extract_string(j, '$.host.name')) AS host,
    json_extract_string(j, '$.Channel') AS channel,
    TRY_CAST(json_extract_string(j, '$.EventID') AS INTEGER) AS event_code,
    COALESCE(rid, TRY_CAST(json_extract_string(j, '$.RecordNumber') AS BIGINT),
             TRY_CAST(json_extract_string(j, '$.EventRecordID') AS BIGINT)) AS record_id,
    COALESCE(json_extract_string(j, '$.SourceName'), json_extract_string(j, '$.ProviderName'))
        AS provider,
    COALESCE(TRY_CAST(json_transform(j, '"{_MAP}"') AS {_MAP}), MAP{{}}::{_MAP}) AS data
"""

_WINLOGBEAT = f"""
    json_extract_string(j, '$."@timestamp"') AS time,
    COALESCE(json_extract_string(j, '$.winlog.computer_name'),
             json_extract_string(j, '$.host.name')) AS host,
    json_extract_string(j, '$.winlog.channel') AS channel,
    TRY_CAST(COALESCE(json_extract_string(j, '$.winlog.event_id'),
                      json_extract_string(j, '$.event.code')) AS INTEGER) AS event_code,
    COALESCE(rid, TRY_CAST(json_extract_string(j, '$.winlog.record_id') AS BIGINT)) AS record_id,
    json_extract_string(j, '$.winlog.provider_name') AS provider,
    map_concat(
        COALESCE(TRY_CAST(json_transform(json_extract(j, '$.winlog.event_data'), '"{_MAP}"')
                 AS {_MAP}), MAP{{}}::{_MAP}),
        COALESCE(TRY_CAST(json_transform(json_extract(j, '$.winlog.user_data'), '"{_MAP}"')
                 AS {_MAP}), MAP{{}}::{_MAP})
    ) AS data
"""

# Unnamed EventData (`<Data>a</Data><Data>b</Data>`: SQL Server, classic PowerShell 400/600/800,
# many Application providers) arrives as `{"#text": [...]}`: kept as its plain text, one value a
# line, as Sigma rules read `Data` (escaped JSON would hide backslashes and line breaks).
_UNWRAP = """CASE WHEN starts_with(e.value, chr(123) || '"#text":') THEN COALESCE(
    array_to_string(TRY_CAST(json_extract(e.value, '$."#text"') AS VARCHAR[]), chr(10)),
    json_extract_string(e.value, '$."#text"'), e.value) ELSE e.value END"""

# Access rights in Security events (4656, 4663, 5145...) arrive as message codes (%%4417); the
# Event Viewer, Winlogbeat's rendered events and so the Sigma rules written on them say
# "WriteData (or AddFile)". Both are kept, so rules written either way match.
ACCESS_NAMES: dict[str, str] = {
    "1537": "DELETE",
    "1538": "READ_CONTROL",
    "1539": "WRITE_DAC",
    "1540": "WRITE_OWNER",
    "1541": "SYNCHRONIZE",
    "1542": "ACCESS_SYS_SEC",
    "4416": "ReadData (or ListDirectory)",
    "4417": "WriteData (or AddFile)",
    "4418": "AppendData (or AddSubdirectory or CreatePipeInstance)",
    "4419": "ReadEA",
    "4420": "WriteEA",
    "4421": "Execute/Traverse",
    "4422": "DeleteChild",
    "4423": "ReadAttributes",
    "4424": "WriteAttributes",
    "4480": "Force process termination",
    "4481": "Create new thread in process",
    "4483": "Perform virtual memory operation",
    "4484": "Read from process memory",
    "4485": "Write to process memory",
    "4486": "Duplicate handle into or out of process",
    "4490": "Query process information",
}


def _access_sql(value: str) -> str:
    """`value` with every known %%code followed by its name (`%%4417 WriteData (or AddFile)`)."""
    out = value
    for code, name in ACCESS_NAMES.items():
        out = f"replace({out}, '%%{code}', '%%{code} {name}')"
    return out


_RENDER = f"""CASE WHEN e.key = 'AccessList' THEN {_access_sql("e.value")} ELSE {_UNWRAP} END"""

_SHAPE = """CASE WHEN json_exists(j, '$.Event.System') THEN 'evtx'
                 WHEN json_exists(j, '$.winlog') THEN 'winlogbeat' ELSE 'flat' END"""

# Process columns, from the flat `data` map (Sysmon names first, then Security 4688 names).
# Keys with spaces (Defender's "Threat Name") lose them, as Sigma rules spell them.
_NORMALISE = f"""
CREATE OR REPLACE TEMP TABLE normalised AS
WITH v AS (SELECT *, CASE WHEN json_valid(j) THEN j END AS jv FROM chunk),
s AS (SELECT *, {_SHAPE.replace("(j,", "(jv,")} AS shape FROM v),
shaped AS (
    SELECT file_id, source_file, fmt, line, jv IS NULL AS bad_json, j,
        {{evtx}} FROM (SELECT * REPLACE (jv AS j), {_EVTX_SX} AS sx
                       FROM s WHERE shape = 'evtx')
    UNION ALL BY NAME
    SELECT file_id, source_file, fmt, line, jv IS NULL AS bad_json, j,
        {{flat}} FROM (SELECT * REPLACE (jv AS j) FROM s WHERE shape = 'flat')
    UNION ALL BY NAME
    SELECT file_id, source_file, fmt, line, jv IS NULL AS bad_json, j,
        {{wlb}} FROM (SELECT * REPLACE (jv AS j) FROM s WHERE shape = 'winlogbeat')
),
typed AS (SELECT * REPLACE (TRY_CAST(time AS TIMESTAMPTZ) AS time) FROM shaped)
SELECT
    CASE WHEN bad_json THEN 'not valid JSON'
         WHEN time IS NULL THEN 'event without a valid time' END AS problem,
    time, host, channel, event_code, record_id,
    COALESCE(data['User'], data['SubjectUserName'], data['TargetUserName']) AS "user",
    TRY_CAST(COALESCE(data['ProcessId'], data['NewProcessId']) AS BIGINT) AS pid,
    TRY_CAST(COALESCE(data['ParentProcessId'], data['ProcessId']) AS BIGINT) AS ppid,
    COALESCE(data['Image'], data['NewProcessName']) AS image,
    COALESCE(data['ParentImage'], data['ParentProcessName']) AS parent_image,
    data['CommandLine'] AS command_line,
    j AS raw,
    map_concat(map_from_entries(list_transform(map_entries(data),
        lambda e: {{{{'key': CASE WHEN contains(e.key, ' ')
            AND NOT list_contains(map_keys(data), replace(e.key, ' ', ''))
            THEN replace(e.key, ' ', '') ELSE e.key END, 'value': {{unwrap}}}}}})),
        map_from_entries(list_filter([
        {{{{'key': 'EventID', 'value': CAST(event_code AS VARCHAR)}}}},
        {{{{'key': 'Channel', 'value': channel}}}},
        {{{{'key': 'Computer', 'value': host}}}},
        {{{{'key': 'Provider_Name', 'value': provider}}}}], lambda e: e.value IS NOT NULL)))
        AS fields,
    file_id || ':' || CAST(line AS VARCHAR) AS event_uid,
    source_file, line AS source_line, fmt AS source_format
FROM typed
""".format(evtx=_EVTX_JSON, flat=_FLAT_JSON, wlb=_WINLOGBEAT, unwrap=_RENDER)

_COLUMNS = ("file_id", "source_file", "fmt", "line", "rid", "j")


class Batcher:
    """Accumulates raw JSON events (of one or many files) and normalises them per chunk."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        emit: Callable[[pa.Table], object],
        time_window: tuple[datetime, datetime] | None = None,
    ) -> None:
        """`time_window`: the plausible times (`rempart.sources.base.time_window`); events
        outside it are rejected with IMPLAUSIBLE_TIME (a bulk ingest has no ParseContext)."""
        self.con = con
        self.emit = emit
        self.time_window = time_window
        self.cols: dict[str, list[object]] = {c: [] for c in _COLUMNS}
        self.rejects: list[tuple[str, int, str]] = []
        self.counts: dict[str, int] = {}

    def add(
        self, file_id: str, source_file: str, fmt: str, line: int, rid: int | None, text: str
    ) -> None:
        c = self.cols
        c["file_id"].append(file_id)
        c["source_file"].append(source_file)
        c["fmt"].append(fmt)
        c["line"].append(line)
        c["rid"].append(rid)
        c["j"].append(text)
        if len(c["j"]) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self.cols["j"]:
            return
        types = (pa.string(), pa.string(), pa.string(), pa.int64(), pa.int64(), pa.string())
        chunk = pa.table(
            {k: pa.array(v, t) for (k, v), t in zip(self.cols.items(), types, strict=True)}
        )
        # in batches of BATCH_ROWS: DuckDB scans an Arrow table's batches on all its threads
        chunk = pa.Table.from_batches(chunk.to_batches(max_chunksize=BATCH_ROWS))
        self.cols = {c: [] for c in _COLUMNS}
        self.con.register("chunk", chunk)
        try:
            self.con.execute(_NORMALISE)
        finally:
            self.con.unregister("chunk")
        if self.time_window is not None:
            self.con.execute(
                f"UPDATE normalised SET problem = '{IMPLAUSIBLE_TIME}' WHERE problem IS NULL "
                f"AND {implausible_sql('time', self.time_window)}"
            )
        self.rejects.extend(
            (str(f), int(n), str(p))
            for f, n, p in self.con.execute(
                "SELECT source_file, source_line, problem FROM normalised "
                "WHERE problem IS NOT NULL ORDER BY source_file, source_line"
            ).fetchall()
        )
        for f, n in self.con.execute(
            "SELECT source_file, count(*) FROM normalised WHERE problem IS NULL GROUP BY ALL"
        ).fetchall():
            self.counts[str(f)] = self.counts.get(str(f), 0) + int(n)
        self.emit(
            self.con.sql(
                "SELECT * EXCLUDE (problem) FROM normalised WHERE problem IS NULL "
                "ORDER BY source_file, source_line"
            ).to_arrow_table()
        )


def _single_file_batcher(ctx: ParseContext) -> Batcher:
    return Batcher(ctx.scratch(), ctx.emit)


def _finish(ctx: ParseContext, batcher: Batcher) -> None:
    batcher.flush()
    for _file, line, reason in batcher.rejects:
        ctx.reject(line, reason)


def read_evtx(
    path: Path, add: Callable[[int, int | None, str], None], reject: Callable[[int, str], None]
) -> None:
    """Feed every record of an EVTX file to `add(line, record_id, json)`; damaged ones rejected."""
    import evtx

    try:
        parser = evtx.PyEvtxParser(str(path))
    except (OSError, RuntimeError) as exc:
        raise SourceError(path, f"not a readable EVTX file: {exc}") from exc
    records = parser.records_json()
    index = 0
    while True:
        index += 1
        try:
            rec = next(records)
        except StopIteration:
            break
        except (RuntimeError, OSError, ValueError) as exc:
            # The Rust parser reports a damaged record or chunk and goes on with the next.
            reject(index, f"damaged EVTX record: {str(exc).splitlines()[0][:120]}")
            continue
        if rec is None:
            continue
        rid = int(rec["event_record_id"])
        add(rid, rid, str(rec["data"]))


class EvtxSource(Source):
    """Windows binary event logs (`.evtx`), parsed by the Rust `evtx` package."""

    NAME: ClassVar[str] = "evtx"
    VERSION: ClassVar[str] = "1"
    EVENT_CLASS: ClassVar[str] = "process"
    DESCRIPTION: ClassVar[str] = "Windows EVTX (Security, Sysmon, System, PowerShell...)"

    def sniff(self, head: bytes, path: Path) -> bool:
        return head.startswith(EVTX_MAGIC)

    def parse(self, path: Path, ctx: ParseContext) -> None:
        batcher = _single_file_batcher(ctx)
        file_id, name = ctx.file_id, str(ctx.path)

        def add(line: int, rid: int | None, text: str) -> None:
            batcher.add(file_id, name, self.NAME, line, rid, text)

        read_evtx(path, add, ctx.reject)
        _finish(ctx, batcher)


def _json_streams(path: Path) -> Iterator[tuple[str, IO[bytes]]]:
    """(member name, binary stream) of a JSON file, a gzipped one, or each member of a zip."""
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic.startswith(b"PK"):
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if not info.is_dir() and info.filename.lower().endswith(_TEXT_MEMBERS):
                    with zf.open(info) as member:
                        yield info.filename, member
        return
    if magic.startswith(b"\x1f\x8b"):
        with gzip.open(path, "rb") as gz:
            yield path.name, gz  # type: ignore[misc]
        return
    with path.open("rb") as raw:
        yield path.name, raw


def _looks_like_events(text: bytes) -> bool:
    return text.lstrip()[:1] in (b"{", b"[") and any(
        key in text for key in (b'"EventID"', b'"winlog"', b'"Event"', b'"event_id"')
    )


class WinJsonSource(Source):
    """Windows events as JSON: Winlogbeat (ECS), OTRF/Mordor flat lines, `evtx_dump` JSON."""

    NAME: ClassVar[str] = "winevent_json"
    VERSION: ClassVar[str] = "1"
    EVENT_CLASS: ClassVar[str] = "process"
    DESCRIPTION: ClassVar[str] = "Winlogbeat / Sysmon / OTRF JSON lines, plain, gzip or zip"

    def sniff(self, head: bytes, path: Path) -> bool:
        if head.startswith(b"PK"):
            try:
                for _name, stream in _json_streams(path):
                    return _looks_like_events(stream.read(4096))
            except (OSError, zipfile.BadZipFile):
                return False
            return False
        return _looks_like_events(head)

    def parse(self, path: Path, ctx: ParseContext) -> None:
        batcher = _single_file_batcher(ctx)
        file_id, name = ctx.file_id, str(ctx.path)

        def add(line: int, rid: int | None, text: str) -> None:
            batcher.add(file_id, name, self.NAME, line, rid, text)

        read_json_events(path, add, ctx.reject)
        _finish(ctx, batcher)


def read_json_events(
    path: Path, add: Callable[[int, int | None, str], None], reject: Callable[[int, str], None]
) -> None:
    """Feed every JSON event of a file (lines, one document or a list; zip/gzip) to `add`."""
    import json

    offset = 0  # line numbers continue across the members of a zip
    try:
        for _name, stream in _json_streams(path):
            text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace")
            first = text.readline()
            if first.strip() in ("{", "["):
                # Pretty-printed documents (one event, a list, or several in a row).
                doc = first + text.read()
                decoder = json.JSONDecoder()
                pos = 0
                while pos < len(doc):
                    while pos < len(doc) and doc[pos] in " \t\r\n,":
                        pos += 1
                    if pos >= len(doc):
                        break
                    try:
                        parsed, pos = decoder.raw_decode(doc, pos)
                    except ValueError:
                        reject(offset + 1, "not valid JSON")
                        break
                    for item in parsed if isinstance(parsed, list) else [parsed]:
                        offset += 1
                        add(offset, None, json.dumps(item))
                continue
            for raw_line in _chain(first, text):
                offset += 1
                stripped = raw_line.strip()
                if stripped:
                    add(offset, None, stripped)
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise SourceError(path, f"cannot read: {exc}") from exc


def _chain(first: str, rest: IO[str]) -> Iterator[str]:
    yield first
    yield from rest


def collection_hosts(root: Path) -> dict[str, str]:
    """A responder's collection (one sub-folder per machine): file path -> host (folder name)."""
    out: dict[str, str] = {}
    for sub in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for f in sorted(sub.rglob("*")):
            if f.is_file():
                out[str(f)] = sub.name
    return out


__all__ = [
    "Batcher",
    "EvtxSource",
    "WinJsonSource",
    "collection_hosts",
    "read_evtx",
    "read_json_events",
]
