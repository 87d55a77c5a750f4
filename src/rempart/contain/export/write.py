"""Writing a generated file safely: back up, write only on change, validate, restore.

The suricata-update pattern: the old file is copied aside, the new one replaces it
atomically, the target's validator checks it in place, and on failure the backup is put
back (or the new file removed when there was none) before the error is raised. The
validator is injected so tests can make it fail, and so nothing here applies rules.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rempart.contain.export.base import Validation
from rempart.core.errors import ContainmentError


class ExportValidationError(ContainmentError):
    """The written file failed validation; the previous file was restored."""

    def __init__(self, path: Path, validation: Validation, restored: bool) -> None:
        self.path = path
        self.validation = validation
        self.restored = restored
        what = "ancien fichier restauré" if restored else "fichier retiré"
        super().__init__(
            f"{path}: validation par {validation.tool} échouée ({what}): {validation.message}"
        )


@dataclass(frozen=True)
class WriteResult:
    path: Path
    changed: bool
    backup: Path | None
    validation: Validation | None  # None when unchanged (nothing was written)


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def write_validated(path: Path, text: str, validate: Callable[[Path], Validation]) -> WriteResult:
    """Write `text` to `path` only if it differs; validate; restore the old file on failure."""
    old = path.read_bytes() if path.exists() else None
    new = text.encode("utf-8")
    if old == new:
        return WriteResult(path, changed=False, backup=None, validation=None)
    path.parent.mkdir(parents=True, exist_ok=True)
    backup: Path | None = None
    if old is not None:
        backup = backup_path(path)
        shutil.copy2(path, backup)
    tmp = path.with_name(f".{path.name}.rempart-tmp")
    tmp.write_bytes(new)
    os.replace(tmp, path)
    result = validate(path)
    if not result.ok:
        if backup is not None:
            shutil.copy2(backup, path)
        else:
            path.unlink(missing_ok=True)
        raise ExportValidationError(path, result, restored=backup is not None)
    return WriteResult(path, changed=True, backup=backup, validation=result)
