"""The audit trail as the console's administrator reads it (newest first).

An entry stores what was done as a stable action key ("user.role", "plan.confirm") with its
details; `what` renders that key in the reader's language (catalogue `audit.<action>`), so
the trail reads in French or English without any stored text changing.
"""

from __future__ import annotations

from pathlib import Path

from rempart.cases import AuditRecord, CaseStore
from rempart.core.i18n import CATALOG, Lang, t
from rempart.store import Workspace


def trail(workspace: Path | str, *, limit: int = 300) -> list[AuditRecord]:
    records = CaseStore.open(Workspace.at(workspace).root).audit_trail()
    return list(reversed(records[-limit:]))


def what(action: str, lang: Lang) -> str:
    """An action key in `lang` (the key itself for an action the catalogue does not name)."""
    key = f"audit.{action}"
    return t(key, lang) if key in CATALOG else action


def described(records: list[AuditRecord], lang: Lang) -> list[tuple[AuditRecord, str]]:
    """Each entry with its action in `lang`, for display."""
    return [(r, what(r.action, lang)) for r in records]


__all__ = ["AuditRecord", "described", "trail", "what"]
