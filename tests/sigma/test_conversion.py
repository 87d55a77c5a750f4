"""Rule conversion: field mapping onto Rempart's columns, skipped rules with their reason."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from rempart.sigma import evaluate as evaluate_module
from rempart.sigma.engine import default_mapping, load_rules
from rempart.sigma.evaluate import evaluate
from rempart.sigma.levels import builtin_rules_dir
from rempart.store import Store

RULE = """
title: test {name}
id: {rid}
status: test
logsource: {{product: windows, category: process_creation}}
detection:
    selection:
        {detection}
    condition: selection
level: high
"""


def _write(tmp: Path, name: str, rid: str, detection: str) -> Path:
    path = tmp / f"{name}.yml"
    path.write_text(RULE.format(name=name, rid=rid, detection=detection), encoding="utf-8")
    return path


def test_field_mapping_onto_process_columns() -> None:
    m = default_mapping()
    assert m.field_sql("Image") == "image"
    assert m.field_sql("CommandLine") == "command_line"
    assert m.field_sql("TargetFilename") == "fields['TargetFilename']"


def test_unsupported_modifier_is_listed_with_reason(tmp_path: Path) -> None:
    _write(tmp_path, "ok", "00000000-0000-0000-0000-000000000001", "Image|endswith: '\\\\a.exe'")
    _write(tmp_path, "bad", "00000000-0000-0000-0000-000000000002", "Image|nosuchmod: 'x'")
    rs = load_rules([tmp_path], min_level="informational")
    assert [r.rule_id for r in rs.rules] == ["00000000-0000-0000-0000-000000000001"]
    assert len(rs.skipped) == 1
    assert "nosuchmod" in rs.skipped[0].reason or "modifier" in rs.skipped[0].reason.lower()


def test_level_filter_and_non_windows(tmp_path: Path) -> None:
    (tmp_path / "linux.yml").write_text(
        "title: l\nid: 00000000-0000-0000-0000-000000000003\nlogsource: {product: linux}\n"
        "detection: {sel: {a: b}, condition: sel}\nlevel: high\n",
        encoding="utf-8",
    )
    rs = load_rules([tmp_path])
    assert rs.rules == ()
    assert "not Windows" in rs.skipped[0].reason


def _event(store: Store, uid: str, image: str, cmd: str, code: int = 1) -> None:
    row = {
        "time": datetime(2026, 1, 1, tzinfo=UTC),
        "host": "PC1",
        "channel": "Microsoft-Windows-Sysmon/Operational",
        "event_code": code,
        "image": image,
        "command_line": cmd,
        "fields": [("EventID", str(code))],
        "event_uid": uid,
        "source_file": "x.evtx",
        "source_format": "evtx",
    }
    schema = store.sql("SELECT * FROM process LIMIT 0").schema
    store.append("process", pa.Table.from_pylist([row], schema=schema))


def test_builtin_rules_match_case_insensitively_and_not_filters() -> None:
    store = Store.memory()
    _event(store, "e1", "C:\\Windows\\System32\\VSSADMIN.EXE", "vssadmin Delete Shadows /all")
    _event(store, "e2", "C:\\Windows\\System32\\notepad.exe", "notepad")
    _event(store, "e3", "C:\\Windows\\System32\\vssadmin.exe", "vssadmin delete shadows", code=5)
    rs = load_rules([builtin_rules_dir()], min_level="medium")
    hits = evaluate(store.con, rs).to_pylist()
    assert {h["event_uid"] for h in hits} == {"e1"}  # e3 is not a process creation
    assert hits[0]["rule_id"] == "6f0c1d2e-7a51-4c1b-9a77-2b1f0e3c4a01"


def test_arrow_and_sql_paths_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(
        tmp_path,
        "many",
        "00000000-0000-0000-0000-000000000010",
        "CommandLine|contains: ['shadows', 'bcdedit', 'wbadmin', 'x_y%']",
    )
    (tmp_path / "not.yml").write_text(
        "title: n\nid: 00000000-0000-0000-0000-000000000011\nstatus: test\n"
        "logsource: {product: windows, category: process_creation}\n"
        "detection:\n  sel: {Image|endswith: '.exe'}\n  filter: {User: 'SYSTEM'}\n"
        "  condition: sel and not filter\nlevel: high\n",
        encoding="utf-8",
    )
    store = Store.memory()
    _event(store, "e1", "C:\\w\\vssadmin.exe", "vssadmin delete SHADOWS")
    _event(store, "e2", "C:\\w\\cmd.exe", "echo x_y%z")
    _event(store, "e3", "C:\\w\\cmd.exe", "echo xay")
    rs = load_rules([tmp_path, builtin_rules_dir()], min_level="informational")
    assert all(r.plan for r in rs.rules)
    fast = evaluate(store.con, rs).to_pylist()
    slow = evaluate(store.con, rs, use_arrow=False).to_pylist()
    key = sorted((h["event_uid"], h["rule_id"]) for h in fast)
    assert key == sorted((h["event_uid"], h["rule_id"]) for h in slow)
    many = {h["event_uid"] for h in fast if h["rule_id"].endswith("10")}
    assert many == {"e1", "e2"}  # the literal % is not a wildcard
    # `not filter` fires although no event has a User field
    assert {h["event_uid"] for h in fast if h["rule_id"].endswith("11")} == {"e1", "e2", "e3"}
    # a big group runs in slices (issue 26, a million events): the same hits, both paths
    monkeypatch.setattr(evaluate_module, "SLICE_ROWS", 1)
    sliced = evaluate(store.con, rs).to_pylist()
    assert sorted((h["event_uid"], h["rule_id"]) for h in sliced) == key
    sliced_sql = evaluate(store.con, rs, use_arrow=False).to_pylist()
    assert sorted((h["event_uid"], h["rule_id"]) for h in sliced_sql) == key


def test_parallel_conversion_gives_the_same_rule_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many files are converted by worker processes (issue 26): same rules, same order, same
    skips as one process (a file's correlations link to rules of the same file)."""
    from rempart.sigma import engine

    folder = tmp_path / "rules"
    folder.mkdir()
    for f in sorted(builtin_rules_dir().glob("*.yml")):
        (folder / f.name).write_text(f.read_text("utf-8"), encoding="utf-8")
    (folder / "zz_broken.yml").write_text("title: [unclosed\n", encoding="utf-8")
    one = engine.load_rules([folder])
    monkeypatch.setattr(engine, "PARALLEL_MIN_FILES", 2)
    monkeypatch.setattr(engine, "_workers", lambda: 2)

    def not_here(*_args: object) -> None:
        raise AssertionError("converted in this process, not in the workers")

    monkeypatch.setattr(engine, "_convert_files", not_here)
    many = engine.load_rules([folder])
    assert many == one
    assert one.rules and one.correlations
    assert any("unreadable" in s.reason for s in one.skipped)


def test_rules_cached_by_file_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new folder with the same files (issue 26) reuses each file's conversion by digest;
    a changed file is converted again; the paths are the new folder's."""
    from rempart.sigma import engine

    a, b = tmp_path / "a", tmp_path / "b"
    for folder in (a, b):
        folder.mkdir()
        for f in sorted(builtin_rules_dir().glob("*.yml")):
            (folder / f.name).write_text(f.read_text("utf-8"), encoding="utf-8")
    cache = tmp_path / "cache"
    first = engine.load_rules([a], cache_dir=cache)
    converted: list[list[str]] = []
    real = engine._convert_all

    def spy(files: list[str], *args: object) -> list[engine._FileResult]:
        converted.append(files)
        return real(files, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "_convert_all", spy)
    changed = b / "rempart_log_cleared.yml"
    changed.write_text(changed.read_text("utf-8") + "\n# edited\n", encoding="utf-8")
    second = engine.load_rules([b], cache_dir=cache)
    assert converted == [[str(changed)]]
    assert second == engine.load_rules([b])  # same as converting without any cache
    assert {r.path for r in second.rules} <= {str(p) for p in b.iterdir()}
    assert len(second.rules) == len(first.rules)
