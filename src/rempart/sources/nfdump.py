"""nfdump CSV (`nfdump -r file -o csv`): NetFlow/IPFIX records from routers and probes.

The header line names the columns (`ts,te,td,sa,da,sp,dp,pr,flg,...,ipkt,ibyt,opkt,obyt`);
nfdump ends the file with a `Summary` block, which is skipped (not a flow, not an error).
TCP flags give the outcome: a SYN never acknowledged is a failed attempt. Read by DuckDB's
CSV reader as text and cast in SQL, so a bad line is a rejected row with its line number.
"""

from __future__ import annotations

from pathlib import Path

from rempart.errors import SourceError
from rempart.sources.base import ParseContext, Source
from rempart.sources.flowsql import emit_flows, flow_select
from rempart.sources.zeek_conn import _is_gzip

_NEEDED = ("ts", "td", "sa", "da", "sp", "dp", "pr")
_PROTO = "lower(CASE WHEN pr = '6' THEN 'TCP' WHEN pr = '17' THEN 'UDP' WHEN pr = '1' THEN 'ICMP' ELSE pr END)"  # noqa: E501


class NfdumpCsvSource(Source):
    NAME = "nfdump_csv"
    VERSION = "1.0"
    EVENT_CLASS = "network_flow"
    DESCRIPTION = "nfdump -o csv export (NetFlow v5/v9, IPFIX)"

    def sniff(self, head: bytes, path: Path) -> bool:
        first = head.split(b"\n", 1)[0].strip().decode("ascii", "replace")
        return first.startswith("ts,te,td,sa,da,sp,dp,pr")

    def parse(self, path: Path, ctx: ParseContext) -> None:
        import gzip

        opener = gzip.open if _is_gzip(path) else open
        with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
            header = fh.readline().strip().split(",")
        if not all(c in header for c in _NEEDED):
            raise SourceError(path, "nfdump CSV header lacks ts/td/sa/da/sp/dp/pr")
        cols = {c: "VARCHAR" for c in header}

        def col(name: str) -> str:
            return f'"{name}"' if name in header else "NULL"

        flags = f"coalesce({col('flg')}, '')"
        exprs = {
            "time": "TRY_CAST(ts AS TIMESTAMP) AT TIME ZONE 'UTC'",
            "duration": "td",
            "src_ip": "sa",
            "dst_ip": "da",
            "src_port": "TRY_CAST(TRY_CAST(sp AS DOUBLE) AS INTEGER)",
            "dst_port": "TRY_CAST(TRY_CAST(dp AS DOUBLE) AS INTEGER)",
            "protocol": _PROTO,
            "bytes_out": col("ibyt"),
            "bytes_in": col("obyt"),
            "packets_out": col("ipkt"),
            "packets_in": col("opkt"),
            "conn_state": f"nullif({flags}, '')",
            "status": f"""CASE WHEN {_PROTO} <> 'tcp' THEN 'unknown'
                WHEN strpos({flags}, 'A') > 0 THEN 'success'
                WHEN strpos({flags}, 'S') > 0 OR strpos({flags}, 'R') > 0 THEN 'failure'
                ELSE 'unknown' END""",
            "record_kind": "'flow'",
        }
        reject = (
            "WHEN sa IS NULL OR da IS NULL OR pr IS NULL THEN 'truncated line (too few fields)' "
            "WHEN dp IS NOT NULL AND TRY_CAST(dp AS DOUBLE) IS NULL THEN 'bad destination port' "
        )
        comp = "gzip" if _is_gzip(path) else "none"
        scan = (
            "SELECT row_number() OVER () + 1 AS _n, * FROM read_csv($path, delim=',', "
            "header=true, quote='', escape='', auto_detect=false, "
            f"columns=$columns, null_padding=true, store_rejects=true, compression='{comp}')"
        )
        summary = f"(SELECT min(_n) FROM ({scan}) s WHERE ts = 'Summary')"
        select = flow_select(self.NAME, exprs, reject)
        sql = (
            f"SELECT {select} FROM ({scan}) t "
            f"WHERE _n < coalesce({summary}, 9223372036854775807) AND coalesce(ts, '') <> ''"
        )
        emit_flows(path, ctx, sql, self.schema(), csv_rejects=True, params={"columns": cols})
