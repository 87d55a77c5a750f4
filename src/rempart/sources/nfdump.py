"""nfdump CSV (`nfdump -r file -o csv`): NetFlow/IPFIX records from routers and probes.

Two header styles exist. nfdump 1.6 and 1.7 up to 1.7.4 write a fixed 48-column layout
named by short tokens (`ts,te,td,sa,da,sp,dp,pr,flg,...,ipkt,ibyt,opkt,obyt,...`), times as
`YYYY-MM-DD hh:mm:ss`, protocols by name (TCP, UDP, ICMP6), and end the file with a
`Summary` block, which is skipped (not a flow, not an error). nfdump 1.7.5 and later write
`firstSeen,duration,proto,srcAddr,srcPort,dstAddr,dstPort,packets,bytes,flows` by default
(protocol numbers, milliseconds) and any `-o 'csv:%ts,%sa,...'` layout with its own header
line (`%tsr` gives epoch seconds). Columns are found by name in either style. Written with
`-q`, the file has no header line; the two default layouts are then recognised by their
fields (48 starting with two times, or the ten of 1.7.5).
TCP flags give the outcome: a SYN never acknowledged is a failed attempt. nfdump prints
times in the local zone of the machine that ran it (`%tsg` or `TZ=UTC` give UTC); they are
read as UTC. ICMP is stored as Zeek does: protocol `icmp`, type as source port, code as
destination port. Read by DuckDB's CSV reader as text and cast in SQL, so a bad line is a
rejected row with its line number.
"""

from __future__ import annotations

import re
from pathlib import Path

from rempart.core.errors import SourceError
from rempart.sources.base import ParseContext, Source
from rempart.sources.flowsql import emit_flows, flow_select
from rempart.sources.gzipcut import is_gzip

# the fields read, and the names each nfdump generation gives them (1.6-1.7.4 first)
_NAMES: dict[str, tuple[str, ...]] = {
    "ts": ("ts", "firstSeen"),
    "td": ("td", "duration"),
    "sa": ("sa", "srcAddr"),
    "da": ("da", "dstAddr"),
    "sp": ("sp", "srcPort"),
    "dp": ("dp", "dstPort"),
    "pr": ("pr", "proto"),
    "flg": ("flg", "flags"),
    "ipkt": ("ipkt", "inPackets", "packets"),
    "ibyt": ("ibyt", "inBytes", "bytes"),
    "opkt": ("opkt", "outPackets"),
    "obyt": ("obyt", "outBytes"),
}
_NEEDED = ("ts", "sa", "da", "pr")
# `nfdump -q` writes no header line: the two default layouts are then known by their shape
_FIXED_48 = (
    "ts", "te", "td", "sa", "da", "sp", "dp", "pr", "flg", "fwd", "stos", "ipkt", "ibyt",
    "opkt", "obyt", "in", "out", "sas", "das", "smk", "dmk", "dtos", "dir", "nh", "nhb",
    "svln", "dvln", "ismc", "odmc", "idmc", "osmc", *(f"mpls{i}" for i in range(1, 11)),
    "cl", "sl", "al", "ra", "eng", "exid", "tr",
)  # fmt: skip
_DEFAULT_175 = (
    "firstSeen", "duration", "proto", "srcAddr", "srcPort", "dstAddr", "dstPort", "packets",
    "bytes", "flows",
)  # fmt: skip
_STAMP = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?"
_IP = r"[0-9A-Fa-f.:]{2,45}"
_HEADLESS = {
    # 1.6 - 1.7.4: ts,te,td,sa,da,... (48 fields)
    _FIXED_48: re.compile(rf"^{_STAMP},{_STAMP},[0-9.]+,{_IP},{_IP},"),
    # 1.7.5+: firstSeen,duration,proto,srcAddr,srcPort,dstAddr,dstPort,packets,bytes,flows
    _DEFAULT_175: re.compile(rf"^{_STAMP},[0-9.]+,\w+,{_IP},[0-9.]+,{_IP},[0-9.]+,\d+,\d+,\d+\s*$"),
}
_TCP = ("tcp", "6")
_ICMP = ("icmp", "icmp6", "ipv6-icmp", "1", "58")


def _header(head: str) -> list[str] | None:
    """The column names of an nfdump CSV header line, or None if it is not one."""
    cols = [c.strip() for c in head.strip().split(",")]
    names = set(cols)
    if all(any(n in names for n in _NAMES[k]) for k in _NEEDED):
        return cols
    return None


def _headless(first: str) -> list[str] | None:
    """The column names of a default layout written without its header (`nfdump -q`), when
    `first` is a record of it, else None."""
    fields = first.rstrip("\r\n").count(",") + 1
    for names, shape in _HEADLESS.items():
        if fields == len(names) and shape.match(first):
            return list(names)
    return None


class NfdumpCsvSource(Source):
    NAME = "nfdump_csv"
    VERSION = "1.1"
    EVENT_CLASS = "network_flow"
    DESCRIPTION = "nfdump -o csv export (NetFlow v5/v9, IPFIX), 1.6 and 1.7 headers"

    def sniff(self, head: bytes, path: Path) -> bool:
        first = head.split(b"\n", 1)[0].decode("ascii", "replace")
        if first.startswith("ts,te,td,sa,da,sp,dp,pr") or _headless(first):
            return True
        cols = _header(first)
        return cols is not None and "srcAddr" in cols and "dstAddr" in cols

    def parse(self, path: Path, ctx: ParseContext) -> None:
        import gzip

        opener = gzip.open if is_gzip(path) else open
        with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
            first = fh.readline()
        header = _header(first)
        headless = _headless(first) if header is None else None
        header = header or headless
        if header is None:
            raise SourceError(path, "nfdump CSV header lacks the time, addresses or protocol")
        if len(set(header)) != len(header):
            raise SourceError(path, "nfdump CSV header names a column twice")
        cols = dict.fromkeys(header, "VARCHAR")

        def col(key: str) -> str:
            for name in _NAMES[key]:
                if name in header:
                    return f'"{name}"'
            return "NULL"

        ts, pr, dp = col("ts"), col("pr"), col("dp")
        flags = f"coalesce({col('flg')}, '')"
        proto = (
            f"CASE WHEN lower(trim({pr})) IN {_ICMP} THEN 'icmp' "
            f"WHEN trim({pr}) = '6' THEN 'tcp' WHEN trim({pr}) = '17' THEN 'udp' "
            f"ELSE lower(trim({pr})) END"
        )
        tcp = f"lower(trim({pr})) IN {_TCP}"
        port = "TRY_CAST(TRY_CAST(trim({}) AS DOUBLE) AS INTEGER)"
        # ICMP: nfdump's destination port is type.code (or type * 256 + code)
        dnum = port.format(dp)
        icmp_type = (
            f"CASE WHEN strpos({dp}, '.') > 0 THEN TRY_CAST(split_part({dp}, '.', 1) AS INTEGER) "
            f"ELSE {dnum} // 256 END"
        )
        icmp_code = (
            f"CASE WHEN strpos({dp}, '.') > 0 THEN TRY_CAST(split_part({dp}, '.', 2) AS INTEGER) "
            f"ELSE {dnum} % 256 END"
        )
        is_icmp = f"({proto}) = 'icmp'"
        exprs = {
            # `YYYY-MM-DD hh:mm:ss[.mmm]`, or epoch seconds (`%tsr`)
            "time": f"coalesce(TRY_CAST(trim({ts}) AS TIMESTAMP) AT TIME ZONE 'UTC', "
            f"to_timestamp(TRY_CAST(trim({ts}) AS DOUBLE)))",
            "duration": f"trim({col('td')})",
            "src_ip": f"trim({col('sa')})",
            "dst_ip": f"trim({col('da')})",
            "src_port": f"CASE WHEN {is_icmp} THEN {icmp_type} ELSE {port.format(col('sp'))} END",
            "dst_port": f"CASE WHEN {is_icmp} THEN {icmp_code} ELSE {dnum} END",
            "protocol": proto,
            "bytes_out": f"trim({col('ibyt')})",
            "bytes_in": f"trim({col('obyt')})",
            "packets_out": f"trim({col('ipkt')})",
            "packets_in": f"trim({col('opkt')})",
            "conn_state": f"nullif({flags}, '')",
            "status": f"""CASE WHEN NOT {tcp} THEN 'unknown'
                WHEN strpos({flags}, 'A') > 0 THEN 'success'
                WHEN strpos({flags}, 'S') > 0 OR strpos({flags}, 'R') > 0 THEN 'failure'
                ELSE 'unknown' END""",
            "record_kind": "'flow'",
        }
        reject = (
            f"WHEN {col('sa')} IS NULL OR {col('da')} IS NULL OR {pr} IS NULL "
            "THEN 'truncated line (too few fields)' "
            f"WHEN {dp} IS NOT NULL AND {dnum} IS NULL AND NOT {is_icmp} "
            "THEN 'bad destination port' "
        )
        comp = "gzip" if is_gzip(path) else "none"
        scan = (
            f"SELECT row_number() OVER () + {0 if headless else 1} AS _n, * FROM read_csv("
            f"$path, delim=',', header={'false' if headless else 'true'}, quote='', escape='', "
            "auto_detect=false, "
            f"columns=$columns, null_padding=true, store_rejects=true, compression='{comp}')"
        )
        summary = f"(SELECT min(_n) FROM ({scan}) s WHERE {ts} = 'Summary')"
        select = flow_select(self.NAME, exprs, reject)
        sql = (
            f"SELECT {select} FROM ({scan}) t "
            f"WHERE _n < coalesce({summary}, 9223372036854775807) AND coalesce({ts}, '') <> ''"
        )
        emit_flows(path, ctx, sql, self.schema(), csv_rejects=True, params={"columns": cols})
