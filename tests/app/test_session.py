"""The workspace session: a reader creates nothing, a writer creates the workspace."""

from __future__ import annotations

from pathlib import Path

import pytest

from rempart.app.session import Session
from rempart.core.errors import StoreError


def test_reader_on_a_missing_workspace_raises_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(StoreError, match="no workspace"):
        Session.reader(missing)
    assert not missing.exists()


def test_reader_without_a_store_raises_and_creates_none(tmp_path: Path) -> None:
    with Session.reader(tmp_path) as session:
        assert session.store_or_none() is None
        with pytest.raises(StoreError, match="no event store"):
            _ = session.store
    assert not (tmp_path / "rempart.duckdb").exists()


def test_writer_creates_the_workspace_and_opens_the_store_once(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    with Session.writer(root) as session:
        assert session.hospital is None  # no hospital.yaml: detectors fall back
        assert session.store is session.store
        assert session.store.count("finding") == 0
    assert (root / "rempart.duckdb").is_file()
    with Session.reader(root) as session:  # now a reader opens it read-only
        assert session.store.count("finding") == 0


def test_hospital_is_loaded_once(tmp_path: Path) -> None:
    from rempart.app.init import init

    init(tmp_path)
    with Session.reader(tmp_path) as session:
        assert session.hospital is not None
        assert session.hospital is session.hospital
