"""The case store's errors, under Rempart's one exception tree.

RempartError
 └── CaseError               the case store refused an operation
      ├── CaseNotFound       no incident or user by that id (also a LookupError)
      ├── InvalidValue       an unknown state, role or kind, a bad password (ValueError)
      │    └── InvalidTransition  a state change not in the diagram
      └── AppendOnlyError    an update or deletion of a crisis-log entry
"""

from __future__ import annotations

from rempart.core.errors import RempartError


class CaseError(RempartError):
    """The case store refused an operation."""


class CaseNotFound(CaseError, LookupError):
    """No incident (or user) by that id."""


class InvalidValue(CaseError, ValueError):
    """An unknown state, role or kind, an empty name, a password too short."""


class InvalidTransition(InvalidValue):
    """A state change that the diagram does not allow."""


class AppendOnlyError(CaseError):
    """Crisis-log entries are never updated or deleted: corrections are new entries."""
