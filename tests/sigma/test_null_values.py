"""Sigma's `null` on Windows events: a field with no value, absent or present and empty.

An EVTX `<Data Name="StartModule"></Data>` (Sysmon 8, a remote thread started in shellcode, no
module behind it) is read as ''; the SigmaHQ rule for CACTUSTORCH says `StartModule: null` for
it, and Zircolite matched it where Rempart did not (issue 26). Events are `evtx_dump` JSON, so
they go through the same normalisation as `.evtx` files; both evaluation paths are checked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.sigma import winevents
from tests.sigma.winevents import SYSMON

from rempart.ingest.files import expand
from rempart.ingest.windows import bulk_ingest
from rempart.sigma.engine import load_rules
from rempart.sigma.evaluate import evaluate
from rempart.store import Store

RULES = {
    "null_sel": """
title: remote thread without start module
id: 00000000-0000-0000-0000-00000000a001
status: test
logsource: {product: windows, category: create_remote_thread}
detection:
    selection:
        TargetImage|contains: '\\SysWOW64\\'
        StartModule: null
    condition: selection
level: high
""",
    "null_filter": """
title: remote thread, those without start module filtered out
id: 00000000-0000-0000-0000-00000000a002
status: test
logsource: {product: windows, category: create_remote_thread}
detection:
    selection:
        TargetImage|contains: '\\SysWOW64\\'
    filter_null:
        StartModule: null
    condition: selection and not filter_null
level: high
""",
    "empty_sel": """
title: remote thread with an empty start module
id: 00000000-0000-0000-0000-00000000a003
status: test
logsource: {product: windows, category: create_remote_thread}
detection:
    selection:
        TargetImage|contains: '\\SysWOW64\\'
        StartModule: ''
    condition: selection
level: high
""",
    "absent_sel": """
title: remote thread whose event has no start module field
id: 00000000-0000-0000-0000-00000000a004
status: test
logsource: {product: windows, category: create_remote_thread}
detection:
    selection:
        TargetImage|contains: '\\SysWOW64\\'
        StartModule|exists: false
    condition: selection
level: high
""",
}


def _thread(rid: int, **extra: str) -> dict[str, Any]:
    data = {
        "SourceImage": "C:\\Users\\u\\AppData\\Roaming\\WINWORD.exe",
        "TargetImage": "C:\\Windows\\SysWOW64\\explorer.exe",
        "StartAddress": "0x0000000000930000",
        **extra,
    }
    return winevents.ev(SYSMON, 8, data, rid=rid, computer=f"pc{rid}")


@pytest.mark.parametrize("use_arrow", [True, False])
def test_null_matches_absent_and_empty_fields(tmp_path: Path, use_arrow: bool) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    for name, text in RULES.items():
        (rules / f"{name}.yml").write_text(text, encoding="utf-8")
    events = [
        _thread(1, StartModule="", StartFunction=""),  # EVTX's empty <Data>
        _thread(2),  # no StartModule at all
        _thread(3, StartModule="C:\\Windows\\System32\\kernel32.dll", StartFunction="x"),
        _thread(4, StartModule="-"),  # a value, though a placeholder one
    ]
    path = tmp_path / "events.json"
    path.write_text("\n".join(json.dumps(e) for e in events) + "\n", encoding="utf-8")
    store = Store.memory()
    try:
        assert [r.rejected for r in bulk_ingest(store, list(expand([path])), None)] == [0]
        rs = load_rules([rules], min_level="informational")
        assert len(rs.rules) == len(RULES)
        hits = evaluate(store.engine(), rs, use_arrow=use_arrow)
        host = dict(store.engine().rows("SELECT event_uid, host FROM process"))
    finally:
        store.close()
    by_rule: dict[str, set[str]] = {}
    for uid, rule in zip(
        hits.column("event_uid").to_pylist(), hits.column("rule_id").to_pylist(), strict=True
    ):
        by_rule.setdefault(rule[-4:], set()).add(str(host[uid]).lower())
    assert by_rule.get("a001") == {"pc1", "pc2"}  # empty or absent: null
    assert by_rule.get("a002") == {"pc3", "pc4"}  # `not null`: those with a value
    assert by_rule.get("a003") == {"pc1"}  # '' is the empty value only
    assert by_rule.get("a004") == {"pc2"}  # `exists: false` is the absent field only
