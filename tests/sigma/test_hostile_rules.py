"""Malformed Sigma rules shared by others (issue 21, defect 9): each one is skipped and
listed with its reason; the others are converted and the triage goes on."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from rempart.cli import app
from rempart.sigma.engine import load_rules
from rempart.sigma.levels import builtin_rules_dir

BAD = {
    "int-id.yml": None,  # the good rule with `id: 12345`
    "string.yml": '"just a string"\n',
    "list.yml": "- a\n- b\n",
    "broken.yml": "title: x\n- a\n",
    "latin1.yml": "title: journal effac\xe9\n".encode("latin-1"),
    "empty.yml": "",
    "nested-none.yml": "title: t\nlogsource:\ndetection:\n  condition:\n",
}


def _rules(tmp: Path) -> Path:
    folder = tmp / "rules"
    folder.mkdir()
    good = (builtin_rules_dir() / "rempart_shadow_copy_deletion.yml").read_text("utf-8")
    (folder / "good.yml").write_text(good, encoding="utf-8")
    for name, content in BAD.items():
        if content is None:
            lines = [("id: 12345" if ln.startswith("id:") else ln) for ln in good.splitlines()]
            content = "\n".join(lines) + "\n"
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def test_each_bad_rule_is_skipped_with_its_reason(tmp_path: Path) -> None:
    rs = load_rules([_rules(tmp_path)])
    assert len(rs.rules) == 1
    skipped = {Path(s.path).name: s.reason for s in rs.skipped}
    for name in ("int-id.yml", "string.yml", "list.yml", "broken.yml", "latin1.yml"):
        assert name in skipped, skipped
        assert skipped[name].startswith(("invalid rule", "unreadable", "not convertible"))


def test_triage_goes_on_past_bad_rules(tmp_path: Path) -> None:
    base = {"Hostname": "PC7", "Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1}
    event = {**base, "@timestamp": "2026-01-01T10:00:00Z", "Image": "C:\\w\\vssadmin.exe",
             "CommandLine": "vssadmin delete shadows /all /quiet"}  # fmt: skip
    events = tmp_path / "pc.json"
    events.write_text(json.dumps(event) + "\n", encoding="utf-8")
    args = ["triage", str(events), "--rules", str(_rules(tmp_path)), "--no-cache"]
    res = CliRunner().invoke(app, [*args, "--format", "jsonl"])
    assert res.exit_code == 0, res.output
    hosts = [json.loads(line) for line in res.stdout.splitlines() if '"kind": "host"' in line]
    assert hosts and hosts[0]["verdict"] == "compromised"
