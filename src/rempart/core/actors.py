"""Who an action is recorded under when no person is named (`--as` absent)."""

from __future__ import annotations

SYSTEM_ACTOR = "system"  # the system account: commands say so when they act in its name

__all__ = ["SYSTEM_ACTOR"]
