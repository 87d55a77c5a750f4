"""Settings for a workspace: SQLite in WAL mode with a busy timeout, or PostgreSQL by URL;
migrations in step with the models; no Django warning."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest

from rempart.cases import CaseStore
from rempart.cases.settings import (
    BUSY_TIMEOUT_S,
    SQLITE_NAME,
    database_for,
    postgres_database,
    settings_for,
)
from rempart.core.errors import ConfigError


def test_sqlite_in_the_workspace(tmp_path: Path) -> None:
    db = database_for(tmp_path, environ={})
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(tmp_path / SQLITE_NAME)
    assert db["OPTIONS"]["timeout"] == BUSY_TIMEOUT_S
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]


def test_postgres_from_the_environment(tmp_path: Path) -> None:
    env = {
        "REMPART_CASES_DB": "postgres://rempart:s%40cret@db.chu.local:5433/cases?sslmode=require"
    }
    db = database_for(tmp_path, environ=env)
    assert db == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "cases",
        "USER": "rempart",
        "PASSWORD": "s@cret",
        "HOST": "db.chu.local",
        "PORT": "5433",
        "OPTIONS": {"sslmode": "require"},
        "CONN_MAX_AGE": 0,
    }
    assert postgres_database("postgresql://u@h/n")["PORT"] == ""


@pytest.mark.parametrize(
    "url", ["mysql://u:p@h/n", "postgres://u:p@h:5432/", "postgres://u:p@h:99999/n"]
)
def test_bad_postgres_urls(url: str) -> None:
    with pytest.raises(ConfigError):
        postgres_database(url)


def test_settings_argon2_first_and_aware_times(tmp_path: Path) -> None:
    s = settings_for(tmp_path, environ={})
    assert s["PASSWORD_HASHERS"][0].endswith("Argon2PasswordHasher")
    assert s["USE_TZ"] is True
    assert "rempart.cases" in s["INSTALLED_APPS"]


def test_the_file_is_in_wal_mode(store: CaseStore, workspace: Path) -> None:
    con = sqlite3.connect(workspace / SQLITE_NAME)
    try:
        assert con.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        con.close()
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("PRAGMA busy_timeout")
        assert cur.fetchone() == (int(BUSY_TIMEOUT_S * 1000),)


def test_migrations_are_in_step_with_the_models(store: CaseStore) -> None:
    from django.core.management import call_command

    out = io.StringIO()
    call_command("makemigrations", "cases", check=True, dry_run=True, stdout=out)
    assert "No changes detected" in out.getvalue()
