"""ATT&CK enterprise techniques -> their tactics (the STIX `kill_chain_phases`).

The table is data (`data/attack_tactics.json`, with MITRE's licence and copyright line as the
ATT&CK terms ask), written by `scripts/attack_tactics.py` from MITRE's CTI repository, and
read once on first use.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

__all__ = ["tactics_of", "technique_tactics"]


@cache
def _document() -> dict[str, Any]:
    text = resources.files("rempart.sigma").joinpath("data/attack_tactics.json").read_text("utf-8")
    doc: dict[str, Any] = json.loads(text)
    return doc


@cache
def technique_tactics() -> MappingProxyType[str, tuple[str, ...]]:
    """Every technique id (lower case, `t1558.003`) and its tactics."""
    return MappingProxyType({k: tuple(v) for k, v in _document()["techniques"].items()})


def tactics_of(technique: str) -> tuple[str, ...]:
    """`T1558.003`, `t1558.003` or `attack.t1558.003` -> its tactics (`credential-access`);
    a sub-technique the table lacks falls back on its parent technique."""
    table = technique_tactics()
    key = technique.lower().removeprefix("attack.")
    found = table.get(key)
    if found is None and "." in key:
        found = table.get(key.split(".", 1)[0])
    return found or ()
