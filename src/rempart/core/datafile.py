"""Package data files (word lists, brands, partners) read once and validated on load.

Lists that tune the product are data, not code: a reviewer edits a YAML file, and a mistake
in it stops the program at the first read with the file's name, not with a wrong score.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from rempart.core.errors import Location, RempartError

__all__ = ["DataFileError", "load_data"]

M = TypeVar("M", bound=BaseModel)


class DataFileError(RempartError):
    """A package data file that is missing, not YAML, or not of the expected shape."""

    def __init__(self, location: Location, message: str) -> None:
        self.location = location
        super().__init__(f"{location}: {message}")


@cache
def _load(package: str, name: str, model: type[BaseModel]) -> BaseModel:
    where = f"{package}:data/{name}"
    try:
        text = resources.files(package).joinpath("data", name).read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFileError(Location(where), f"cannot read the data file ({exc})") from exc
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise DataFileError(Location(where, line), f"not valid YAML ({exc})") from exc
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise DataFileError(Location(where), str(exc)) from exc


def load_data(package: str, name: str, model: type[M]) -> M:
    """The file `data/<name>` of `package`, validated as `model` (read once per process)."""
    value = _load(package, name, model)
    assert isinstance(value, model)
    return value
