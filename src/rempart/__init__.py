"""Rempart: cyber-defence for hospitals.

See the hospital, detect an attack early, contain it without stopping care, recover with
nothing lost, and rehearse it all on a digital twin. Public API: the sub-packages
`rempart.model`, `rempart.schema`, `rempart.sources`, `rempart.store`, `rempart.detect`.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
