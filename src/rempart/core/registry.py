"""A tiny named-plugin registry: one name, one plugin; a duplicate name is an error.

Sources, detectors and exporters each keep one `Registry`. Modules register at import;
heavy optional dependencies are imported inside the plugin on first use, not here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import ClassVar, Generic, Protocol, TypeVar

from rempart.core.errors import RegistryError


class Named(Protocol):
    NAME: ClassVar[str]
    VERSION: ClassVar[str]


T = TypeVar("T", bound=Named)


class Registry(Generic[T]):
    """Ordered name -> plugin mapping that refuses duplicates."""

    def __init__(self, kind: str, loader: Callable[[], None] | None = None) -> None:
        """`loader` registers the built-in plugins on first use (not at import: importing
        every detector to run one cost a third of a second at each start)."""
        self.kind = kind
        self._items: dict[str, T] = {}
        self._loader = loader

    def _ensure(self) -> None:
        if self._loader is not None:
            load, self._loader = self._loader, None
            load()

    def register(self, plugin: T) -> T:
        self._ensure()
        if plugin.NAME in self._items:
            raise RegistryError(f"{self.kind} {plugin.NAME!r} is already registered")
        self._items[plugin.NAME] = plugin
        return plugin

    def get(self, name: str) -> T:
        self._ensure()
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            raise RegistryError(f"unknown {self.kind} {name!r} (known: {known})") from None

    def names(self) -> list[str]:
        self._ensure()
        return list(self._items)

    def __iter__(self) -> Iterator[T]:
        self._ensure()
        return iter(list(self._items.values()))

    def __len__(self) -> int:
        self._ensure()
        return len(self._items)
