"""The Exchange IIS log source: OWA and ActiveSync logons, Windows authentication's
challenge legs are not failures."""

from __future__ import annotations

from pathlib import Path

from rempart.ingest.files import ingest_file
from rempart.store import Store


def test_exchange_iis(tmp_path: Path) -> None:
    log = tmp_path / "u_ex260311.log"
    log.write_text(
        "#Software: Microsoft Internet Information Services 10.0\n"
        "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
        "cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n"
        "2026-03-11 08:00:01 10.0.0.20 POST /owa/auth.owa &reason=2 443 - 198.51.100.4 Mozilla/5.0 - 302 0 0 15\n"
        "2026-03-11 08:00:02 10.0.0.20 POST /Microsoft-Server-ActiveSync/default.eas - 443 CHU\\alice 198.51.100.4 Apple - 401 1 0 3\n"
        "2026-03-11 08:00:03 10.0.0.20 GET /owa/ - 443 CHU\\bob 10.3.0.7 Mozilla/5.0 - 200 0 0 40\n"
        "2026-03-11 08:00:04 10.0.0.20 GET /favicon.ico - 443 - 10.3.0.7 Mozilla/5.0 - 200 0 0 1\n"
        # an Outlook client's Windows authentication: 401.2, then NTLM's challenge leg
        "2026-03-11 08:00:05 10.0.0.20 POST /EWS/Exchange.asmx - 443 - 10.3.0.8 Outlook - 401 2 5 0\n"
        "2026-03-11 08:00:05 10.0.0.20 POST /EWS/Exchange.asmx - 443 - 10.3.0.8 Outlook - "
        "401 1 2148074254 0\n"
        # a refused NTLM logon names no user either: its win32 status says so (0x52E)
        "2026-03-11 08:00:06 10.0.0.20 POST /EWS/Exchange.asmx - 443 - 203.0.113.9 python - "
        "401 1 1326 0\n"
    )
    store = Store.memory()
    res = ingest_file(store, log)
    assert (res.source, res.records, res.rejected) == ("exchange_iis", 4, 3)
    assert dict(res.reasons)["authentication challenge (401 before credentials)"] == 2
    rows = store.sql(
        "SELECT user, src_ip, service, status FROM authentication ORDER BY time"
    ).to_pylist()
    assert [r["status"] for r in rows] == ["failure", "failure", "success", "failure"]
    assert rows[1]["user"] == "chu\\alice"
    assert rows[2]["service"] == "owa"
