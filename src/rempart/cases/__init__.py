"""The case store: incidents with stable ids and a state, users and roles, the audit trail,
the remediation board and the crisis log, on Django's ORM (SQLite in the workspace, or
PostgreSQL). The event store stays DuckDB; this one is transactional and shared by several
processes (the CLI, the web console) at once. See docs/cases.md.

Importing this package does not configure Django: `CaseStore.open(root)` (or `setup(root)`)
does, once per process.
"""

from rempart.cases.errors import (
    AppendOnlyError,
    CaseError,
    CaseNotFound,
    InvalidTransition,
    InvalidValue,
)
from rempart.cases.runtime import setup
from rempart.cases.store import (
    AuditRecord,
    CaseStore,
    IncidentSummary,
    UserSummary,
    incident_kind,
)

__all__ = [
    "AppendOnlyError",
    "AuditRecord",
    "CaseError",
    "CaseNotFound",
    "CaseStore",
    "IncidentSummary",
    "InvalidTransition",
    "InvalidValue",
    "UserSummary",
    "incident_kind",
    "setup",
]
