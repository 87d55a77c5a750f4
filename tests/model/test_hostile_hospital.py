"""A hospital.yaml saved in another encoding (issue 21, defect 10): one clear error with the
file, the line and the byte offset, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from rempart.core.errors import ModelError
from rempart.model.loader import load_hospital


def test_latin1_hospital_yaml_says_where(tmp_path: Path) -> None:
    path = tmp_path / "hospital.yaml"
    text = "hospital:\n  name: Centre hospitalier de Montélimar\n"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(ModelError) as err:
        load_hospital(path)
    offset = text.encode("latin-1").index(b"\xe9")
    [(where, message)] = err.value.problems
    assert where.file == str(path) and where.line == 2 and where.offset == offset
    assert f"offset {offset}" in message and "UTF-8" in message
    assert f"{path}:2" in str(err.value)


def test_stray_quote_in_an_inventory_costs_one_row(tmp_path: Path) -> None:
    from rempart.model.hospital import Zone
    from rempart.model.inventory import read_inventory

    rows = [f"pc-{i:04d},10.1.0.{10 + i},bat-a,workstation" for i in range(40)]
    rows[3] = rows[3].replace(",bat-a", ',"bat-a')
    path = tmp_path / "inventory.csv"
    path.write_text("hostname,ip,zone,kind\n" + "\n".join(rows) + "\n", encoding="utf-8")
    zones = (Zone(id="bat-a", name="A", cidrs=("10.1.0.0/16",)),)
    result = read_inventory(path, zones)
    assert len(result.assets) == 39
    assert [(loc.line, why) for loc, why in result.problems] == [
        (5, "unbalanced quote: line skipped")
    ]
    multi = tmp_path / "multi.csv"
    multi.write_text('hostname,ip,comment\npc-1,10.1.0.1,"two\nlines"\npc-2,10.1.0.2,x\n')
    assert [a.hostname for a in read_inventory(multi, zones).assets] == ["pc-1", "pc-2"]
