"""The case store's public API is curated: `__all__` names exist and cover its members."""

from __future__ import annotations

import types

import rempart.cases


def test_all_is_in_step_with_public_members() -> None:
    module: types.ModuleType = rempart.cases
    assert all(hasattr(module, name) for name in module.__all__)
    assert len(set(module.__all__)) == len(module.__all__)
    own = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and (getattr(value, "__module__", None) or "").startswith("rempart.cases")
    }
    assert own <= set(module.__all__)


def test_importing_does_not_configure_django() -> None:
    import subprocess
    import sys

    code = (
        "import rempart.cases, django.conf; assert not django.conf.settings.configured; print('ok')"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "ok"
