"""A hospital.yaml saved in another encoding (issue 21, defect 10): one clear error with the
file, the line and the byte offset, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from rempart.core.errors import ModelError
from rempart.model.loader import load_hospital


def test_latin1_hospital_yaml_says_where(tmp_path: Path) -> None:
    path = tmp_path / "hospital.yaml"
    text = "hospital:\n  name: Centre hospitalier de Montélimar\n"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(ModelError) as err:
        load_hospital(path)
    offset = text.encode("latin-1").index(b"\xe9")
    [(where, message)] = err.value.problems
    assert where.file == str(path) and where.line == 2 and where.offset == offset
    assert f"offset {offset}" in message and "UTF-8" in message
    assert f"{path}:2" in str(err.value)
