"""A registry with a loader registers its built-in plugins on first use, once, in order."""

from __future__ import annotations

from typing import ClassVar

import pytest

from rempart.core.errors import RegistryError
from rempart.core.registry import Registry


class _Plugin:
    NAME: ClassVar[str] = ""
    VERSION: ClassVar[str] = "1"


def _plugin(name: str) -> _Plugin:
    return type(f"P_{name}", (_Plugin,), {"NAME": name})()


def test_loader_runs_once_on_first_use_before_a_later_registration() -> None:
    calls: list[int] = []
    reg: Registry[_Plugin] = Registry("thing")

    def load() -> None:
        calls.append(1)
        reg.register(_plugin("a"))
        reg.register(_plugin("b"))

    reg = Registry("thing", loader=load)
    assert calls == []  # nothing imported at creation
    reg.register(_plugin("c"))
    assert reg.names() == ["a", "b", "c"]
    assert len(reg) == 3 and [p.NAME for p in reg] == ["a", "b", "c"]
    assert calls == [1]
    with pytest.raises(RegistryError):
        reg.register(_plugin("a"))


def test_the_detectors_are_all_there_on_first_use() -> None:
    from rempart.detect import BUILTIN, DETECTORS

    assert len(DETECTORS) == len(BUILTIN)
    assert DETECTORS.get("sigma").NAME == "sigma"
