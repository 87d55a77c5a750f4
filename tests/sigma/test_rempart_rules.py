"""Rempart's own Sigma rules (issue 22): each one fires on its behaviour and not on its look-alike.

Events are written as `evtx_dump` JSON (the shape the Rust EVTX parser gives), so they go
through the same normalisation as `.evtx` files, unnamed `<Data>` elements included.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.sigma.winevents import BITS, MSSQL, PS, SECURITY, SYSMON, ev

from rempart.app.triage import triage
from rempart.sigma.engine import load_rules
from rempart.sigma.levels import builtin_rules_dir
from rempart.store import Store

FIREWALL = (
    "Microsoft-Windows-Windows Firewall With Advanced Security/Firewall",
    "Microsoft-Windows-Windows Firewall With Advanced Security",
)
LANMAN = r"HKLM\System\CurrentControlSet\Services\LanmanServer"
SHARES = LANMAN + r"\Shares"
SAM_GUEST = r"HKLM\SAM\SAM\Domains\Account\Users\000001F5\F"
SSH = ("OpenSSH/Operational", "OpenSSH")
EXIT_MONITOR = ("Application", "Microsoft-Windows-ProcessExitMonitor")
LSASS_PATH = r"C:\Windows\System32\lsass.exe"
WDNIS = r"HKLM\System\CurrentControlSet\Services\WdNisDrv\Start"
RULE = "6f0c1d2e-7a51-4c1b-9a77-2b1f0e3c4a"


def rdp(host: str, minute: int) -> dict[str, Any]:
    """A Remote Desktop authentication (1149) of `bob` on `host` (UserData fields)."""
    e = ev(
        (
            "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational",
            "Microsoft-Windows-TerminalServices-RemoteConnectionManager",
        ),
        1149,
        {},
        minute=minute,
        rid=minute + 1,
    )
    del e["Event"]["EventData"]
    e["Event"]["UserData"] = {"EventXML": {"Param1": "bob", "Param2": "CHU", "Param3": "10.0.0.9"}}
    e["Event"]["System"]["Computer"] = host
    return e


def rdp_from(host: str, address: str) -> dict[str, Any]:
    """A Remote Desktop authentication (1149) of `bob` on `host` from `address`."""
    e = rdp(host, 0)
    e["Event"]["UserData"]["EventXML"]["Param3"] = address
    return e


def rdp_tcp(rid: int, minute: int = 0, second: int = 0) -> dict[str, Any]:
    """A TCP connection accepted by the RDP server (RdpCoreTS 131) from one scanner."""
    return ev(
        (
            "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational",
            "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS",
        ),
        131,
        {"ConnType": "TCP", "ClientIP": f"10.9.9.9:{40000 + rid}"},
        minute=minute,
        second=second,
        rid=rid + 1,
    )


def audit(action: str, succeeded: str, class_type: str, statement: str) -> dict[str, Any]:
    """A SQL Server audit record (33205): one unnamed Data element, `key:value` lines, the
    codes padded with spaces as SQL Server writes them (`action_id:CR  `)."""
    text = (
        f"audit_schema_version:1\nevent_time:2026-01-01 10:00:00.0\naction_id:{action:<4}\n"
        f"succeeded:{succeeded}\nclass_type:{class_type:<2}\nserver_principal_name:sa\n"
        f"statement:{statement}\nadditional_information:"
    )
    return {"Data": {"#text": text}}


@pytest.fixture(scope="module")
def rule_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built-in rules converted once for the module."""
    return tmp_path_factory.mktemp("rules")


def _write(tmp_path: Path, events: list[dict[str, Any]]) -> Path:
    path = tmp_path / "events.json"
    path.write_text("\n".join(json.dumps(e) for e in events) + "\n", encoding="utf-8")
    return path


def _hits(tmp_path: Path, events: list[dict[str, Any]], cache: Path) -> set[str]:
    res = triage([_write(tmp_path, events)], None, "informational", cache_dir=cache)
    assert [f.rejected for f in res.files] == [0]
    return {h.rule_id for h in res.hits}


LSASS = r"\Device\HarddiskVolume4\Windows\System32\lsass.exe"
TASKMGR = r"C:\Windows\System32\Taskmgr.exe"

# rule id suffix -> (events it must fire on, look-alike events it must not fire on)
CASES: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {
    "22": (  # SQL Server failed login: audit record and error log (unnamed Data list)
        [
            ev(MSSQL, 33205, audit("LGIF", "false", "LX", "Login failed for user 'sa'.")),
            ev(MSSQL, 18456, {"Data": {"#text": ["sa", " Reason: Password did not match"]}}),
        ],
        [ev(MSSQL, 33205, audit("LGIS", "true", "LX", "-- network protocol: TCP/IP"))],
    ),
    "05": (  # 12 SQL Server audit failures in 12 minutes: the mass-failure correlation
        [
            ev(MSSQL, 33205, audit("LGIF", "false", "LX", "Login failed"), minute=m, rid=m)
            for m in range(12)
        ],
        [
            ev(MSSQL, 33205, audit("LGIF", "false", "LX", "Login failed"), minute=m, rid=m)
            for m in range(5)
        ],
    ),
    "36": (  # forged ticket: realm in lower case
        [ev(SECURITY, 4769, {"TargetUserName": "x@offsec.lan", "TargetDomainName": "offsec.lan"})],
        [ev(SECURITY, 4769, {"TargetUserName": "x@OFFSEC.LAN", "TargetDomainName": "OFFSEC.LAN"})],
    ),
    "37": (  # Task Manager reading LSASS memory
        [
            ev(
                SECURITY,
                4663,
                {
                    "ObjectName": LSASS,
                    "ProcessName": TASKMGR,
                    "AccessList": "%%4484\r\n\t\t\t\t",
                    "AccessMask": "0x10",
                },
            )
        ],
        [
            ev(
                SECURITY,
                4663,
                {
                    "ObjectName": LSASS,
                    "ProcessName": TASKMGR,
                    "AccessList": "%%4423\r\n",
                    "AccessMask": "0x1000",
                },
            )
        ],
    ),
    "38": (  # DiskShadow with a script
        [
            ev(
                SECURITY,
                4688,
                {
                    "NewProcessName": r"C:\Windows\System32\diskshadow.exe",
                    "CommandLine": "diskshadow.exe  /s shadow.txt",
                },
            )
        ],
        [
            ev(
                SECURITY,
                4688,
                {
                    "NewProcessName": r"C:\Windows\System32\diskshadow.exe",
                    "CommandLine": "diskshadow.exe",
                },
            )
        ],
    ),
    "40": (  # DCOM from PowerShell
        [
            ev(
                PS,
                4104,
                {
                    "ScriptBlockText": "$a = [System.Activator]::CreateInstance([type]::"
                    'GetTypeFromProgID("MMC20.Application.1","fs01"))'
                },
            )
        ],
        [ev(PS, 4104, {"ScriptBlockText": "$s = New-Object -ComObject WScript.Shell"})],
    ),
    "41": (  # WinRM remote shell
        [ev(("Microsoft-Windows-WinRM/Operational", "Microsoft-Windows-WinRM"), 91, {})],
        [ev(SECURITY, 4656, {"ObjectServer": "Security", "ObjectName": r"C:\x"})],
    ),
    "42": (  # proxy set
        [
            ev(
                ("Microsoft-Windows-WinINet-Config/ProxyConfigChanged", "WinINet-Config"),
                5600,
                {"pwszProxy": "http://proxy.evil:123", "pwszAutoConfigUrl": ""},
            )
        ],
        [
            ev(
                ("Microsoft-Windows-WinINet-Config/ProxyConfigChanged", "WinINet-Config"),
                5600,
                {"pwszProxy": "", "pwszAutoConfigUrl": ""},
            )
        ],
    ),
    "43": (  # hosts file written
        [ev(SYSMON, 11, {"TargetFilename": r"C:\Windows\System32\drivers\etc\hosts"})],
        [ev(SYSMON, 11, {"TargetFilename": r"C:\Windows\System32\drivers\etc\networks"})],
    ),
    "50": (  # SQL Server login created / enabled
        [
            ev(MSSQL, 33205, audit("CR", "true", "SL", "CREATE LOGIN [x] WITH PASSWORD=N'*'")),
            ev(MSSQL, 33205, audit("LGEA", "true", "SL", "ALTER LOGIN [sa] ENABLE")),
        ],
        [ev(MSSQL, 33205, audit("CR", "true", "U", "CREATE TABLE [t] (id int)"))],
    ),
    "51": (  # role member added
        [ev(MSSQL, 33205, audit("APRL", "true", "SG", "ALTER SERVER ROLE [sysadmin] ADD MEMBER"))],
        [ev(MSSQL, 33205, audit("SL", "true", "U", "SELECT * FROM patients"))],
    ),
    "52": (  # audit specification dropped
        [ev(MSSQL, 33205, audit("DR", "true", "SA", "DROP SERVER AUDIT SPECIFICATION [s]"))],
        [ev(MSSQL, 33205, audit("AL", "true", "U", "ALTER TABLE [t] ADD c int"))],
    ),
    "53": (  # account weakened: pre-authentication no longer required
        [ev(SECURITY, 4738, {"UserAccountControl": "\r\n\t\t%%2096", "TargetUserName": "bob"})],
        [ev(SECURITY, 4738, {"UserAccountControl": "\r\n\t\t%%2094", "TargetUserName": "bob"})],
    ),
    "54": (  # directory object permissions changed
        [ev(SECURITY, 5136, {"AttributeLDAPDisplayName": "nTSecurityDescriptor"})],
        [ev(SECURITY, 5136, {"AttributeLDAPDisplayName": "description"})],
    ),
    "60": (  # service program rewritten from PowerShell
        [
            ev(
                PS,
                4104,
                {
                    "ScriptBlockText": r"Set-ItemProperty -path HKLM:\System\CurrentControlSet"
                    r"\services\xboxgip -name ImagePath -value C:\nc.exe"
                },
            )
        ],
        [ev(PS, 4104, {"ScriptBlockText": r"Get-ItemProperty HKLM:\System\services\x"})],
    ),
    "61": (  # permanent WMI subscription (module logging)
        [
            ev(
                PS,
                4103,
                {
                    "Payload": 'CommandInvocation(Set-WmiInstance): "Set-WmiInstance"\r\n'
                    'ParameterBinding(Set-WmiInstance): name="Namespace"; value="root/subscription"'
                    '\r\nParameterBinding(Set-WmiInstance): name="Class"; '
                    'value="CommandLineEventConsumer"'
                },
            )
        ],
        [ev(PS, 4103, {"Payload": 'CommandInvocation(Get-WmiObject): "Win32_Service"'})],
    ),
    "62": (  # directory reconnaissance (classic PowerShell log, unnamed Data)
        [
            ev(
                ("Windows PowerShell", "PowerShell"),
                800,
                {
                    "Data": {
                        "#text": [
                            "Get-ADGroupMember -Identity 'Domain Admins'",
                            "\tUserId=CHU\\bob",
                        ]
                    }
                },
            )
        ],
        [
            ev(
                ("Windows PowerShell", "PowerShell"),
                800,
                {"Data": {"#text": ["Get-ADUser bob", "\tUserId=CHU\\bob"]}},
            )
        ],
    ),
    "70": (  # Guest enabled
        [ev(SECURITY, 4722, {"TargetUserName": "Invité", "TargetSid": "S-1-5-21-1-2-3-501"})],
        [ev(SECURITY, 4722, {"TargetUserName": "bob", "TargetSid": "S-1-5-21-1-2-3-1501"})],
    ),
    "71": (  # sensitive privilege granted
        [ev(SECURITY, 4704, {"PrivilegeList": "SeDebugPrivilege"})],
        [ev(SECURITY, 4704, {"PrivilegeList": "SeChangeNotifyPrivilege"})],
    ),
    "73": (  # domain policy changed by a user
        [ev(SECURITY, 4739, {"SubjectUserSid": "S-1-5-21-1-2-3-1111"})],
        [ev(SECURITY, 4739, {"SubjectUserSid": "S-1-5-18"})],
    ),
    "74": (  # DCShadow
        [
            ev(
                SECURITY,
                5137,
                {
                    "ObjectClass": "server",
                    "ObjectDN": "CN=PC1,CN=Servers,CN=Site,CN=Sites,CN=Configuration,DC=chu",
                },
            )
        ],
        [ev(SECURITY, 5137, {"ObjectClass": "user", "ObjectDN": "CN=bob,OU=Staff,DC=chu"})],
    ),
    "76": (  # firewall rule from a script
        [ev(FIREWALL, 2004, {"ModifyingApplication": r"C:\Windows\System32\wbem\WmiPrvSE.exe"})],
        [ev(FIREWALL, 2004, {"ModifyingApplication": r"C:\Windows\System32\svchost.exe"})],
    ),
    "78": (  # task created then deleted within minutes; a task that stays is not
        [
            ev(SECURITY, 4698, {"TaskName": r"\bouWFQYO"}, minute=1, rid=1),
            ev(SECURITY, 4699, {"TaskName": r"\bouWFQYO"}, minute=2, rid=2),
        ],
        [
            ev(SECURITY, 4698, {"TaskName": r"\Backup"}, minute=1, rid=1),
            ev(SECURITY, 4698, {"TaskName": r"\Other"}, minute=2, rid=2),
        ],
    ),
    "7a": (  # one account on RDP to three machines within the hour
        [rdp(host, m) for m, host in enumerate(["srv1", "srv2", "srv3"])],
        [rdp(host, m) for m, host in enumerate(["srv1", "srv2", "srv1"])],
    ),
    "03": (  # a service whose program is a bare shell
        [
            ev(
                ("System", "Service Control Manager"),
                7045,
                {"ServiceName": "x", "ImagePath": "cmd.exe"},
            )
        ],
        [
            ev(
                ("System", "Service Control Manager"),
                7045,
                {"ServiceName": "x", "ImagePath": r"C:\Program Files\App\svc.exe"},
            )
        ],
    ),
    "55": (  # AdminSDHolder changed
        [ev(SECURITY, 5136, {"ObjectDN": "CN=AdminSDHolder,CN=System,DC=chu,DC=lan"})],
        [ev(SECURITY, 5136, {"ObjectDN": "CN=bob,OU=Staff,DC=chu,DC=lan"})],
    ),
    "56": (  # group policy object changed
        [ev(SECURITY, 5136, {"ObjectClass": "groupPolicyContainer"})],
        [ev(SECURITY, 5136, {"ObjectClass": "user"})],
    ),
    "57": (  # renamed to an admin-like name
        [ev(SECURITY, 4781, {"OldTargetUserName": "hacker42", "NewTargetUserName": "adminupn42"})],
        [ev(SECURITY, 4781, {"OldTargetUserName": "admin-old", "NewTargetUserName": "admin-new"})],
    ),
    "44": (  # Sysmon's filter unloaded
        [ev(("System", "Microsoft-Windows-FilterManager"), 1, {"DeviceName": "SysmonDrv"})],
        [ev(("System", "Microsoft-Windows-FilterManager"), 1, {"DeviceName": "FileInfo"})],
    ),
    "45": (  # BITS download from outside Microsoft
        [ev(BITS, 59, {"url": "https://files.evil.example/tool.exe", "name": "BITS Transfer"})],
        [ev(BITS, 59, {"url": "http://download.windowsupdate.com/c/msdownload/kb.cab"})],
    ),
    "7b": (  # test signing on at boot
        [ev(SECURITY, 4826, {"KernelDebug": "%%1843", "TestSigning": "%%1842"})],
        [ev(SECURITY, 4826, {"KernelDebug": "%%1843", "TestSigning": "%%1843"})],
    ),
    "7c": (  # local Administrators listed by net1.exe; by the local console it is not
        [ev(SECURITY, 4799, {"TargetSid": "S-1-5-32-544", "CallerProcessName": r"C:\W\net1.exe"})],
        [ev(SECURITY, 4799, {"TargetSid": "S-1-5-32-544", "CallerProcessName": r"C:\W\mmc.exe"})],
    ),
    "25": (  # 5 OpenSSH failures in a minute (`payload`, beside PowerShell rules' `Payload`)
        [
            ev(SSH, 4, {"process": "sshd", "payload": f"Failed password for bob port {i}"}, 1, i)
            for i in range(5)
        ],
        [
            ev(SSH, 4, {"process": "sshd", "payload": f"Failed password for bob port {i}"}, 1, i)
            for i in range(4)
        ],
    ),
    "34": (  # share created: Security 5142, or its definition in the registry
        [
            ev(SECURITY, 5142, {"ShareName": r"\\*\staging"}),
            ev(SYSMON, 13, {"TargetObject": SHARES + r"\staging", "Details": "Binary Data"}),
        ],
        [ev(SYSMON, 13, {"TargetObject": SHARES + r"\Security\staging"})],
    ),
    "46": (  # NullSessionPipes changed
        [ev(SYSMON, 13, {"TargetObject": LANMAN + r"\Parameters\NullSessionPipes"})],
        [ev(SYSMON, 13, {"TargetObject": LANMAN + r"\Parameters\AutoShareWks"})],
    ),
    "47": (  # Constrained Language Mode switch
        [
            ev(
                SYSMON,
                12,
                {
                    "TargetObject": r"HKLM\System\CurrentControlSet\Control\Session "
                    r"Manager\Environment\__PSLockdownPolicy",
                    "EventType": "DeleteValue",
                },
            )
        ],
        [
            ev(
                SYSMON,
                12,
                {
                    "TargetObject": r"HKLM\System\CurrentControlSet\Control\Session "
                    r"Manager\Environment\Path",
                    "EventType": "DeleteValue",
                },
            )
        ],
    ),
    "48": (  # SAM account record written by another process than LSASS
        [ev(SYSMON, 13, {"TargetObject": SAM_GUEST, "Image": r"C:\Temp\rid.exe"})],
        [ev(SYSMON, 13, {"TargetObject": SAM_GUEST, "Image": r"C:\Windows\system32\lsass.exe"})],
    ),
    "7d": (  # SQL Server option enabled: CLR (Data: name, old value, new value)
        [ev(MSSQL, 15457, {"Data": {"#text": ["clr enabled", "0", "1"]}})],
        [
            ev(MSSQL, 15457, {"Data": {"#text": ["clr enabled", "1", "0"]}}),
            ev(MSSQL, 15457, {"Data": {"#text": ["show advanced options", "0", "1"]}}),
        ],
    ),
    "7e": (  # SQL Server blocked an xp_cmdshell call
        [
            ev(
                MSSQL,
                15281,
                {"Data": {"#text": ["procedure", "sys.xp_cmdshell", "xp_cmdshell", "xp_cmdshell"]}},
            )
        ],
        [
            ev(
                MSSQL,
                15281,
                {"Data": {"#text": ["procedure", "sys.sp_send_dbmail", "Database Mail XPs"]}},
            )
        ],
    ),
    "7f": (  # sticky keys replaced: delete access on sethc.exe, or Sysmon file creation
        [
            ev(
                SECURITY,
                4656,
                {
                    "ObjectName": r"C:\Windows\System32\sethc.exe",
                    "AccessList": "%%1537\r\n\t\t\t\t%%1538",
                    "ProcessName": r"C:\Windows\System32\cmd.exe",
                },
            ),
            ev(
                SYSMON,
                11,
                {
                    "TargetFilename": r"C:\Windows\System32\utilman.exe",
                    "Image": r"C:\Windows\System32\cmd.exe",
                },
            ),
        ],
        [
            ev(  # read only, and Windows servicing replacing it
                SECURITY,
                4656,
                {
                    "ObjectName": r"C:\Windows\System32\sethc.exe",
                    "AccessList": "%%1538\r\n\t\t\t\t%%4416",
                    "ProcessName": r"C:\Windows\System32\cmd.exe",
                },
            ),
            ev(
                SYSMON,
                11,
                {
                    "TargetFilename": r"C:\Windows\System32\sethc.exe",
                    "Image": r"C:\Windows\servicing\TrustedInstaller.exe",
                },
            ),
        ],
    ),
    "80": (  # RDP authentication from the loopback (tunnel)
        [rdp_from("srv1.chu.lan", "127.0.0.1")],
        [rdp_from("srv1.chu.lan", "10.0.0.9")],
    ),
    "82": (  # 12 RDP TCP connections in 24 seconds, against 10 in ten minutes
        [rdp_tcp(i, second=2 * i) for i in range(12)],
        [rdp_tcp(i, minute=i) for i in range(10)],
    ),
    "83": (  # a service ticket requested from PowerShell, against another .NET token class
        [
            ev(
                PS,
                4104,
                {
                    "ScriptBlockText": "New-Object System.IdentityModel.Tokens."
                    "KerberosRequestorSecurityToken -ArgumentList $spn"
                },
            )
        ],
        [
            ev(
                PS,
                4104,
                {"ScriptBlockText": "New-Object System.IdentityModel.Tokens.X509SecurityToken"},
            )
        ],
    ),
    "85": (  # tickets for 12 machines' services in 2 minutes; a user's 4 servers, 12 times
        [
            ev(
                SECURITY,
                4769,
                {"TargetUserName": "bob@CHU.LAN", "ServiceName": f"PC{i:02d}$"},
                minute=i // 6,
                rid=i + 1,
            )
            for i in range(12)
        ],
        [
            ev(
                SECURITY,
                4769,
                {"TargetUserName": "bob@CHU.LAN", "ServiceName": f"SRV{i % 4}$"},
                minute=i // 6,
                rid=i + 1,
            )
            for i in range(12)
        ]
        + [
            ev(  # a machine account's own tickets
                SECURITY,
                4769,
                {"TargetUserName": "PC01$@CHU.LAN", "ServiceName": f"PC{i:02d}$"},
                minute=i // 6,
                rid=100 + i,
            )
            for i in range(12)
        ],
    ),
    "86": (  # a browser's password file read by another program, or by the browser
        [
            ev(
                SECURITY,
                4663,
                {
                    "ObjectName": r"C:\Users\bob\AppData\Local\Google\Chrome\User Data"
                    r"\Default\Login Data",
                    "ProcessName": r"C:\Users\Public\upd.exe",
                },
            )
        ],
        [
            ev(
                SECURITY,
                4663,
                {
                    "ObjectName": r"C:\Users\bob\AppData\Local\Google\Chrome\User Data"
                    r"\Default\Login Data",
                    "ProcessName": r"C:\Program Files\Google\Chrome\Application\chrome.exe",
                },
            )
        ],
    ),
    "87": (  # Defender told to allow high threats, against a stricter action
        [ev(PS, 4104, {"ScriptBlockText": "Set-MpPreference -HighThreatDefaultAction 6 -Force"})],
        [ev(PS, 4104, {"ScriptBlockText": "Set-MpPreference -HighThreatDefaultAction 2 -Force"})],
    ),
    "88": (  # a service's ImagePath as a cmd one-liner, against a program path
        [
            ev(
                SYSMON,
                13,
                {
                    "TargetObject": r"HKLM\System\CurrentControlSet\Services\BTOBTO\ImagePath",
                    "Details": r"%COMSPEC% /Q /c echo cd ^> \\127.0.0.1\C$\__output",
                },
            )
        ],
        [
            ev(
                SYSMON,
                13,
                {
                    "TargetObject": r"HKLM\System\CurrentControlSet\Services\Spooler\ImagePath",
                    "Details": r"%SystemRoot%\System32\spoolsv.exe",
                },
            )
        ],
    ),
    "89": (  # LSASS under silent-process-exit monitoring, against another process watched
        [ev(EXIT_MONITOR, 3001, {"param1": LSASS_PATH, "param2": r"C:\Temp\x.exe"})],
        [ev(EXIT_MONITOR, 3001, {"param1": r"C:\Program Files\App\app.exe"})],
    ),
    "8a": (  # Defender's network driver disabled, against set to manual start
        [ev(SYSMON, 13, {"TargetObject": WDNIS, "Details": "DWORD (0x00000004)"})],
        [ev(SYSMON, 13, {"TargetObject": WDNIS, "Details": "DWORD (0x00000003)"})],
    ),
}


@pytest.mark.parametrize("suffix", sorted(CASES))
def test_rule_fires_on_its_behaviour_only(tmp_path: Path, rule_cache: Path, suffix: str) -> None:
    positive, negative = CASES[suffix]
    rule = RULE + suffix
    assert rule in _hits(tmp_path, positive, rule_cache)
    assert rule not in _hits(tmp_path, negative, rule_cache)


def test_unnamed_event_data_is_plain_text(tmp_path: Path) -> None:
    """`<Data>` elements without names are one line each, backslashes kept (not JSON)."""
    store = Store.memory()
    data = {"Data": {"#text": ["sa", r" [CLIENT: C:\x]"]}}
    path = _write(tmp_path, [ev(MSSQL, 18456, data), ev(MSSQL, 33205, {"Data": {"#text": "a:1"}})])
    triage([path], None, "high", store=store)
    rows = store.engine().rows("SELECT fields['Data'] FROM process ORDER BY event_code")
    store.close()
    assert rows == [("sa\n [CLIENT: C:\\x]",), ("a:1",)]


def test_correlations_keep_their_attack_tags() -> None:
    rs = load_rules([builtin_rules_dir()])
    tags = {c.rule_id: c.tags for c in rs.correlations}
    assert "attack.t1110" in tags[RULE + "05"]
    assert "attack.t1110.003" in tags[RULE + "24"]
    assert not [s for s in rs.skipped if s.path.startswith(str(builtin_rules_dir()))]


def test_every_rempart_rule_is_tagged_with_attack() -> None:
    """A rule that speaks for itself (not a correlation's base rule) names its technique."""
    rs = load_rules([builtin_rules_dir()])
    bases = {rid for c in rs.correlations for rid in c.rule_ids}
    for r in rs.rules:
        if r.rule_id not in bases:
            assert any(t.startswith("attack.t") for t in r.tags), r.title


def test_access_codes_keep_their_names(tmp_path: Path) -> None:
    """SigmaHQ's rules read `AccessList|contains: 'WriteData'` (the rendered text) or
    `'%%4417'` (the code): the stored value has both."""
    store = Store.memory()
    share = {"ShareName": r"\\*\IPC$", "RelativeTargetName": "svcctl"}
    data = {**share, "AccessList": "%%4416\r\n\t\t\t\t%%4417\r\n\t\t\t\t"}
    triage([_write(tmp_path, [ev(SECURITY, 5145, data)])], None, "high", store=store)
    ((value,),) = store.engine().rows("SELECT fields['AccessList'] FROM process")
    store.close()
    assert "%%4417 WriteData (or AddFile)" in value
    assert "%%4416 ReadData (or ListDirectory)" in value
