"""Crisis-log entries cannot be updated or deleted: not through the models, not in raw SQL."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rempart.cases import AppendOnlyError, CaseStore


def _entry(seq: int, text: str = "Cellule de crise ouverte") -> object:
    from rempart.cases.models import CrisisEntry

    return CrisisEntry.objects.create(
        seq=seq,
        time=datetime(2022, 6, 1, 8, seq, tzinfo=UTC),
        author="directeur",
        role="cellule",
        kind="decision",
        text=text,
        links=["INC-2022-0001"],
        prev_hash="0" * 64 if seq == 1 else "a" * 64,
        hash="b" * 64,
    )


def test_model_refuses_update_and_delete(store: CaseStore) -> None:
    from rempart.cases.models import CrisisEntry

    first = _entry(1)
    _entry(2, "Coupure internet sauf flux vitaux")
    assert isinstance(first, CrisisEntry)
    first.text = "autre chose"
    with pytest.raises(AppendOnlyError):
        first.save()
    with pytest.raises(AppendOnlyError):
        first.delete()
    with pytest.raises(AppendOnlyError):
        CrisisEntry.objects.filter(seq=1).update(text="x")
    with pytest.raises(AppendOnlyError):
        CrisisEntry.objects.all().delete()
    assert [e.text for e in CrisisEntry.objects.all()] == [
        "Cellule de crise ouverte",
        "Coupure internet sauf flux vitaux",
    ]


def test_database_refuses_through_django_cursor(store: CaseStore) -> None:
    from django.db import DatabaseError, connection, transaction

    _entry(1)
    for sql in (
        "UPDATE cases_crisisentry SET text = 'x'",
        "DELETE FROM cases_crisisentry",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            connection.cursor().execute(sql)


def test_raw_sqlite_on_the_file_is_refused(store: CaseStore, workspace: Path) -> None:
    _entry(1)
    _entry(2)
    con = sqlite3.connect(workspace / "cases.sqlite3")
    try:
        for sql in (
            "UPDATE cases_crisisentry SET text = 'effacé' WHERE seq = 2",
            "UPDATE cases_crisisentry SET hash = prev_hash",
            "DELETE FROM cases_crisisentry WHERE seq = 2",
            "DELETE FROM cases_crisisentry",
        ):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                con.execute(sql)
            con.rollback()
        rows = con.execute("SELECT seq, text FROM cases_crisisentry ORDER BY seq").fetchall()
    finally:
        con.close()
    assert rows == [(1, "Cellule de crise ouverte"), (2, "Cellule de crise ouverte")]


def test_appending_still_works(store: CaseStore) -> None:
    from rempart.cases.models import CrisisEntry

    first = _entry(1)
    correction = CrisisEntry.objects.create(
        seq=2,
        time=datetime(2022, 6, 1, 9, tzinfo=UTC),
        author="rssi",
        kind="information",
        text="Correction : l'heure de coupure était 8 h 05",
        corrects=first,
        hash="c" * 64,
    )
    assert correction.corrects_id == first.pk  # type: ignore[attr-defined]
    assert CrisisEntry.objects.count() == 2
