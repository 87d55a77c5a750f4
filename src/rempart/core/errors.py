"""One exception tree for Rempart, so callers can catch at the depth they care about.

    RempartError
     ├── ConfigError              bad configuration or CLI usage
     ├── ModelError               hospital.yaml / inventory invalid (carries file and line)
     ├── SourceError              an input file could not be read at all (carries file)
     │    └── UnknownFormatError  no source recognised the file
     ├── StoreError               workspace or database problem
     ├── RegistryError            duplicate or unknown plugin name
     ├── DetectorError            a detector failed (carries detector name)
     └── ContainmentError         a plan is unsafe or an export failed validation
          └── VitalCutRefused     a plan cuts a vital dependency without confirmation

An error raised with `key=` and `params=` names its message in the catalogues
(`core/locale/errors.yaml`): `message(lang)` renders it in the user's language (the CLI
prints that after "erreur :" / "error:"), and `str(exc)` is its English text (logs, tests).
An error raised with text only shows that text in every language.

Record-level problems are *not* exceptions: parsers report them as `Rejection` data so a
batch goes on and every rejected record is counted with its reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rempart.core.i18n import Lang, render_reason, t


class RempartError(Exception):
    """Base of every error Rempart raises on purpose."""

    def __init__(
        self, *args: object, key: str | None = None, params: Mapping[str, object] | None = None
    ) -> None:
        self.key = key
        self.params = dict(params or {})
        if key is not None and not args:
            args = (t(key, "en", **self.params),)
        super().__init__(*args)

    def message(self, lang: Lang) -> str:
        """The error in `lang`: its catalogue message when it has a key, else its text."""
        return t(self.key, lang, **self.params) if self.key is not None else str(self)


class ConfigError(RempartError):
    """Bad configuration or command-line usage."""


@dataclass(frozen=True)
class Location:
    """Where a problem is: file, and line (1-based) or byte offset when known."""

    file: str
    line: int | None = None
    offset: int | None = None

    def __str__(self) -> str:
        if self.line is not None:
            return f"{self.file}:{self.line}"
        if self.offset is not None:
            return f"{self.file}@{self.offset}"
        return self.file


class ModelError(RempartError):
    """The hospital model is invalid; `problems` lists every problem with its location."""

    def __init__(self, problems: list[tuple[Location, str]]) -> None:
        self.problems = problems
        lines = [f"{loc}: {msg}" for loc, msg in problems]
        super().__init__("invalid hospital model:\n  " + "\n  ".join(lines))

    def message(self, lang: Lang) -> str:
        """Each problem with its location, its wording in `lang` when the catalogue has it
        (`model.*` keys, found from the English text as reject reasons are)."""
        lines = [f"{loc}: {render_reason(msg, lang)}" for loc, msg in self.problems]
        return t("error.model_invalid", lang) + "\n  " + "\n  ".join(lines)


class SourceError(RempartError):
    """A whole input file could not be read."""

    def __init__(
        self,
        path: Path | str,
        message: str = "",
        *,
        key: str | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        self.path = str(path)
        if key is not None and not message:
            message = t(key, "en", **dict(params or {}))
        super().__init__(f"{path}: {message}", key=key, params=params)

    def message(self, lang: Lang) -> str:
        if self.key is None:
            return str(self)
        return f"{self.path}: {t(self.key, lang, **self.params)}"


class UnknownFormatError(SourceError):
    """No registered source recognised the file's content."""


class StoreError(RempartError):
    """Workspace or database problem."""


class RegistryError(RempartError):
    """A plugin name is registered twice, or an unknown name was asked for."""


class DetectorError(RempartError):
    """A detector failed while running."""

    def __init__(self, detector: str, message: str) -> None:
        self.detector = detector
        super().__init__(f"detector {detector}: {message}")

    def message(self, lang: Lang) -> str:
        return t("error.detector", lang, detector=self.detector, detail=str(self).split(": ", 1)[1])


class ContainmentError(RempartError):
    """A containment plan or export is invalid."""


class VitalCutRefused(ContainmentError):
    """The plan cuts a vital care dependency and was not explicitly confirmed."""
