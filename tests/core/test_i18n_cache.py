"""The message catalogues read from their JSON cache are the ones the YAML gives."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rempart.core import i18n

_PROBE = (
    "import json, sys\nfrom rempart.core.i18n import CATALOG, SOURCES\n"
    "print(json.dumps([CATALOG, SOURCES, 'yaml' in sys.modules]))"
)


def _catalog(cache_home: Path) -> tuple[dict[str, object], dict[str, str], bool]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE],
        check=True,
        capture_output=True,
        text=True,
        env={"XDG_CACHE_HOME": str(cache_home), "PATH": "/usr/bin:/bin", **_pythonpath()},
    ).stdout
    cat, src, yaml_loaded = json.loads(out.strip().splitlines()[-1])
    return cat, src, yaml_loaded


def _pythonpath() -> dict[str, str]:
    import os

    return {"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}


def test_second_start_reads_the_cache_and_gets_the_same_catalogue(tmp_path: Path) -> None:
    first, first_src, parsed_yaml = _catalog(tmp_path)
    assert parsed_yaml  # no cache yet: the YAML was read
    assert list((tmp_path / "rempart").glob("i18n-*.json"))
    second, second_src, parsed_again = _catalog(tmp_path)
    assert not parsed_again  # read from the cache
    assert second == first and second_src == first_src
    assert set(first) <= set(i18n.CATALOG)  # (other tests may add keys in this process)
    assert all(first[k] == dict(i18n.CATALOG[k]) for k in first)


def test_a_damaged_cache_is_read_again_from_the_yaml(tmp_path: Path) -> None:
    reference, _, _ = _catalog(tmp_path)
    (cache,) = (tmp_path / "rempart").glob("i18n-*.json")
    cache.write_text("{not json", "utf-8")
    again, _, parsed_yaml = _catalog(tmp_path)
    assert parsed_yaml
    assert again == reference


@pytest.mark.parametrize("bad", ["[]", '[["x.yaml", {}]]'])
def test_a_cache_of_the_wrong_shape_is_not_used(tmp_path: Path, bad: str) -> None:
    reference, _, _ = _catalog(tmp_path)
    (cache,) = (tmp_path / "rempart").glob("i18n-*.json")
    cache.write_text(bad, "utf-8")
    again, _, parsed_yaml = _catalog(tmp_path)
    assert parsed_yaml and again == reference


def test_a_cache_with_broken_entries_is_not_used(tmp_path: Path) -> None:
    reference, _, _ = _catalog(tmp_path)
    (cache,) = (tmp_path / "rempart").glob("i18n-*.json")
    data = json.loads(cache.read_text("utf-8"))
    data[0][1] = {"some.key": "not an entry"}
    cache.write_text(json.dumps(data), "utf-8")
    again, _, parsed_yaml = _catalog(tmp_path)
    assert parsed_yaml and again == reference
