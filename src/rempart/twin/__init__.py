"""The digital twin: a synthetic hospital, its traffic, a spread engine and scenarios."""

from rempart.twin.hospital import generate_hospital, write_hospital
from rempart.twin.spread import (
    Controls,
    HorizonStat,
    SpreadNetwork,
    SpreadParams,
    SpreadResult,
    Trajectory,
    simulate,
)
from rempart.twin.traffic import ATTACK_SCHEMA, attack_flows, write_conn_log

__all__ = [
    "ATTACK_SCHEMA",
    "Controls",
    "HorizonStat",
    "SpreadNetwork",
    "SpreadParams",
    "SpreadResult",
    "Trajectory",
    "attack_flows",
    "generate_hospital",
    "simulate",
    "write_conn_log",
    "write_hospital",
]
