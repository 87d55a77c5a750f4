"""The same case store on PostgreSQL (a group of hospitals), when a server is at hand.

Skipped unless $REMPART_TEST_PG names a server (`postgres://user:pass@host:port/db`, a user
allowed to create databases) and psycopg is installed: each test gets a fresh database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from tests.cases import test_concurrency
from tests.cases.factories import make_incident

from rempart.cases import AppendOnlyError, CaseStore, InvalidTransition

PG_URL = os.environ.get("REMPART_TEST_PG", "")

pytestmark = pytest.mark.skipif(not PG_URL, reason="no PostgreSQL server: set $REMPART_TEST_PG")


@pytest.fixture
def pg_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    psycopg = pytest.importorskip("psycopg")
    name = f"rempart_cases_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    url = urlunsplit(urlsplit(PG_URL)._replace(path=f"/{name}"))
    monkeypatch.setenv("REMPART_CASES_DB", url)
    yield url
    from django.db import connections

    connections.close_all()
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_store_on_postgres(pg_url: str, tmp_path: Path) -> None:
    store = CaseStore.open(tmp_path / "ws")
    assert not (tmp_path / "ws" / "cases.sqlite3").exists()
    a = store.save_incident(make_incident("k-a"))
    assert store.save_incident(make_incident("k-a", hosts=4)) == a == "INC-2019-0001"
    assert store.save_incident(make_incident("k-b")) == "INC-2019-0002"
    store.set_state(a, "contained", actor="rssi")
    with pytest.raises(InvalidTransition):
        store.set_state(a, "contained", actor="rssi")
    store.add_user("admin", "administrateur", "un mot de passe long")
    assert store.check_password("admin", "un mot de passe long")
    assert len(store.audit_trail()) == 5


def test_crisis_log_append_only_on_postgres(pg_url: str, tmp_path: Path) -> None:
    import psycopg
    from django.utils import timezone

    from rempart.cases.models import CrisisEntry

    CaseStore.open(tmp_path / "ws")
    entry = CrisisEntry.objects.create(
        seq=1, time=timezone.now(), author="dir", kind="decision", text="t", hash="h"
    )
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with psycopg.connect(pg_url, autocommit=True) as con:
        for sql in (
            "UPDATE cases_crisisentry SET text = 'x'",
            "DELETE FROM cases_crisisentry",
            "TRUNCATE cases_crisisentry",
        ):
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                con.execute(sql)
        assert con.execute("SELECT count(*) FROM cases_crisisentry").fetchone() == (1,)


def test_two_processes_on_postgres(pg_url: str, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    results = test_concurrency._run(root, migrate_first=False)
    test_concurrency._check(root, results)
