"""Windows events as the `evtx` package's JSON gives them, for the rule tests: one builder and
the channels/providers the tests name, shared so each rule test states only its events."""

from __future__ import annotations

from typing import Any

SECURITY = ("Security", "Microsoft-Windows-Security-Auditing")
SYSTEM = ("System", "Service Control Manager")
SYSMON = ("Microsoft-Windows-Sysmon/Operational", "Microsoft-Windows-Sysmon")
PS = ("Microsoft-Windows-PowerShell/Operational", "Microsoft-Windows-PowerShell")
PS_CLASSIC = ("Windows PowerShell", "PowerShell")
MSSQL = ("Application", "MSSQL$RADAR")
BITS = ("Microsoft-Windows-Bits-Client/Operational", "Microsoft-Windows-Bits-Client")


def ev(
    where: tuple[str, str],
    code: int,
    data: dict[str, Any],
    minute: int = 0,
    second: int = 0,
    rid: int = 1,
    computer: str = "srv1.chu.lan",
) -> dict[str, Any]:
    """One event of `code` on `where` (channel, provider) at 10:minute:second, 2026-01-01."""
    channel, provider = where
    return {
        "Event": {
            "System": {
                "Provider": {"#attributes": {"Name": provider}},
                "EventID": code,
                "EventRecordID": rid,
                "TimeCreated": {
                    "#attributes": {"SystemTime": f"2026-01-01T10:{minute:02d}:{second:02d}Z"}
                },
                "Channel": channel,
                "Computer": computer,
            },
            "EventData": data,
        }
    }
