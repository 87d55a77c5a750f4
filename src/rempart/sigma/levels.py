"""Sigma levels, default statuses and where Rempart's own rules are: kept apart from
`rempart.sigma.engine` so that a caller may name them without importing the Sigma stack
(pydantic, PyYAML, DuckDB), as `rempart.app.triage` does before loading the rules in a thread.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

LEVELS: tuple[str, ...] = ("informational", "low", "medium", "high", "critical")
DEFAULT_STATUSES: frozenset[str] = frozenset({"stable", "test", "experimental"})


def builtin_rules_dir() -> Path:
    return Path(str(resources.files("rempart.sigma").joinpath("rules")))


def level_rank(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else 0


__all__ = ["DEFAULT_STATUSES", "LEVELS", "builtin_rules_dir", "level_rank"]
