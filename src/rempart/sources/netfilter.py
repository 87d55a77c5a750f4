"""Linux netfilter `LOG` lines (iptables / nftables) from syslog: what the firewall saw.

    Mar 11 08:00:01 fw1 kernel: [1234.5] DROP-B1 IN=eth1 OUT=eth2 SRC=10.1.0.5 DST=10.2.0.9
    LEN=60 ... PROTO=TCP SPT=49152 DPT=445 WINDOW=64240 RES=0x00 SYN URGP=0

The log prefix becomes `rule`; a prefix naming DROP, REJECT, DENY or BLOCK makes the
record `denied` (a failed attempt for the scan detector), ACCEPT or ALLOW `allowed`.
Stamps: BSD syslog (`Mar 11 08:00:01`, with or without fractions or a `<PRI>`), RFC 3339
(rsyslog, `journalctl -o short-iso`) and RFC 5424 (`<4>1 2019-03-11T08:00:01Z host kernel
- - - ...`). BSD syslog has no year and no zone: the year is the ingest reference time's
(the previous one for a date more than two days after the reference: December logs read in
January), and the clock is taken as UTC. A syslog file mixes every daemon's messages: lines
that are not LOG lines (no `IN=... OUT=`) are skipped, not rejected; a LOG line without
addresses or `PROTO=` is rejected with its line number. ulogd's LOGEMU lines (no `kernel:`
tag, the prefix right after the host) are read too. ICMP and ICMPv6 are stored as Zeek
does: protocol `icmp`, type as source port, code as destination port.
Lines are split and matched by DuckDB regular expressions, never in a Python loop.
"""

from __future__ import annotations

import re
from pathlib import Path

from rempart.sources.base import ParseContext, Source
from rempart.sources.flowsql import emit_flows, flow_select, lines_scan

_HEAD = re.compile(rb"(^|[\s:\]])IN=\S* OUT=\S* .*SRC=[0-9a-fA-F.:]+ DST=[0-9a-fA-F.:]+ .*PROTO=")
# a LOG line: the IN= and OUT= pair netfilter always writes first
_IS_LOG = r"regexp_matches(line, '(^|[ :\]])IN=[^ ]* OUT=')"


def _kv(key: str) -> str:
    return f"nullif(regexp_extract(line, ' {key}=([^ ]*)', 1), '')"


class NetfilterLogSource(Source):
    NAME = "netfilter_log"
    SHARES_LINES = True
    VERSION = "1.1"
    EVENT_CLASS = "network_flow"
    DESCRIPTION = "Linux iptables/nftables LOG lines in syslog (BSD, RFC 3339 or RFC 5424)"

    def sniff(self, head: bytes, path: Path) -> bool:
        # the LOG lines may come after other daemons' messages: look at the whole head
        return any(_HEAD.search(line) for line in head.split(b"\n"))

    def parse(self, path: Path, ctx: ParseContext) -> None:
        ref = ctx.reference_time
        year = int(ref.year)
        pri = "(<[0-9]{1,3}>)?"
        bsd_text = (
            f"'{year} ' || regexp_replace(regexp_extract(line, "
            rf"'^{pri}([A-Z][a-z]{{2}} +[0-9]{{1,2}} [0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}"
            r"(\.[0-9]+)?) ', 2), ' +', ' ', 'g')"
        )
        bsd = (
            f"coalesce(try_strptime({bsd_text}, '%Y %b %d %H:%M:%S.%f'), "
            f"try_strptime({bsd_text}, '%Y %b %d %H:%M:%S'))"
        )
        bsd_utc = f"(CAST({bsd} AS TIMESTAMP) AT TIME ZONE 'UTC')"
        limit = f"TIMESTAMPTZ '{ref.isoformat()}' + INTERVAL 2 DAY"
        bsd_year = (
            f"CASE WHEN {bsd_utc} > {limit} THEN {bsd_utc} - INTERVAL 1 YEAR ELSE {bsd_utc} END"
        )
        iso = (
            rf"TRY_CAST(nullif(regexp_extract(line, '^{pri}(1 )?([0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}"
            r"T[^ ]+)', 3), '') AS TIMESTAMPTZ)"
        )
        kernel = r"regexp_extract(line, 'kernel(:| - - -| -) (\[[ 0-9.]+\] )?(.*?) ?IN=', 3)"
        # ulogd (LOGEMU) writes no `kernel:` tag: the prefix follows the stamp and host
        ulogd = (
            rf"regexp_extract(line, '^{pri}([A-Z][a-z]{{2}} +[0-9]{{1,2}} [0-9:.]+|"
            r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[^ ]+) [^ ]+ (.*?) ?IN=', 3)"
        )
        prefix = (
            f"nullif(trim(CASE WHEN regexp_matches(line, ' kernel(:| -) ') THEN {kernel} "
            f"ELSE {ulogd} END), '')"
        )
        verdict = (
            f"CASE WHEN regexp_matches(upper(coalesce({prefix}, '')), "
            "'DROP|REJECT|DENY|BLOCK') THEN 'denied' "
            f"WHEN regexp_matches(upper(coalesce({prefix}, '')), 'ACCEPT|ALLOW') "
            "THEN 'allowed' END"
        )
        proto = (
            f"CASE WHEN lower({_kv('PROTO')}) IN ('icmp', 'icmpv6', 'ipv6-icmp', '1', '58') "
            f"THEN 'icmp' ELSE lower({_kv('PROTO')}) END"
        )
        icmp = f"({proto}) = 'icmp'"
        exprs = {
            "time": f"coalesce({iso}, {bsd_year})",
            "src_ip": _kv("SRC"),
            "dst_ip": _kv("DST"),
            "src_port": f"CASE WHEN {icmp} THEN {_kv('TYPE')} ELSE {_kv('SPT')} END",
            "dst_port": f"CASE WHEN {icmp} THEN {_kv('CODE')} ELSE {_kv('DPT')} END",
            "protocol": proto,
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
            "WHEN NOT regexp_matches(line, ' SRC=') THEN 'truncated line (no SRC=)' "
            f"WHEN {_kv('PROTO')} IS NULL THEN 'truncated line (no PROTO=)' "
        )
        select = flow_select(self.NAME, exprs, reject)
        sql = f"SELECT {select} FROM ({lines_scan(path)}) WHERE {_IS_LOG}"
        emit_flows(path, ctx, sql, self.schema())
