"""Django settings of the case store, built for one workspace.

Kept apart so the web console reuses them: `settings_for(root)` returns the dict that
`django.conf.settings.configure()` takes, and the web layer adds its own keys (middleware,
templates, sessions) on top. The module-level names make this module usable as a
`DJANGO_SETTINGS_MODULE` too (workspace from $REMPART_WORKSPACE, as the CLI resolves it), which
is how mypy's Django plugin loads it.

The database is SQLite, `cases.sqlite3` in the workspace, in WAL mode with a busy timeout and
`BEGIN IMMEDIATE` transactions, so several CLI and web processes can read and write at once;
or PostgreSQL when $REMPART_CASES_DB holds a `postgres://user:pass@host:port/name` URL.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from rempart.core.errors import ConfigError

ENV_CASES_DB = "REMPART_CASES_DB"
SQLITE_NAME = "cases.sqlite3"
BUSY_TIMEOUT_S = 30.0
"""How long a writer waits for another one before giving up (seconds)."""

APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rempart.cases",
]

HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]


def sqlite_database(workspace_root: Path) -> dict[str, Any]:
    """SQLite in the workspace: WAL so readers never block the writer, a busy timeout."""
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(Path(workspace_root) / SQLITE_NAME),
        "OPTIONS": {
            "timeout": BUSY_TIMEOUT_S,
            # Take the write lock at BEGIN: a deferred transaction that reads, then writes,
            # fails at once with "database is locked" instead of waiting for the busy timeout.
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
        },
    }


def postgres_database(url: str) -> dict[str, Any]:
    """`postgres://user:pass@host:port/name[?sslmode=...]` as Django's DATABASES entry."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise ConfigError(
            f"${ENV_CASES_DB}: expected postgres://user:pass@host:port/name, got {parts.scheme!r}"
        )
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise ConfigError(f"${ENV_CASES_DB}: the URL names no database")
    try:
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"${ENV_CASES_DB}: bad port ({exc})") from None
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": unquote(parts.hostname or ""),
        "PORT": str(port) if port else "",
        "OPTIONS": dict(parse_qsl(parts.query)),
        "CONN_MAX_AGE": 0,
    }


def database_for(workspace_root: Path, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """PostgreSQL when $REMPART_CASES_DB is set, else SQLite in the workspace."""
    env = os.environ if environ is None else environ
    url = env.get(ENV_CASES_DB, "").strip()
    return postgres_database(url) if url else sqlite_database(workspace_root)


def settings_for(workspace_root: Path, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Everything `settings.configure()` needs for the case store of one workspace."""
    return {
        "INSTALLED_APPS": list(APPS),
        "DATABASES": {"default": database_for(workspace_root, environ)},
        "USE_TZ": True,
        "TIME_ZONE": "UTC",
        "USE_I18N": True,
        "LANGUAGE_CODE": "fr",
        "PASSWORD_HASHERS": list(HASHERS),
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        "SECRET_KEY": "rempart-cases-no-sessions",
    }


def _default_root() -> Path:
    env = os.environ.get("REMPART_WORKSPACE")
    return Path(env) if env else Path("rempart-workspace")


# Module-level settings, for DJANGO_SETTINGS_MODULE=rempart.cases.settings.
_DEFAULTS = settings_for(_default_root())
INSTALLED_APPS: list[str] = _DEFAULTS["INSTALLED_APPS"]
DATABASES: dict[str, dict[str, Any]] = _DEFAULTS["DATABASES"]
USE_TZ: bool = _DEFAULTS["USE_TZ"]
TIME_ZONE: str = _DEFAULTS["TIME_ZONE"]
USE_I18N: bool = _DEFAULTS["USE_I18N"]
LANGUAGE_CODE: str = _DEFAULTS["LANGUAGE_CODE"]
PASSWORD_HASHERS: list[str] = _DEFAULTS["PASSWORD_HASHERS"]
DEFAULT_AUTO_FIELD: str = _DEFAULTS["DEFAULT_AUTO_FIELD"]
SECRET_KEY: str = _DEFAULTS["SECRET_KEY"]
