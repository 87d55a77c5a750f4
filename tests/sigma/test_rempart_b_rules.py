"""Rempart's third-pass rules (issue 22, point 6: credential access, persistence, privilege
escalation, defence evasion): each one fires on its behaviour and not on its look-alike.

Events are written as `evtx_dump` JSON, as in test_rempart_rules.py. Every case's positive and
negative events go to their own file and one triage reads them all, so a rule is checked per
file: it must fire on its positive file and not on its negative one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.sigma.winevents import BITS, MSSQL, PS, SECURITY, SYSMON, SYSTEM, ev

from rempart.app.triage import TriageResult, triage
from rempart.sigma.engine import load_rules
from rempart.sigma.levels import builtin_rules_dir

WINSOCK = ("Microsoft-Windows-Winsock-WS2HELP/Operational", "Microsoft-Windows-Winsock-WS2HELP")
TELEMETRY = (
    "Microsoft-Windows-Application-Experience/Program-Telemetry",
    "Microsoft-Windows-Application-Experience",
)
SETUP = ("Setup", "Microsoft-Windows-Servicing")
RULE = "7b1e4c2a-3d5f-4e60-8a91-0c2d3e4f5a"
HKU = r"HKU\S-1-5-21-1-2-3-1001"
SAM_NAMES = r"HKLM\SAM\SAM\Domains\Account\Users\Names\support"
UPDATE = r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Orchestrator"
COM = HKU + r"_CLASSES\CLSID\{BCDE0395-E52F-467C-8E3D-C4579291692E}\InprocServer32\(Default)"
EXEC_POLICY = r"HKLM\SOFTWARE\Microsoft\PowerShell\1\ShellIds\Microsoft.PowerShell\ExecutionPolicy"
SERVICE_SD = r'"HKLM\SYSTEM\CurrentControlSet\Services\XblGameSave\Security"'
PRINT_ADMIN = ("Microsoft-Windows-PrintService/Admin", "Microsoft-Windows-PrintService")
REPLICA = "%%7688\r\n\t\t{9923a32a-3607-11d2-b9be-0000f87a36b2}\r\n"
LSA = r"SYSTEM\CurrentControlSet\Control\Lsa"
RUN = r"SOFTWARE\Microsoft\Windows\CurrentVersion\Run"
PIPE_SVC = r"\svchost-PC1-8116-stdin"


def sec(code: int, **data: str) -> dict[str, Any]:
    return ev(SECURITY, code, data)


def sysmon(code: int, **data: str) -> dict[str, Any]:
    return ev(SYSMON, code, data)


def proc(command: str, image: str = r"C:\Windows\System32\cmd.exe") -> dict[str, Any]:
    """A process creation (4688) with its command line."""
    return sec(4688, NewProcessName=image, CommandLine=command)


# rule id suffix -> (events it must fire on, look-alike events it must not fire on)
CASES: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {
    "01": (  # a helper in Temp reads TeamViewer's memory; TeamViewer's own helper does not count
        [
            sysmon(
                10,
                SourceImage=r"C:\Users\bob\AppData\Local\Temp\f\helper.exe",
                TargetImage=r"C:\Program Files (x86)\TeamViewer\TeamViewer.exe",
                GrantedAccess="0x1410",
            )
        ],
        [
            sysmon(
                10,
                SourceImage=r"C:\Program Files (x86)\TeamViewer\tv_w32.exe",
                TargetImage=r"C:\Program Files (x86)\TeamViewer\TeamViewer.exe",
                GrantedAccess="0x1410",
            )
        ],
    ),
    "02": (  # Kekeo's pipe, against an ordinary pipe
        [sysmon(17, PipeName=r"\kekeo_tsssp_endpoint", Image=r"C:\Users\b\kekeo.exe")],
        [sysmon(17, PipeName=r"\mojo.1234.5678", Image=r"C:\Users\b\chrome.exe")],
    ),
    "03": (  # DirectInput used by a program on the desktop, against an installed game
        [
            sysmon(
                13,
                TargetObject=HKU + r"\Software\Microsoft\DirectInput\MostRecentApplication\Name",
                Image=r"C:\Users\bob\Desktop\kl.exe",
            )
        ],
        [
            sysmon(
                13,
                TargetObject=HKU + r"\Software\Microsoft\DirectInput\MostRecentApplication\Name",
                Image=r"C:\Program Files\Game\game.exe",
            )
        ],
    ),
    "04": (  # the browser checks the Windows password, against svchost's interactive logon
        [sec(4625, LogonType="2", ProcessName=r"C:\Program Files\Google\Chrome\chrome.exe")],
        [sec(4625, LogonType="2", ProcessName=r"C:\Windows\System32\svchost.exe")],
    ),
    "05": (  # credential manager backed up, against a read
        [sec(5376, BackupFileName=r"C:\Windows\TEMP\CRD46C3.tmp")],
        [sec(5379, CountOfCredentialsReturned="2")],
    ),
    "06": (  # credentials returned, against a read that returned none
        [sec(5379, CountOfCredentialsReturned="9")],
        [sec(5379, CountOfCredentialsReturned="0")],
    ),
    "07": (  # a Backup Operators logon, against an administrator's (debug privilege too)
        [sec(4672, PrivilegeList="SeBackupPrivilege\r\n\t\t\tSeRestorePrivilege")],
        [sec(4672, PrivilegeList="SeBackupPrivilege\r\n\t\t\tSeDebugPrivilege")],
    ),
    "08": (  # a TGT without pre-authentication, against one with
        [sec(4768, TargetUserName="svc", PreAuthType="0", Status="0x0")],
        [sec(4768, TargetUserName="svc", PreAuthType="2", Status="0x0")],
    ),
    "09": (  # added to Exchange Windows Permissions, against an ordinary group
        [sec(4756, TargetUserName="Exchange Windows Permissions", MemberName="CN=x")],
        [sec(4756, TargetUserName="Pharmacie", MemberName="CN=x")],
    ),
    "10": (  # a password reset, against a password change
        [sec(4724, TargetUserName="bob", SubjectUserName="helpdesk")],
        [sec(4723, TargetUserName="bob", SubjectUserName="bob")],
    ),
    "11": (  # a person resets a computer's password, against the computer itself
        [sec(4724, TargetUserName="DC01$", SubjectUserName="Administrator")],
        [sec(4724, TargetUserName="DC01$", SubjectUserName="DC01$")],
    ),
    "12": (  # a user account changed, against a computer account changed
        [sec(4738, TargetUserName="bob", SubjectUserName="admin")],
        [sec(4742, TargetUserName="PC1$", SubjectUserName="admin")],
    ),
    "13": (  # a computer's SPNs changed, against a change without SPNs
        [sec(4742, TargetUserName="PC1$", ServicePrincipalNames="\r\n\t\tHTTP/PC1")],
        [sec(4742, TargetUserName="PC1$", ServicePrincipalNames="-")],
    ),
    "14": (  # a machine renamed without its $, against a machine renamed to another machine name
        [sec(4781, OldTargetUserName="pc88$", NewTargetUserName="dc01")],
        [sec(4781, OldTargetUserName="pc88$", NewTargetUserName="pc89$")],
    ),
    "15": (  # a computer account changed anonymously, against by an administrator
        [sec(4742, TargetUserName="DC01$", SubjectUserName="ANONYMOUS LOGON")],
        [sec(4742, TargetUserName="DC01$", SubjectUserName="admin")],
    ),
    "16": (  # a user creates a computer account, against a domain controller's own
        [sec(4741, TargetUserName="pc88$", SubjectUserName="bob")],
        [sec(4741, TargetUserName="pc88$", SubjectUserName="DC01$")],
    ),
    "17": (  # an extended right renamed, against a user object's description
        [
            sec(
                5136,
                ObjectDN="CN=User-Force-Change-Password,CN=Extended-Rights,"
                "CN=Configuration,DC=chu,DC=lan",
                AttributeLDAPDisplayName="localizationDisplayId",
            )
        ],
        [
            sec(
                5136,
                ObjectDN="CN=bob,OU=Users,DC=chu,DC=lan",
                AttributeLDAPDisplayName="description",
            )
        ],
    ),
    "18": (  # a logon right granted, against one removed
        [sec(4717, AccessGranted="SeServiceLogonRight")],
        [sec(4718, AccessRemoved="SeServiceLogonRight")],
    ),
    "19": (  # a special-group logon, against a privileged logon
        [sec(4964, TargetUserName="admin", SidList="%{S-1-5-21-1-2-3-1613}")],
        [sec(4672, SubjectUserName="admin", PrivilegeList="SeDebugPrivilege")],
    ),
    "1a": (  # the machine-account privilege used, against another privilege
        [sec(4673, PrivilegeList="SeMachineAccountPrivilege")],
        [sec(4673, PrivilegeList="SeSecurityPrivilege")],
    ),
    "1b": (  # a local account's name key created, against deleted
        [sysmon(12, EventType="CreateKey", TargetObject=SAM_NAMES)],
        [sysmon(12, EventType="DeleteKey", TargetObject=SAM_NAMES)],
    ),
    "1c": (  # setspn adds an SPN, against setspn listing them
        [proc("SetSPN  -a MSSQLSvc/pc1.chu.lan chu\\svc", r"C:\Windows\System32\setspn.exe")],
        [proc("setspn  -T chu -Q */*", r"C:\Windows\System32\setspn.exe")],
    ),
    "1d": (  # SQL Server started with -m, against a normal start
        [
            ev(MSSQL, 17115, {"Data": {"#text": '\r\n\t -s "RADAR"\r\n\t -m'}}),
            proc(r'"C:\Windows\system32\net.exe" start MSSQL$RADAR /m', r"C:\x\net.exe"),
        ],
        [
            ev(MSSQL, 17115, {"Data": {"#text": "\r\n\t -d C:\\SQL\\master.mdf\r\n\t -e E"}}),
            proc(r'"C:\Windows\system32\net.exe" start MSSQL$RADAR', r"C:\x\net.exe"),
        ],
    ),
    "30": (  # a kernel driver from a tools folder, against one in System32\drivers
        [sec(4697, ServiceType="0x1", ServiceFileName=r"C:\TOOLS\mimidrv.sys")],
        [sec(4697, ServiceType="0x1", ServiceFileName=r"C:\Windows\System32\drivers\ok.sys")],
    ),
    "31": (  # a service on another drive, against one under Program Files
        [ev(SYSTEM, 7045, {"ServiceName": "WCE", "ImagePath": r"D:\Service\test.exe"})],
        [ev(SYSTEM, 7045, {"ServiceName": "App", "ImagePath": r'"C:\Program Files\A\s.exe"'})],
    ),
    "32": (  # a service's security descriptor written, against read
        [proc(f"reg  add {SERVICE_SD} /v Security /t REG_BINARY /d fe34", r"C:\x\reg.exe")],
        [proc(f"reg  query {SERVICE_SD}", r"C:\x\reg.exe")],
    ),
    "33": (  # agents.config written by an editor, against by Exchange's setup
        [
            sysmon(
                11,
                TargetFilename=r"E:\Exchange\TransportRoles\Shared\agents.config",
                Image=r"C:\Program Files\Notepad++\notepad++.exe",
            )
        ],
        [
            sysmon(
                11,
                TargetFilename=r"E:\Exchange\TransportRoles\Shared\agents.config",
                Image=r"E:\Exchange\Bin\ExSetup.exe",
            )
        ],
    ),
    "34": (  # a BITS job copying cmd.exe, against a download
        [ev(BITS, 59, {"name": "backdoor", "url": r"C:\Windows\system32\cmd.exe"})],
        [ev(BITS, 59, {"name": "update", "url": "https://example.org/a.cab"})],
    ),
    "35": (  # Start-BitsTransfer, against Get-BitsTransfer
        [
            ev(
                PS,
                4104,
                {"ScriptBlockText": "Start-BitsTransfer -Source https://x/a -Destination C:\\t"},
            )
        ],
        [ev(PS, 4104, {"ScriptBlockText": "Get-BitsTransfer -AllUsers"})],
    ),
    "36": (  # a printer port named after a DLL, against a network port
        [ev(PS, 4104, {"ScriptBlockText": r"Add-PrinterPort -Name C:\Windows\System32\x.dll"})],
        [ev(PS, 4104, {"ScriptBlockText": "Add-PrinterPort -Name IP_10.0.0.5"})],
    ),
    "37": (  # an LSP installed, against another event of the channel
        [ev(WINSOCK, 1, {"LSPName": "PROXY LSP", "Installer": r"C:\x\msiexec.exe"})],
        [ev(WINSOCK, 2, {"LSPName": "PROXY LSP"})],
    ),
    "38": (  # a shim applied, against another telemetry event
        [ev(TELEMETRY, 500, {"ExePath": r"C:\x\old.exe", "FixName": "RunAsInvoker"})],
        [ev(TELEMETRY, 505, {"ExePath": r"C:\x\old.exe"})],
    ),
    "39": (  # PendingGPOs written, against another IEAK value
        [sysmon(13, TargetObject=HKU + r"\Software\Microsoft\IEAK\GroupPolicy\PendingGPOs\Path1")],
        [sysmon(13, TargetObject=HKU + r"\Software\Microsoft\IEAK\Branding\Title")],
    ),
    "3a": (  # smss starts cmd, against autochk
        [
            sysmon(
                1,
                ParentImage=r"C:\Windows\System32\smss.exe",
                Image=r"C:\Windows\System32\cmd.exe",
            )
        ],
        [
            sysmon(
                1,
                ParentImage=r"C:\Windows\System32\smss.exe",
                Image=r"C:\Windows\System32\autochk.exe",
            )
        ],
    ),
    "3b": (  # a user COM class pointed at ProgramData, against OneDrive's
        [sysmon(13, TargetObject=COM, Details=r"C:\ProgramData\demo.dll")],
        [
            sysmon(
                13, TargetObject=COM, Details=r"C:\Users\b\AppData\Local\Microsoft\OneDrive\x.dll"
            )
        ],
    ),
    "3c": (  # the on-screen keyboard starts whoami, against Utilman starting the keyboard
        [
            sysmon(
                1,
                ParentImage=r"C:\Windows\System32\osk.exe",
                Image=r"C:\Windows\System32\whoami.exe",
            )
        ],
        [
            sysmon(
                1,
                ParentImage=r"C:\Windows\System32\Utilman.exe",
                Image=r"C:\Windows\System32\osk.exe",
            )
        ],
    ),
    "3d": (  # a security package loaded, against an authentication package (4610)
        [sec(4622, SecurityPackageName=r"C:\Windows\system32\lsasrv.dll : Negotiate")],
        [sec(4610, AuthenticationPackageName=r"C:\Windows\system32\msv1_0.DLL")],
    ),
    "3e": (  # an unknown SSP, against Kerberos
        [sec(4622, SecurityPackageName=r"C:\Windows\system32\mimilib.dll : mimilib")],
        [sec(4622, SecurityPackageName=r"C:\Windows\system32\kerberos.DLL : Kerberos")],
    ),
    "50": (  # debug enabled by a tool on the desktop, against svchost
        [
            sec(
                4703,
                ProcessName=r"C:\Users\bob\Desktop\x64\tool.exe",
                EnabledPrivilegeList="SeDebugPrivilege",
            )
        ],
        [
            sec(
                4703,
                ProcessName=r"C:\Windows\System32\svchost.exe",
                EnabledPrivilegeList="SeDebugPrivilege",
            )
        ],
    ),
    "51": (  # an unsigned DLL beside sysprep, against a signed one
        [
            sysmon(
                7,
                Image=r"C:\Windows\System32\sysprep\sysprep.exe",
                ImageLoaded=r"C:\Windows\System32\sysprep\CRYPTBASE.dll",
                Signed="false",
            )
        ],
        [
            sysmon(
                7,
                Image=r"C:\Windows\System32\sysprep\sysprep.exe",
                ImageLoaded=r"C:\Windows\System32\cryptbase.dll",
                Signed="true",
            )
        ],
    ),
    "52": (  # svchost loads an unsigned DLL from ProgramData, against an application doing so
        [
            sysmon(
                7,
                Image=r"C:\Windows\System32\svchost.exe",
                ImageLoaded=r"C:\ProgramData\x\shims.dll",
                Signed="false",
            )
        ],
        [
            sysmon(
                7,
                Image=r"C:\Program Files\App\app.exe",
                ImageLoaded=r"C:\ProgramData\x\shims.dll",
                Signed="false",
            )
        ],
    ),
    "53": (  # SYSTEMROOT redefined for the user, against another volatile value
        [sysmon(13, TargetObject=HKU + r"\Volatile Environment\SYSTEMROOT", Details=r"C:\t")],
        [sysmon(13, TargetObject=HKU + r"\Volatile Environment\USERDOMAIN", Details="CHU")],
    ),
    "54": (  # the settings launcher's open command, against a text file's
        [sysmon(13, TargetObject=HKU + r"_Classes\Launcher.SystemSettings\shell\open\command")],
        [sysmon(13, TargetObject=HKU + r"_Classes\txtfile\shell\open\command")],
    ),
    "55": (  # the update orchestrator runs cmd, against its own client
        [sysmon(13, TargetObject=UPDATE + r"\UScheduler\51999\cmdLine", Details=r"c:\x\cmd.exe")],
        [
            sysmon(
                13,
                TargetObject=UPDATE + r"\UScheduler\51999\cmdLine",
                Details=r"%systemroot%\system32\usoclient.exe StartScan",
            )
        ],
    ),
    "56": (  # a registry link from the desktop, against Windows' own
        [
            sysmon(
                13,
                TargetObject=r"HKLM\SOFTWARE\Microsoft\DRM\DEMO2\SymbolicLinkValue",
                Image=r"C:\Users\u\Desktop\x.exe",
            )
        ],
        [
            sysmon(
                13,
                TargetObject=r"HKLM\SOFTWARE\Microsoft\DRM\DEMO2\SymbolicLinkValue",
                Image=r"C:\Windows\System32\svchost.exe",
            )
        ],
    ),
    "57": (  # PsExec's service pipe created by a tool in Public, against PsExec's service
        [sysmon(17, PipeName=r"\PSEXESVC", Image=r"C:\Users\Public\x.exe")],
        [sysmon(17, PipeName=r"\PSEXESVC", Image=r"C:\Windows\PSEXESVC.exe")],
    ),
    "58": (  # the machine opens its own odd pipe, against the server service's
        [
            sec(
                5145,
                ShareName=r"\\*\IPC$",
                IpAddress="::1",
                SubjectUserName="PC1$",
                RelativeTargetName="pipey",
            )
        ],
        [
            sec(
                5145,
                ShareName=r"\\*\IPC$",
                IpAddress="::1",
                SubjectUserName="PC1$",
                RelativeTargetName="srvsvc",
            )
        ],
    ),
    "59": (  # IIS uses explicit credentials, against the secondary logon service
        [sec(4648, ProcessName=r"C:\Windows\System32\inetsrv\w3wp.exe", TargetUserName="adm")],
        [sec(4648, ProcessName=r"C:\Windows\System32\svchost.exe", TargetUserName="adm")],
    ),
    "5a": (  # runas towards localhost, against winlogon's
        [
            sec(
                4648,
                ProcessName=r"C:\Windows\System32\svchost.exe",
                TargetServerName="localhost",
            )
        ],
        [
            sec(
                4648,
                ProcessName=r"C:\Windows\System32\winlogon.exe",
                TargetServerName="localhost",
            )
        ],
    ),
    "5b": (  # the spooler starts cmd, against the spooler starting its isolation host
        [
            sec(
                4688,
                ParentProcessName=r"C:\Windows\System32\spoolsv.exe",
                NewProcessName=r"C:\Windows\System32\cmd.exe",
            )
        ],
        [
            sec(
                4688,
                ParentProcessName=r"C:\Windows\System32\spoolsv.exe",
                NewProcessName=r"C:\Windows\System32\PrintIsolationHost.exe",
            )
        ],
    ),
    "5c": (  # a spooler plug-in not loaded, against a printer added
        [ev(PRINT_ADMIN, 808, {"ErrorCode": "0x7e"})],
        [ev(PRINT_ADMIN, 823, {"NewDefaultPrinter": "PDF"})],
    ),
    "5d": (  # wusa extracts into Windows, against into a temporary folder
        [proc(r"wusa.exe C:\t\x.cab /extract:C:\Windows\System32 /quiet", r"C:\x\wusa.exe")],
        [proc(r"wusa.exe C:\t\x.cab /extract:C:\t\out /quiet", r"C:\x\wusa.exe")],
    ),
    "70": (  # a transaction from ProgramData, against Windows Installer
        [sec(4985, ProcessName=r"C:\ProgramData\proc.exe", NewState="48")],
        [sec(4985, ProcessName=r"C:\Windows\System32\msiexec.exe", NewState="48")],
    ),
    "71": (  # a remote thread from a network share, against csrss
        [sysmon(8, SourceImage=r"\\vboxsrv\t\m.exe", TargetImage=r"C:\Windows\explorer.exe")],
        [
            sysmon(
                8,
                SourceImage=r"C:\Windows\System32\csrss.exe",
                TargetImage=r"C:\Windows\explorer.exe",
            )
        ],
    ),
    "72": (  # PsExec's pipes under another service name, against PsExec's own
        [sysmon(17, PipeName=PIPE_SVC, Image=r"C:\Windows\svchost.exe")],
        [sysmon(17, PipeName=r"\PSEXESVC-PC1-8116-stdin", Image=r"C:\Windows\PSEXESVC.exe")],
    ),
    "73": (  # execution policy set to Bypass, against RemoteSigned
        [sysmon(13, TargetObject=EXEC_POLICY, Details="Bypass")],
        [sysmon(13, TargetObject=EXEC_POLICY, Details="RemoteSigned")],
    ),
    "74": (  # a script's creation time changed, against a document's
        [
            sysmon(
                2,
                TargetFilename=r"C:\Users\b\Start Menu\Programs\Startup\bs.ps1",
                Image=r"C:\Windows\Explorer.EXE",
            )
        ],
        [
            sysmon(
                2,
                TargetFilename=r"C:\Users\b\Documents\a.txt",
                Image=r"C:\Windows\Explorer.EXE",
            )
        ],
    ),
    "75": (  # service display names appended to a file, against a plain listing
        [
            proc(
                'powershell -command "Get-Service "seg1" | select -Expand DisplayName '
                '|out-file -append tmp_payload.txt"'
            )
        ],
        [proc("powershell -command Get-Service | select Name, DisplayName")],
    ),
    "76": (  # WSL enabled, against features listed
        [
            proc(
                "Dism.exe /online /enable-feature /featurename:Microsoft-Windows-Subsystem-Linux",
                r"C:\Windows\System32\Dism.exe",
            ),
            ev(SETUP, 9, {"UpdateName": "Microsoft-Windows-Subsystem-Linux"}),
        ],
        [
            proc("Dism.exe /online /get-features", r"C:\Windows\System32\Dism.exe"),
            ev(SETUP, 9, {"UpdateName": "Printing-PrintToPDFServices-Features"}),
        ],
    ),
    "77": (  # the CA audit filter changed, against a certificate request
        [sec(4885, AuditFilter="0")],
        [sec(4886, RequestId="12")],
    ),
    "78": (  # share permissions changed, against a share added
        [sec(5143, ShareName=r"\\*\hidden$", NewSD="O:BAG:DUD:(A;;FA;;;WD)")],
        [sec(5142, ShareName=r"\\*\hidden$")],
    ),
    "79": (  # controlled folder access switched off, against turned on
        [proc('powershell.exe -command "Set-MpPreference -EnableControlledFolderAccess Disabled"')],
        [proc('powershell.exe -command "Set-MpPreference -EnableControlledFolderAccess Enabled"')],
    ),
    "7a": (  # DS-Install-Replica used by a user, against by a domain controller
        [sec(4662, SubjectUserName="admmig", Properties=REPLICA)],
        [sec(4662, SubjectUserName="DC01$", Properties=REPLICA)],
    ),
    "7b": (  # a process without a path opened, against a normal one
        [sysmon(10, SourceImage=r"C:\Users\b\h.exe", TargetImage="samir.exe")],
        [sysmon(10, SourceImage=r"C:\Users\b\h.exe", TargetImage=r"C:\Users\b\samir.exe")],
    ),
    "7c": (  # the event log service restarted, against another service
        [ev(SYSTEM, 7036, {"param1": "Windows Event Log", "param2": "running"})],
        [ev(SYSTEM, 7036, {"param1": "Windows Insider Service", "param2": "running"})],
    ),
    "7d": (  # the event log pipe opened from the network, against by a local console
        [sysmon(18, PipeName="\\eventlog", Image="System")],
        [sysmon(18, PipeName="\\eventlog", Image=r"C:\Windows\System32\mmc.exe")],
    ),
    "7e": (  # the boot key's permissions changed by a script, against another key's
        [ev(PS, 4103, {"Payload": f'value="[FS03 : {LSA}\\JD] Calling SetSecurityDescriptor"'})],
        [ev(PS, 4103, {"Payload": f'value="[FS03 : {RUN}] Calling SetSecurityDescriptor"'})],
    ),
}


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> tuple[TriageResult, Path]:
    """One triage over every case's positive and negative file."""
    root = tmp_path_factory.mktemp("cases")
    paths = []
    for suffix, (positive, negative) in CASES.items():
        for kind, events in (("pos", positive), ("neg", negative)):
            path = root / f"{kind}_{suffix}.json"
            # the file name in a dummy field keeps identical look-alikes from being deduplicated
            text = "\n".join(json.dumps(e) for e in events) + "\n"
            path.write_text(
                text.replace('"EventRecordID": 1', f'"EventRecordID": {len(paths) + 1}')
            )
            paths.append(path)
    res = triage(paths, None, "informational", cache_dir=tmp_path_factory.mktemp("rules"))
    assert all(f.rejected == 0 for f in res.files)
    return res, root


def _fired(res: TriageResult, path: Path) -> set[str]:
    return {h.rule_id for h in res.hits if Path(h.file) == path}


@pytest.mark.parametrize("suffix", sorted(CASES))
def test_rule_fires_on_its_behaviour_only(result: tuple[TriageResult, Path], suffix: str) -> None:
    res, root = result
    rule = RULE + suffix
    assert rule in _fired(res, root / f"pos_{suffix}.json")
    assert rule not in _fired(res, root / f"neg_{suffix}.json")


def test_every_third_pass_rule_has_a_case_and_a_technique() -> None:
    """No rule of the rempart_b files is left untested, and each names its technique."""
    rs = load_rules([builtin_rules_dir()])
    ours = [r for r in rs.rules if r.rule_id.startswith(RULE)]
    assert {r.rule_id[len(RULE) :] for r in ours} == set(CASES)
    for r in ours:
        assert any(t.startswith("attack.t") for t in r.tags), r.title


def test_routine_events_stay_below_medium() -> None:
    """The single routine events (account changes, SSP loads, rights granted, special-group
    logons, credential reads) are low: they show at --min-level low, never in a verdict."""
    rs = load_rules([builtin_rules_dir()])
    level = {r.rule_id[len(RULE) :]: r.level for r in rs.rules if r.rule_id.startswith(RULE)}
    for suffix in ("06", "10", "12", "18", "19", "1a", "3d", "5a", "78"):
        assert level[suffix] == "low", suffix
