"""The case store's Django configuration, for the web console to build its own on.

web/ imports only app/: the console's settings start from the case store's (`settings_for`)
and its setup ends with the case store's (`setup`: re-point and migrate), both from here.
"""

from __future__ import annotations

from rempart.cases import setup as cases_setup
from rempart.cases.settings import settings_for

__all__ = ["cases_setup", "settings_for"]
