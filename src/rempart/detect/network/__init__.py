"""Network detectors: scans (TRW), lateral spread, spread tree, zone policy, medical devices,
internet probes and exposed services, command and control, outbound abuse.

Each is written once as SQL carried by Ibis, so it runs on the store's DuckDB or on Spark;
the `detect_*` functions take an `Engine`, and a `NetworkDetector` subclass wraps one for
the store.
"""

from __future__ import annotations

from typing import ClassVar

from rempart.detect.base import DetectContext, Detector, Finding
from rempart.detect.network.common import engine_for
from rempart.detect.network.nets import NetParams
from rempart.model import Hospital
from rempart.store.engine import Engine

__all__ = ["NetworkDetector"]


class NetworkDetector(Detector):
    """A `detect_*` function run on the store's prepared engine with the detector's params."""

    INPUTS: ClassVar[tuple[str, ...]] = ("network_flow",)
    NEEDS_MODEL: ClassVar[bool] = False  # nothing to judge without a hospital.yaml

    def __init__(self, params: NetParams | None = None) -> None:
        self.params = params or NetParams()

    @staticmethod
    def detect(
        engine: Engine, hospital: Hospital | None, params: NetParams | None
    ) -> list[Finding]:
        """The detection itself (a subclass sets `detect = staticmethod(detect_...)`)."""
        raise NotImplementedError

    def run(self, ctx: DetectContext) -> list[Finding]:
        if self.NEEDS_MODEL and ctx.hospital is None:
            return []
        engine = engine_for(ctx, self.params)
        try:
            return self.detect(engine, ctx.hospital, self.params)
        finally:
            engine.close()
