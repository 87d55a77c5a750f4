"""The audit trail as the console's administrator reads it (newest first)."""

from __future__ import annotations

from pathlib import Path

from rempart.cases import AuditRecord, CaseStore
from rempart.store import Workspace


def trail(workspace: Path | str, *, limit: int = 300) -> list[AuditRecord]:
    records = CaseStore.open(Workspace.at(workspace).root).audit_trail()
    return list(reversed(records[-limit:]))


__all__ = ["AuditRecord", "trail"]
