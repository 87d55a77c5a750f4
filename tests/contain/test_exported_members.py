"""The public API is curated: `__all__` names exist and cover every public contain member."""

from __future__ import annotations

import types

import pytest

import rempart.contain
import rempart.contain.export


@pytest.mark.parametrize("module", [rempart.contain, rempart.contain.export])
def test_all_is_in_step_with_public_members(module: types.ModuleType) -> None:
    assert all(hasattr(module, name) for name in module.__all__)
    assert len(set(module.__all__)) == len(module.__all__)
    own = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and (getattr(value, "__module__", None) or "").startswith("rempart.contain")
    }
    assert own <= set(module.__all__)
