"""Firewall traffic in CEF (ArcSight Common Event Format), as appliances send it to a SIEM.

    Dec 27 11:07:55 FGT-CHU CEF: 0|Fortinet|Fortigate|v6.0.3|00013|traffic:forward close|3|
    FTNTFGTeventtime=1545937675 src=10.1.100.11 spt=54190 dst=52.53.140.235 dpt=443
    proto=6 act=close FTNTFGTdstcountry=United States out=3652 in=146668 ...

Many firewalls can write CEF besides their own format (FortiGate, Palo Alto, Check Point,
Sophos, Stormshield through a SIEM connector), so a hospital whose logs already go to a
SIEM in CEF can hand the same files to Rempart. The header is `CEF:Version|Vendor|Product|
Version|Signature ID|Name|Severity|` (pipes inside escaped `\\|`), then the extension:
`key=value` pairs whose values may hold spaces (a value runs to the next ` key=`).

- A line is a flow when it names both addresses (`src`, `dst`; `c6a2`, `c6a3` for IPv6).
  FortiGate's non-traffic records (`cat` not `traffic:…`) and Palo Alto's other log types
  (Signature ID not `TRAFFIC`: threats, URL filtering) are skipped, as are CEF events
  without addresses; a line that is not CEF at all is rejected.
- Time: `rt` or `start` (epoch milliseconds, or `MMM dd yyyy HH:mm:ss[.SSS]`, with an
  optional `GMT`/`UTC`/`Z`; other zone names are not guessed), then FortiGate's
  `FTNTFGTeventtime` (s, ms, µs or ns), then `end`.
- `act` deny / drop / block / reject (and Palo Alto's `reset-both|client|server`) is a
  denied, failed attempt. Otherwise the byte counts give the outcome without relying on
  their direction, which vendors read differently: a TCP session with bytes both ways
  succeeded, one with nothing back failed.
- Bytes: the CEF specification counts `in` from the source to the destination, and so do
  the stored `bytes_out` (the originator's); FortiGate writes the other way (`out` is its
  `sentbyte`), which is followed when the vendor is Fortinet.
"""

from __future__ import annotations

import re
from pathlib import Path

from rempart.sources.base import ParseContext, Source
from rempart.sources.flowsql import emit_flows, epoch_any, flow_select, lines_scan

_CEF = re.compile(rb"CEF: ?\d+\|")
# a header field: anything but an unescaped pipe
_FIELD = r"(?:[^|\\]|\\.)*"
_HEADER = rf"CEF: ?[0-9]+\|({_FIELD})\|({_FIELD})\|{_FIELD}\|({_FIELD})\|{_FIELD}\|{_FIELD}\|"
_IS_CEF = "regexp_matches(line, 'CEF: ?[0-9]+\\|')"


_SEP = "\x01"  # never in a log line: marks where each extension key starts


def _head(group: int) -> str:
    """SQL for header field `group` (1 vendor, 2 product, 3 signature id)."""
    return f"regexp_extract(line, '{_HEADER}', {group})"


def _keyed() -> str:
    """SQL for the extension with a separator (character 1) before every key, made once per
    line so that each field is then a plain search for the separator and `key=`. A key is
    a word followed by `=` after white space (an `=` inside a value is escaped)."""
    extension = rf"regexp_extract(line, 'CEF: ?[0-9]+(?:\|{_FIELD}){{6}}\|(.*)$', 1)"
    return rf"'{_SEP}' || regexp_replace({extension}, '\s+([^\s=\\]+)=', '{_SEP}\1=', 'g')"


def ext(key: str) -> str:
    """SQL for the value of `key` in the extension (column `x`, see `_keyed`), NULL when
    absent or empty. Values may hold spaces: one runs until the next key."""
    return f"nullif(trim(regexp_extract(x, '{_SEP}{key}=([^{_SEP}]*)', 1)), '')"


def _stamp(value: str) -> str:
    """SQL timestamp (UTC) of a CEF date: epoch ms (or s), or `MMM dd yyyy HH:mm:ss[.SSS]`
    optionally followed by GMT, UTC or Z."""
    v = f"trim({value})"
    text = f"regexp_replace({v}, '\\s+(GMT|UTC|Z)$', '')"
    return (
        f"CASE WHEN regexp_full_match({v}, '[0-9]{{12,14}}') "
        f"THEN make_timestamp(CAST({v} AS BIGINT) * 1000) AT TIME ZONE 'UTC' "
        f"WHEN regexp_full_match({v}, '[0-9]{{9,11}}') "
        f"THEN make_timestamp(CAST({v} AS BIGINT) * 1000000) AT TIME ZONE 'UTC' "
        f"ELSE try_strptime({text}, ['%b %d %Y %H:%M:%S.%g', '%b %d %Y %H:%M:%S']) "
        "AT TIME ZONE 'UTC' END"
    )


def _labelled(label: str) -> str:
    """SQL for the first custom string (`cs1`…`cs6`) whose label starts with `label`
    (`cs1Label=Rule` at Palo Alto, `cs5Label=Policy Id` at FortiGate 5.6)."""
    arms = " ".join(
        f"WHEN starts_with(lower({ext(f'cs{i}Label')}), '{label}') THEN {ext(f'cs{i}')}"
        for i in range(1, 7)
    )
    return f"CASE {arms} END"


_DENIED = (
    "deny", "denied", "drop", "dropped", "block", "blocked", "reject", "rejected",
    "reset-both", "reset-client", "reset-server",
)  # fmt: skip
_PROTOS = (
    "CASE {p} WHEN '6' THEN 'tcp' WHEN '17' THEN 'udp' WHEN '1' THEN 'icmp' "
    "WHEN '58' THEN 'icmp' WHEN 'icmpv6' THEN 'icmp' WHEN 'ipv6-icmp' THEN 'icmp' ELSE {p} END"
)


class CefTrafficSource(Source):
    NAME = "cef_traffic"
    VERSION = "1.0"
    EVENT_CLASS = "network_flow"
    DESCRIPTION = "firewall traffic in CEF (FortiGate, Palo Alto, Check Point... to a SIEM)"

    def sniff(self, head: bytes, path: Path) -> bool:
        return any(_CEF.search(line) for line in head.split(b"\n")[:10])

    def parse(self, path: Path, ctx: ParseContext) -> None:
        vendor = "vendor"
        fortinet = f"{vendor} = 'fortinet'"
        act = f"lower(coalesce({ext('act')}, ''))"
        denied = f"{act} IN {_DENIED}"
        proto = _PROTOS.format(p=f"lower({ext('proto')})")
        # the specification's `in` is the source's bytes; FortiGate's is what it received
        sent = f"CASE WHEN {fortinet} THEN {ext('out')} ELSE {ext('in')} END"
        got = f"CASE WHEN {fortinet} THEN {ext('in')} ELSE {ext('out')} END"
        low = f"least(TRY_CAST({ext('in')} AS BIGINT), TRY_CAST({ext('out')} AS BIGINT))"
        exprs = {
            "time": f"coalesce({_stamp(ext('rt'))}, {_stamp(ext('start'))}, "
            f"{epoch_any(ext('FTNTFGTeventtime'))}, {_stamp(ext('end'))})",
            "duration": ext("FTNTFGTduration"),
            "src_ip": f"coalesce({ext('src')}, {ext('c6a2')})",
            "dst_ip": f"coalesce({ext('dst')}, {ext('c6a3')})",
            "src_port": ext("spt"),
            "dst_port": ext("dpt"),
            "protocol": proto,
            "service": f"lower({ext('app')})",
            "bytes_out": sent,
            "bytes_in": got,
            "packets_out": ext("FTNTFGTsentpkt"),
            "packets_in": ext("FTNTFGTrcvdpkt"),
            "conn_state": f"nullif({act}, '')",
            "action": f"CASE WHEN {denied} THEN 'denied' ELSE 'allowed' END",
            "status": f"""CASE WHEN {denied} THEN 'failure'
                WHEN {low} > 0 THEN 'success'
                WHEN {low} = 0 AND {proto} = 'tcp' THEN 'failure' ELSE 'unknown' END""",
            "record_kind": "'firewall'",
            "rule": f"coalesce({ext('FTNTFGTpolicyid')}, {_labelled('policy')}, "
            f"{_labelled('rule')})",
        }
        reject = f"WHEN NOT {_IS_CEF} THEN 'not a CEF line' "
        # other kinds of CEF events (threats, system, URL filtering) are not flows: skipped
        cat = f"lower(coalesce({ext('cat')}, 'traffic'))"
        traffic = (
            f"coalesce({ext('src')}, {ext('c6a2')}) IS NOT NULL "
            f"AND coalesce({ext('dst')}, {ext('c6a3')}) IS NOT NULL "
            f"AND NOT ({fortinet} AND NOT starts_with({cat}, 'traffic')) "
            f"AND NOT ({vendor} = 'palo alto networks' AND upper(signature) <> 'TRAFFIC')"
        )
        select = flow_select(self.NAME, exprs, reject)
        lines = (
            f"SELECT _n, line, {_keyed()} AS x, lower({_head(1)}) AS vendor, "
            f"{_head(3)} AS signature FROM ({lines_scan(path)}) WHERE trim(line) <> ''"
        )
        sql = f"SELECT {select} FROM ({lines}) WHERE NOT {_IS_CEF} OR ({traffic})"
        emit_flows(path, ctx, sql, self.schema())
