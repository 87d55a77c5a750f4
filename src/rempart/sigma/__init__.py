"""The example hospital model and inventory, shipped as package data."""

__all__: list[str] = []  # nothing re-exported: import the modules
