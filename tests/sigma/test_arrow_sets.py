"""The RE2-set pass (`ArrowGroup.prepare`) gives the masks the one-call-per-leaf path gives."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from rempart.sigma.arrow_eval import ArrowGroup

pytest.importorskip("re2")

VALUES = [
    "c:\\windows\\system32\\rundll32.exe",
    None,
    "powershell -enc aqbfafgा",
    "a.b*c(d)[e]{f}+?^$|x",
    "",
    "cmd.exe /c whoami",
    "c:\\windows\\system32\\rundll32.exe",
    "line one\nline two",
    None,
]
PLANS = [
    ["contains", "l", "Image", "rundll32"],
    ["suffix", "l", "Image", "\\rundll32.exe"],
    ["prefix", "l", "Image", "c:\\windows"],
    ["prefix", "l", "Image", "cmd"],
    ["suffix", "l", "Image", "exe"],
    ["contains", "l", "Image", "*c(d)[e]{f}+?^$|"],
    ["contains", "l", "Image", "aqbf"],
    ["re", "l", "Image", "^line two"],
    ["re", "l", "Image", "(?m)^line two"],
    ["re", "l", "Image", "w[h]o.mi$"],
    ["contains", "l", "Image", ""],
    ["re", "l", "Image", "(unclosed"],
    ["contains", "l", "Absent", "x"],
    ["and", [["prefix", "l", "Image", "c:"], ["not", ["contains", "l", "Image", "cmd"]]]],
]


def _group() -> ArrowGroup:
    return ArrowGroup(pa.table({"event_uid": [str(i) for i in range(len(VALUES))],
                                "l:Image": pa.array(VALUES, pa.string())}))  # fmt: skip


@pytest.mark.parametrize("plan", PLANS, ids=[json.dumps(p)[:40] for p in PLANS])
def test_set_pass_matches_one_call_per_leaf(plan: list[object]) -> None:
    alone = _group()
    batched = _group()
    batched.prepare([json.dumps(plan)])
    try:
        expected = alone.matches(json.dumps(plan)).to_pylist()
    except pa.ArrowInvalid:  # a pattern RE2 rejects: the batched path must fail alike
        with pytest.raises(pa.ArrowInvalid):
            batched.matches(json.dumps(plan))
        return
    assert batched.matches(json.dumps(plan)).to_pylist() == expected


def test_set_pass_fills_the_memo() -> None:
    group = _group()
    group.prepare([json.dumps(p) for p in PLANS])
    assert len(group.memo) >= 10  # the leaves were computed by the sets, not left for later
