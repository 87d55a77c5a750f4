"""The public API is curated: every package under `rempart` declares `__all__`, its names
exist, none is private (a `_name` or a `_module`), and each package's own public members
are listed."""

from __future__ import annotations

import importlib
import pkgutil
import types

import pytest

import rempart

# Packages that are no API: Django's migrations (generated, found by Django by path).
PENDING: set[str] = set()


def _packages() -> list[str]:
    found = ["rempart"]
    for info in pkgutil.walk_packages(rempart.__path__, "rempart."):
        if info.ispkg and not info.name.endswith(".migrations"):
            found.append(info.name)
    return sorted(found)


PACKAGES = _packages()


def test_every_package_is_walked() -> None:
    assert {"rempart.contain", "rempart.contain.export", "rempart.detect.network"} <= set(PACKAGES)


def _private(value: object, name: str) -> bool:
    if name.startswith("_") and not (name.startswith("__") and name.endswith("__")):
        return True
    if isinstance(value, types.ModuleType):
        return any(part.startswith("_") for part in value.__name__.split("."))
    return False


@pytest.mark.parametrize("name", PACKAGES)
def test_all_names_exist_and_none_is_private(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    if exported is None:
        assert name in PENDING, f"{name} declares no __all__"
        return
    assert len(set(exported)) == len(exported), f"{name}: a name is listed twice"
    missing = [n for n in exported if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ lists names it does not define: {missing}"
    private = [n for n in exported if _private(getattr(module, n), n)]
    assert not private, f"{name}.__all__ exports private names: {private}"


# Packages whose `__init__` is their curated facade: every public member of their modules
# that it imports is listed. Elsewhere only what the `__init__` itself defines must be.
FACADES = {"rempart.contain", "rempart.contain.export"}


@pytest.mark.parametrize("name", [p for p in PACKAGES if p not in PENDING])
def test_all_covers_the_package_public_members(name: str) -> None:
    module = importlib.import_module(name)

    def owned(value: object) -> bool:
        where = getattr(value, "__module__", None) or ""
        return where.startswith(name) if name in FACADES else where == name

    own = {
        member
        for member, value in vars(module).items()
        if not member.startswith("_") and not isinstance(value, types.ModuleType) and owned(value)
    }
    assert own <= set(module.__all__), f"{name}: public members missing from __all__"
