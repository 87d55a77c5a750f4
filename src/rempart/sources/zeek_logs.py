"""Zeek `dns.log`, `smb_files.log` and `smb_mapping.log` (TSV with their header, gzip too).

They land in `network_flow` next to conn.log with `record_kind` = `dns` or `smb`, so a
hunt can follow a uid from the connection to the name it resolved or the share and file it
touched (WannaCry-like worms write to ADMIN$ and IPC$). Detectors count flows from
conn.log only (record_kind flow/firewall), so these records never double-count.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from rempart.core.errors import SourceError
from rempart.sources.base import ParseContext, Source
from rempart.sources.flowsql import emit_flows, flow_select, lines_scan
from rempart.sources.gzipcut import is_gzip
from rempart.sources.zeek_conn import (
    read_zeek_header,
    zeek_json_field,
    zeek_json_head,
    zeek_sniff,
)
from rempart.sources.zeek_layout import LAYOUT_CHANGED


class _ZeekLog(Source):
    """A Zeek TSV log other than conn: header read like conn.log's, fields mapped in SQL."""

    EVENT_CLASS = "network_flow"
    BLANK_LINE = b"#"  # a comment line: skipped, and the line numbers stay the file's
    GROWS = True
    PATH: ClassVar[str]
    KIND: ClassVar[str]
    EXPRS: ClassVar[dict[str, str]]

    def sniff(self, head: bytes, path: Path) -> bool:
        return zeek_sniff(head, self.PATH)

    def parse(self, path: Path, ctx: ParseContext) -> None:
        header = read_zeek_header(path)
        fields = header.fields
        if "ts" not in fields or "id.orig_h" not in fields:
            raise SourceError(path, f"{self.PATH}.log lacks ts or id.orig_h")
        scan = header.text_scan("gzip" if is_gzip(path) else "none")

        def col(name: str) -> str:
            return f'"{name}"' if name in fields else "NULL"

        exprs = self._exprs(col, "TRY_CAST(ts AS DOUBLE)")
        reject = (
            f"WHEN _layout THEN '{LAYOUT_CHANGED}' WHEN _extra THEN 'too many fields' "
            f"WHEN {col('id.resp_h')} IS NULL THEN 'truncated line (too few fields)' "
        )
        select = flow_select(self.NAME, exprs, reject, line="_n")
        sql = f"SELECT {select} FROM ({scan})"
        emit_flows(path, ctx, sql, self.schema(), csv_rejects=True, params=header.text_params())
        header.check_layout(path, ctx)

    def _exprs(self, col: Callable[[str], str], epoch: str) -> dict[str, str]:
        """The `network_flow` expressions from Zeek field references; `epoch` is ts in s."""
        exprs = {
            "time": f"make_timestamp(CAST(round({epoch} * 1000000) AS BIGINT))",
            "src_ip": col("id.orig_h"),
            "src_port": col("id.orig_p"),
            "dst_ip": col("id.resp_h"),
            "dst_port": col("id.resp_p"),
            "flow_uid": col("uid"),
            "status": "'unknown'",
            "record_kind": f"'{self.KIND}'",
        }
        exprs.update({k: _fill(v, col) for k, v in self.EXPRS.items()})
        return exprs


class _ZeekJsonLog(_ZeekLog):
    """The same log as JSON lines (`LogAscii::use_json=T`, Security Onion, Corelight).

    A line is kept when its `_path` (json-streaming-logs writes one) is this log's, or when
    it has none; a line that is not JSON is rejected with its number."""

    SIGNATURE: ClassVar[tuple[str, ...]]  # keys only this log has, when there is no _path
    BLANK_LINE = b""  # a blank line: skipped

    def sniff(self, head: bytes, path: Path) -> bool:
        record = zeek_json_head(head)
        if record is None:
            return False
        if "_path" in record:
            return bool(record["_path"] == self.PATH)
        return all(k in record for k in self.SIGNATURE)

    def parse(self, path: Path, ctx: ParseContext) -> None:
        def col(name: str) -> str:
            return zeek_json_field(name)

        raw = col("ts")
        num = f"TRY_CAST({raw} AS DOUBLE)"
        epoch = (
            f"coalesce(CASE WHEN {num} > 1e11 THEN {num} / 1000 ELSE {num} END, "
            f"epoch(TRY_CAST({raw} AS TIMESTAMPTZ)))"
        )
        exprs = self._exprs(col, epoch)
        parsed = (
            "SELECT _n, json_valid(line) AS _ok, "
            "CASE WHEN json_valid(line) THEN CAST(line AS JSON) END AS j "
            f"FROM ({lines_scan(path)}) WHERE trim(line) <> ''"
        )
        select = flow_select(self.NAME, exprs, "WHEN NOT _ok THEN 'not valid JSON' ")
        sql = (
            f"SELECT {select} FROM ({parsed}) "
            f"WHERE coalesce(j->>'$._path', '{self.PATH}') = '{self.PATH}'"
        )
        emit_flows(path, ctx, sql, self.schema())


def _fill(template: str, col: Callable[[str], str]) -> str:
    """Replace `<field>` placeholders with the column reference (NULL when absent)."""
    return re.sub(r"<([a-z_.]+)>", lambda m: col(m.group(1)), template)


class ZeekDnsSource(_ZeekLog):
    NAME = "zeek_dns"
    VERSION = "1.1"
    DESCRIPTION = "Zeek dns.log (TSV): who resolved which name, with the answer code"
    PATH = "dns"
    KIND = "dns"
    EXPRS: ClassVar[dict[str, str]] = {
        "protocol": "<proto>",
        "service": "'dns'",
        "duration": "<rtt>",
        "dns_query": "<query>",
        "dns_rcode": "<rcode_name>",
    }


class ZeekSmbFilesSource(_ZeekLog):
    NAME = "zeek_smb_files"
    VERSION = "1.1"
    DESCRIPTION = "Zeek smb_files.log (TSV): files opened, written or deleted over SMB"
    PATH = "smb_files"
    KIND = "smb"
    EXPRS: ClassVar[dict[str, str]] = {
        "protocol": "'tcp'",
        "service": "'smb'",
        "smb_action": "<action>",
        "smb_path": "coalesce(<path> || '\\' || <name>, <name>, <path>)",
    }


class ZeekSmbMappingSource(_ZeekLog):
    NAME = "zeek_smb_mapping"
    VERSION = "1.1"
    DESCRIPTION = "Zeek smb_mapping.log (TSV): shares mapped (ADMIN$, IPC$, C$...)"
    PATH = "smb_mapping"
    KIND = "smb"
    EXPRS: ClassVar[dict[str, str]] = {
        "protocol": "'tcp'",
        "service": "'smb'",
        "smb_action": "<share_type>",
        "smb_path": "<path>",
    }


class ZeekDnsJsonSource(ZeekDnsSource, _ZeekJsonLog):
    NAME = "zeek_dns_json"
    DESCRIPTION = "Zeek dns.log as JSON lines"
    SIGNATURE = ("query", "qtype_name")


class ZeekSmbFilesJsonSource(ZeekSmbFilesSource, _ZeekJsonLog):
    NAME = "zeek_smb_files_json"
    DESCRIPTION = "Zeek smb_files.log as JSON lines"
    # `fuid` is logged only when a file analysis ran; `action` values are SMB::FILE_*
    SIGNATURE = ("action", "path", "name")


class ZeekSmbMappingJsonSource(ZeekSmbMappingSource, _ZeekJsonLog):
    NAME = "zeek_smb_mapping_json"
    DESCRIPTION = "Zeek smb_mapping.log as JSON lines"
    SIGNATURE = ("share_type",)
