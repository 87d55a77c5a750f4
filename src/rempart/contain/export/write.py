"""Writing a generated file safely: back up, write only on change, validate, restore.

The suricata-update pattern: the old file is copied aside, the new one replaces it
atomically, the target's validator checks it in place, and on failure the backup is put
back (or the new file removed when there was none) before the error is raised. The
validator is injected so tests can make it fail, and so nothing here applies rules.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
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


class ExportWriteError(ContainmentError):
    """The export could not be written (a link where the file goes, a read-only directory)."""

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        super().__init__(f"{path}: {message}")


@dataclass(frozen=True)
class WriteResult:
    path: Path
    changed: bool
    backup: Path | None
    validation: Validation | None  # None when unchanged (nothing was written)


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


_LINK = "is a symbolic link: Rempart never writes through a link (remove it, or choose --out)"


def _read_own(path: Path) -> tuple[bytes, int] | None:
    """The file's bytes and mode, None when absent; a link is refused, never followed."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP or path.is_symlink():
            raise ExportWriteError(path, _LINK) from exc
        raise
    with os.fdopen(fd, "rb") as fh:
        mode = stat.S_IMODE(os.fstat(fh.fileno()).st_mode)
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise ExportWriteError(path, "is not a regular file")
        return fh.read(), mode


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    """`data` into a new temporary file beside `path` (created exclusively, so a planted
    file or link is never opened), then moved over `path` (a link there is replaced, its
    target untouched)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".rempart-tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_validated(path: Path, text: str, validate: Callable[[Path], Validation]) -> WriteResult:
    """Write `text` to `path` only if it differs; validate; restore the old file on failure."""
    try:
        return _write_validated(path, text, validate)
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise ExportWriteError(
            path, f"cannot write the export ({why}): is the directory there and writable?"
        ) from exc


def _write_validated(path: Path, text: str, validate: Callable[[Path], Validation]) -> WriteResult:
    if path.is_symlink():
        raise ExportWriteError(path, _LINK)
    found = _read_own(path)
    old, mode = found if found is not None else (None, 0o644)
    new = text.encode("utf-8")
    if old == new:
        return WriteResult(path, changed=False, backup=None, validation=None)
    path.parent.mkdir(parents=True, exist_ok=True)
    backup: Path | None = None
    if old is not None:
        backup = backup_path(path)
        _write_atomic(backup, old, mode)  # (a link planted as the .bak is replaced)
    _write_atomic(path, new, mode)
    result = validate(path)
    if not result.ok:
        if old is not None:
            _write_atomic(path, old, mode)
        else:
            path.unlink(missing_ok=True)
        raise ExportValidationError(path, result, restored=backup is not None)
    return WriteResult(path, changed=True, backup=backup, validation=result)
