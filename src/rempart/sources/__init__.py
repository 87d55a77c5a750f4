"""Input formats. Each module holds one source; `SOURCES` is their registry.

A file's format is found by sniffing its first bytes with every source in order, so a
Zeek log named `.txt` or a mailbox without extension is still recognised.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from rempart.core.registry import Registry
from rempart.sources.base import ParseContext, Source, file_digest, quick_fingerprint, read_head

SOURCES: Registry[Source] = Registry("source")


# "module:Class" of every built-in source, in sniffing order (most specific first).
# Add one line per new source; heavy dependencies are imported inside `parse`.
BUILTIN: tuple[str, ...] = (
    "rempart.sources.zeek_conn:ZeekConnTsvSource",
    "rempart.sources.zeek_conn:ZeekConnJsonSource",
    "rempart.sources.ecs_zeek:EcsZeekConnSource",
    "rempart.sources.linux_auth:JournaldAuthSource",
    "rempart.sources.winevent:EvtxSource",
    "rempart.sources.winevent:WinJsonSource",
    "rempart.sources.m365_audit:M365AuditSource",
    "rempart.sources.mail_auth:ExchangeIisSource",
    "rempart.sources.mail_transfer:ExchangeTrackingSource",
    "rempart.sources.mail_transfer:M365MessageTraceSource",
    "rempart.sources.mail_auth:MailAuthSyslogSource",
    "rempart.sources.mail_transfer:PostfixDeliverySource",
    "rempart.sources.exim:EximDeliverySource",
    "rempart.sources.sendmail:SendmailDeliverySource",
    "rempart.sources.zeek_logs:ZeekDnsSource",
    "rempart.sources.zeek_logs:ZeekSmbFilesSource",
    "rempart.sources.zeek_logs:ZeekSmbMappingSource",
    "rempart.sources.zeek_logs:ZeekDnsJsonSource",
    "rempart.sources.zeek_logs:ZeekSmbFilesJsonSource",
    "rempart.sources.zeek_logs:ZeekSmbMappingJsonSource",
    "rempart.sources.zeek_events:ZeekHttpSource",
    "rempart.sources.zeek_events:ZeekSslSource",
    "rempart.sources.zeek_events:ZeekSmbCmdSource",
    "rempart.sources.zeek_events:ZeekNoticeSource",
    "rempart.sources.zeek_events:ZeekWeirdSource",
    "rempart.sources.nfdump:NfdumpCsvSource",
    "rempart.sources.suricata_eve:SuricataEveFlowSource",
    "rempart.sources.suricata_events:SuricataEveEventSource",
    "rempart.sources.cef:CefTrafficSource",
    "rempart.sources.netfilter:NetfilterLogSource",
    "rempart.sources.fortigate:FortiGateTrafficSource",
    "rempart.sources.stormshield:StormshieldSource",
    "rempart.sources.squid:SquidAccessSource",
    "rempart.sources.linux_auth:LinuxAuthSyslogSource",
    "rempart.sources.pcap:PcapSource",
    "rempart.sources.pcap_events:PcapEventSource",
    "rempart.sources.email_mime:MboxSource",
    "rempart.sources.email_mime:EmlSource",
    "rempart.sources.email_mime:OutlookMsgSource",
)


def _load_builtin() -> None:
    for spec in BUILTIN:
        module, _, cls = spec.partition(":")
        SOURCES.register(getattr(importlib.import_module(module), cls)())


_load_builtin()


def sniff_all(path: Path) -> list[Source]:
    """Every registered source that recognises `path`, in registration order.

    When none recognises the head, the head without its first line is tried: a first
    line damaged (a byte flipped, cut short) is then one rejected record of a file that is
    read, instead of a whole file left unrecognised."""
    return _sniff_head(path, first_only=False)


def _sniff_head(path: Path, *, first_only: bool) -> list[Source]:
    head = read_head(path)
    found = _sniffed(head, path, first_only)
    if not found and b"\n" in head.rstrip(b"\n"):
        found = _sniffed(head.split(b"\n", 1)[1], path, first_only)
    return found


def _sniffed(head: bytes, path: Path, first_only: bool = False) -> list[Source]:
    found = []
    for source in SOURCES:
        try:
            if source.sniff(head, path):
                found.append(source)
                if first_only:
                    break
        except Exception:  # noqa: S112 - a sniffer must never break discovery
            continue
    return found


def sniff(path: Path) -> Source | None:
    """The first registered source that recognises `path`, if any (the sources after it are
    not asked: a folder of hundreds of EVTX files sniffed 37 times each cost half a second)."""
    found = _sniff_head(path, first_only=True)
    return found[0] if found else None


__all__ = [
    "SOURCES",
    "ParseContext",
    "Source",
    "file_digest",
    "quick_fingerprint",
    "read_head",
    "sniff",
    "sniff_all",
]
