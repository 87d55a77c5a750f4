"""A tiny named-plugin registry: one name, one plugin; a duplicate name is an error.

Sources, detectors and exporters each keep one `Registry`. Modules register at import;
heavy optional dependencies are imported inside the plugin on first use, not here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, Generic, Protocol, TypeVar

from rempart.core.errors import RegistryError


class Named(Protocol):
    NAME: ClassVar[str]
    VERSION: ClassVar[str]


T = TypeVar("T", bound=Named)


class Registry(Generic[T]):
    """Ordered name -> plugin mapping that refuses duplicates."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, plugin: T) -> T:
        if plugin.NAME in self._items:
            raise RegistryError(f"{self.kind} {plugin.NAME!r} is already registered")
        self._items[plugin.NAME] = plugin
        return plugin

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            raise RegistryError(f"unknown {self.kind} {name!r} (known: {known})") from None

    def names(self) -> list[str]:
        return list(self._items)

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._items.values()))

    def __len__(self) -> int:
        return len(self._items)
