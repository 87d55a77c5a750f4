"""Package data files: every one loads and validates; a bad one names its file."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from rempart.core import datafile
from rempart.core.datafile import DataFileError, load_data
from rempart.mail import wordlists
from rempart.twin.hospital import _partners


def test_every_mail_list_loads() -> None:
    assert "paypal" in wordlists.signal_lists().brands
    assert "gmail.com" in wordlists.sender_lists().freemail
    assert "exe" in wordlists.attachment_lists().executable
    assert wordlists.lookalike_lists().glyphs["0"] == "o"
    assert "the" in wordlists.textmodel_lists().stop_words
    assert {p.id for p in _partners()} >= {"labo-biosud", "hds", "samu-lien"}


class _Words(BaseModel):
    words: tuple[wordlists.Lower, ...]


def _fake_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> str:
    name = f"fakepkg_{tmp_path.name.replace('-', '_')}"
    pkg = tmp_path / name
    (pkg / "data").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "data" / "words.yaml").write_text(text, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    datafile._load.cache_clear()
    return name


def test_a_bad_word_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = _fake_package(tmp_path, monkeypatch, "words: [ok, NotLower]\n")
    with pytest.raises(DataFileError, match=r"(?s)fakepkg_\w+:data/words\.yaml.*not lower-case"):
        load_data(pkg, "words.yaml", _Words)


def test_broken_yaml_names_the_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = _fake_package(tmp_path, monkeypatch, "words:\n  - a\n  - [b\n")
    with pytest.raises(DataFileError) as err:
        load_data(pkg, "words.yaml", _Words)
    assert err.value.location.file == f"{pkg}:data/words.yaml"
    assert err.value.location.line is not None


def test_a_missing_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = _fake_package(tmp_path, monkeypatch, "words: []\n")
    with pytest.raises(DataFileError, match=r"nowhere\.yaml"):
        load_data(pkg, "nowhere.yaml", _Words)
