"""Detectors: one module each, registered once by name in `DETECTORS`."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from rempart.core.registry import Registry
from rempart.detect.base import (
    DetectContext,
    Detector,
    Finding,
    Severity,
    findings_table,
)

# "module:Class" of every built-in detector, in run order. Add one line per new detector;
# its heavy dependencies are imported inside `run`, so loading the list stays cheap.
BUILTIN: tuple[str, ...] = (
    "rempart.detect.host:SigmaDetector",
    "rempart.detect.mail.phishing:PhishingDetector",
    "rempart.detect.mail.intrusion:MailBruteForce",
    "rempart.detect.mail.intrusion:MailLoginAfterFailures",
    "rempart.detect.mail.intrusion:MailNewSource",
    "rempart.detect.mail.intrusion:MailboxRules",
    "rempart.detect.mail.intrusion:MailboxMassAccess",
    "rempart.detect.mail.intrusion:InternalMassMail",
    "rempart.detect.host.linux_auth:LinuxBruteForce",
    "rempart.detect.host.linux_auth:LinuxLoginAfterFailures",
    "rempart.detect.host.linux_auth:LinuxNewSource",
    "rempart.detect.host.linux_auth:RootLogin",
    "rempart.detect.host.windows_auth:WindowsBruteForce",
    "rempart.detect.host.windows_auth:WindowsTicketForgery",
    "rempart.detect.network.scan:NetworkScanDetector",
    "rempart.detect.network.lateral:LateralSpreadDetector",
    "rempart.detect.network.spread:SpreadTreeDetector",
    "rempart.detect.network.policy:ZonePolicyDetector",
    "rempart.detect.network.medical:MedicalExposureDetector",
    "rempart.detect.network.inbound:InboundProbeDetector",
    "rempart.detect.network.inbound:ExposedServiceDetector",
    "rempart.detect.network.c2:C2BeaconDetector",
    "rempart.detect.network.fanout:HttpFanoutDetector",
    "rempart.detect.network.http_beacon:HttpBeaconDetector",
    "rempart.detect.network.fanout:UdpFanoutDetector",
    "rempart.detect.network.dga:DnsFailuresDetector",
    "rempart.detect.network.exploit:IdsAlertDetector",
    "rempart.detect.network.exploit:SmbExploitDetector",
    "rempart.detect.network.outbound:OutboundAbuseDetector",
    "rempart.detect.intel:IntelHuntDetector",
)


def _load_builtin() -> None:
    for spec in BUILTIN:
        module, _, cls = spec.partition(":")
        DETECTORS.register(getattr(importlib.import_module(module), cls)())


# the built-in detectors are imported on first use of the registry, not with this package
DETECTORS: Registry[Detector] = Registry("detector", loader=_load_builtin)


@dataclass(frozen=True)
class DetectorRun:
    name: str
    version: str
    findings: int
    error: str | None = None


def run_detectors(ctx: DetectContext, names: list[str] | None = None) -> list[DetectorRun]:
    """Run detectors (all, or `names`) whose input tables have rows; store their findings.

    A failing detector is reported and the others still run.
    """
    runs: list[DetectorRun] = []
    selected = [DETECTORS.get(n) for n in names] if names else list(DETECTORS)
    for det in selected:
        if not any(ctx.store.count(t) for t in det.INPUTS):
            runs.append(DetectorRun(det.NAME, det.VERSION, 0, None))
            continue
        try:
            found = det.run(ctx)
        except Exception as exc:
            runs.append(DetectorRun(det.NAME, det.VERSION, 0, f"{type(exc).__name__}: {exc}"))
            continue
        ctx.store.replace_findings(det.NAME, findings_table(found))
        runs.append(DetectorRun(det.NAME, det.VERSION, len(found)))
    return runs


def network_detectors() -> list[str]:
    """Names of the built-in network detectors (what the network benchmarks run)."""
    names = []
    for ref in BUILTIN:
        module, _, cls = ref.partition(":")
        if module.startswith("rempart.detect.network."):
            names.append(str(getattr(importlib.import_module(module), cls).NAME))
    return names


__all__ = [
    "DETECTORS",
    "DetectContext",
    "Detector",
    "DetectorRun",
    "Finding",
    "Severity",
    "findings_table",
    "network_detectors",
    "run_detectors",
]
