"""Linux netfilter `LOG` lines (iptables / nftables) from syslog: what the firewall saw.

    Mar 11 08:00:01 fw1 kernel: [1234.5] DROP-B1 IN=eth1 OUT=eth2 SRC=10.1.0.5 DST=10.2.0.9
    LEN=60 ... PROTO=TCP SPT=49152 DPT=445 WINDOW=64240 RES=0x00 SYN URGP=0

The log prefix becomes `rule`; a prefix naming DROP, REJECT, DENY or BLOCK makes the
record `denied` (a failed attempt for the scan detector), ACCEPT or ALLOW `allowed`.
BSD syslog has no year and no zone: the year comes from the ingest reference time and the
clock is taken as UTC (RFC 3339 stamps, as rsyslog writes them, are read as they are).
Lines are split and matched by DuckDB regular expressions, never in a Python loop.
"""

from __future__ import annotations

import re
from pathlib import Path

from rempart.sources.base import ParseContext, Source
from rempart.sources.flowsql import emit_flows, flow_select, lines_scan

_HEAD = re.compile(rb"kernel: .*SRC=[0-9a-fA-F.:]+ DST=[0-9a-fA-F.:]+ .*PROTO=")


def _kv(key: str) -> str:
    return f"nullif(regexp_extract(line, ' {key}=([^ ]*)', 1), '')"


class NetfilterLogSource(Source):
    NAME = "netfilter_log"
    VERSION = "1.0"
    EVENT_CLASS = "network_flow"
    DESCRIPTION = "Linux iptables/nftables LOG lines in syslog (BSD or RFC 3339 stamps)"

    def sniff(self, head: bytes, path: Path) -> bool:
        return any(_HEAD.search(line) for line in head.split(b"\n")[:20])

    def parse(self, path: Path, ctx: ParseContext) -> None:
        year = int(ctx.reference_time.year)
        bsd = (
            f"try_strptime('{year} ' || regexp_replace(regexp_extract(line, "
            r"'^([A-Z][a-z]{2} +[0-9]{1,2} [0-9]{2}:[0-9]{2}:[0-9]{2})', 1), ' +', ' ', 'g'), "
            "'%Y %b %d %H:%M:%S')"
        )
        iso = r"TRY_CAST(nullif(regexp_extract(line, '^([0-9]{4}-[0-9]{2}-[0-9]{2}T[^ ]+)', 1), '') AS TIMESTAMPTZ)"  # noqa: E501
        prefix = r"nullif(trim(regexp_extract(line, 'kernel: (\[[ 0-9.]+\] )?(.*?) ?IN=', 2)), '')"
        verdict = (
            f"CASE WHEN regexp_matches(upper(coalesce({prefix}, '')), "
            "'DROP|REJECT|DENY|BLOCK') THEN 'denied' "
            f"WHEN regexp_matches(upper(coalesce({prefix}, '')), 'ACCEPT|ALLOW') "
            "THEN 'allowed' END"
        )
        exprs = {
            "time": f"coalesce({iso}, CAST({bsd} AS TIMESTAMP) AT TIME ZONE 'UTC')",
            "src_ip": _kv("SRC"),
            "dst_ip": _kv("DST"),
            "src_port": _kv("SPT"),
            "dst_port": _kv("DPT"),
            "protocol": f"lower({_kv('PROTO')})",
            "bytes_out": _kv("LEN"),
            "packets_out": "1",
            "action": verdict,
            "status": f"CASE WHEN ({verdict}) = 'denied' THEN 'failure' ELSE 'unknown' END",
            "conn_state": "CASE WHEN regexp_matches(line, ' SYN ') AND NOT "
            "regexp_matches(line, ' ACK ') THEN 'SYN' END",
            "record_kind": "'firewall'",
            "rule": prefix,
        }
        reject = (
            "WHEN NOT regexp_matches(line, ' SRC=') THEN 'not a netfilter LOG line' "
            f"WHEN {_kv('PROTO')} IS NULL THEN 'truncated line (no PROTO=)' "
        )
        select = flow_select(self.NAME, exprs, reject)
        sql = f"SELECT {select} FROM ({lines_scan(path)}) WHERE trim(line) <> ''"
        emit_flows(path, ctx, sql, self.schema())
