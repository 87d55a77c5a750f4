"""Threat-intelligence inputs: one module per format, each parsing to indicator values.

`read_intel(path)` finds a file's format by sniffing its head with every format in order
(most specific first; free text last), reads a MISP feed folder through its
`manifest.json`, and walks other folders. Nothing here touches the store: the app layer
hands the batches to `rempart.store.intel`.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from rempart.core.registry import Registry
from rempart.sources.intel.base import (
    TLP_RANK,
    TYPES,
    Indicator,
    IndicatorError,
    IntelBatch,
    IntelFormat,
    IntelReject,
    guess_type,
    normalise,
    refang,
)

INTEL_FORMATS: Registry[IntelFormat] = Registry("intel format")

BUILTIN: tuple[str, ...] = (
    "rempart.sources.intel.stix:StixFormat",
    "rempart.sources.intel.misp:MispEventFormat",
    "rempart.sources.intel.csv:CsvFormat",
    "rempart.sources.intel.text:AlertEmailFormat",
    "rempart.sources.intel.maltrail:MaltrailFormat",
    "rempart.sources.intel.text:TextFormat",
)
_SKIPPED = ("license", "readme", "copying", "manifest.csv", "sources.md")
_TEXT_SUFFIXES = (".txt", ".md", ".pdf", ".html", ".htm", ".eml")


def _load_builtin() -> None:
    for spec in BUILTIN:
        module, _, cls = spec.partition(":")
        INTEL_FORMATS.register(getattr(importlib.import_module(module), cls)())


_load_builtin()


def sniff_format(path: Path) -> IntelFormat:
    with path.open("rb") as fh:
        head = fh.read(8192)
    return next(f for f in INTEL_FORMATS if f.sniff(head, path))


def read_intel(path: Path) -> list[IntelBatch]:
    """Every batch of indicators a file or folder gives (a folder is walked, sorted)."""
    from rempart.sources.intel.misp import parse_feed

    if path.is_dir():
        if (path / "manifest.json").is_file():
            return parse_feed(path)
        out: list[IntelBatch] = []
        for child in sorted(path.rglob("*")):
            if not child.is_file() or child.is_symlink() or child.name.startswith("."):
                continue
            if child.name.lower().startswith(_SKIPPED):
                continue
            fmt = sniff_format(child)
            if fmt.NAME == "text" and child.suffix.lower() not in _TEXT_SUFFIXES:
                continue
            out.extend(fmt.parse(child))
        return out
    return sniff_format(path).parse(path)


__all__ = [
    "BUILTIN",
    "INTEL_FORMATS",
    "TLP_RANK",
    "TYPES",
    "Indicator",
    "IndicatorError",
    "IntelBatch",
    "IntelFormat",
    "IntelReject",
    "guess_type",
    "normalise",
    "read_intel",
    "refang",
    "sniff_format",
]
