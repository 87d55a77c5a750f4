"""The recover layer reaches the case store through its public API only.

`tests/test_architecture.py` catches a private name imported across modules; this catches
the other way in: a private attribute (`cases._activate()`) reached on another object.
"""

from __future__ import annotations

import ast
from pathlib import Path

import rempart.recover

RECOVER = Path(rempart.recover.__file__).parent
APP = RECOVER.parent / "app"
MODULES = [
    *sorted(RECOVER.glob("*.py")),
    *(APP / f"{n}.py" for n in ("board", "board_feed", "crisis", "declare", "evidence")),
]


def private_reaches(path: Path) -> list[str]:
    """`x._name` where x is not self/cls (Django's `row._state` is its documented API)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if not isinstance(node, ast.Attribute):
            continue
        name = node.attr
        if not name.startswith("_") or name.startswith("__") or name in {"_state", "_meta"}:
            continue
        base = node.value
        if isinstance(base, ast.Name) and base.id in {"self", "cls"}:
            continue
        out.append(f"{path.name}:{node.lineno}: .{name}")
    return out


def test_no_private_attribute_of_another_object() -> None:
    found = [hit for path in MODULES for hit in private_reaches(path)]
    assert found == []


def test_the_check_sees_a_private_reach(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text("def f(cases):\n    cases._activate()\n    self_ok = 1\n", "utf-8")
    assert private_reaches(sample) == ["m.py:2: ._activate"]
