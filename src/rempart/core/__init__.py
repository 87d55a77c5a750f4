"""The base every layer stands on: errors with locations, the plugin registry, languages,
the clock and the browser-like HTML reader. Imports nothing else of Rempart."""

from rempart.core.errors import Location, RempartError
from rempart.core.i18n import LANGS, Lang, t
from rempart.core.registry import Registry

__all__ = ["LANGS", "Lang", "Location", "Registry", "RempartError", "t"]
