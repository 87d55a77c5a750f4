"""Scenarios replayed on the twin (Montpellier 2019)."""

__all__: list[str] = []  # nothing re-exported: import the modules
