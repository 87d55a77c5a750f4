"""Network detection helpers shared by the detectors in `rempart.detect.network`.

`Engine` runs the detectors' SQL on DuckDB or Spark through Ibis; `nets` turns the
hospital model (or RFC 1918 and /24 fallbacks) into lookup tables; `spread` rebuilds who
infected whom (`reconstruct_spread`), which the incident builder calls.
"""

from rempart.netdetect.engine import Engine
from rempart.netdetect.nets import NetParams, prepare
from rempart.netdetect.spread import InfectedHost, SpreadEdge, SpreadTree, reconstruct_spread

__all__ = [
    "Engine",
    "InfectedHost",
    "NetParams",
    "SpreadEdge",
    "SpreadTree",
    "prepare",
    "reconstruct_spread",
]
