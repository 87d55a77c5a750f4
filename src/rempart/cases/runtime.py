"""Configure Django for a workspace, once per process, and migrate its case store.

Django's settings are global to a process: the first `setup()` configures them; a later one
for another workspace re-points the default database (its NAME) and closes the open
connections, so a test run or a long-lived process can move between workspaces. Each database
is migrated once per process, quietly, when it is first opened.
"""

from __future__ import annotations

import io
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

from rempart.cases.settings import BUSY_TIMEOUT_S, database_for, settings_for
from rempart.core.errors import ConfigError

_lock = threading.Lock()
_migrated: set[tuple[str, str, str]] = set()


def _db_identity(db: dict[str, Any]) -> tuple[str, str, str]:
    return (str(db["ENGINE"]), str(db.get("HOST", "")), str(db["NAME"]))


def setup(workspace_root: Path, *, migrate: bool = True) -> dict[str, Any]:
    """Make the workspace's case store the process's default database; return its settings.

    Creates the workspace folder if needed. With `migrate`, applies pending migrations once
    per database and process (quietly).
    """
    import django
    from django.apps import apps
    from django.conf import settings

    root = Path(workspace_root)
    with _lock:
        if not settings.configured and not os.environ.get("DJANGO_SETTINGS_MODULE"):
            root.mkdir(parents=True, exist_ok=True)
            settings.configure(**settings_for(root))
            django.setup()
        else:
            # Configured already, or by a settings module (the web console's, built on
            # `settings_for`): use it, with this workspace's database.
            if not apps.ready:
                django.setup()
            _repoint(root)
        if not apps.is_installed("rempart.cases"):
            raise ConfigError("Django is configured without the rempart.cases application")
        db: dict[str, Any] = settings.DATABASES["default"]
        if migrate and _db_identity(db) not in _migrated:
            _migrate(db)
            _migrated.add(_db_identity(db))
    return db


def _repoint(root: Path) -> None:
    """Point the default connection at this workspace's database (closing the old one)."""
    from django.conf import settings
    from django.db import connections

    wanted = database_for(root)
    current: dict[str, Any] = settings.DATABASES["default"]
    if _db_identity(wanted) == _db_identity(current):
        return
    if wanted["ENGINE"] == "django.db.backends.sqlite3":
        root.mkdir(parents=True, exist_ok=True)
    connections.close_all()
    # Django's connection handler shares this dict with the settings: update it in place (with
    # Django's defaults again) so connections opened from now on, in any thread, use it.
    current.clear()
    current.update(wanted)
    connections.configure_settings(settings.DATABASES)
    if connections["default"].vendor != _VENDORS.get(str(wanted["ENGINE"])):
        del connections["default"]  # another engine: a new wrapper of the right class


_VENDORS = {
    "django.db.backends.sqlite3": "sqlite",
    "django.db.backends.postgresql": "postgresql",
}


def _migrate(db: dict[str, Any]) -> None:
    """Apply pending migrations, one process at a time.

    Two processes opening a new workspace at once would both see the same plan and the second
    one's CREATE would fail: the migration runs under a lock (a PostgreSQL advisory lock, or
    an exclusive transaction on a small lock file beside the SQLite database), and the second
    process finds nothing left to do.
    """
    from django.core.management import call_command
    from django.db import connection

    def run() -> None:
        call_command("migrate", interactive=False, verbosity=0, stdout=io.StringIO())

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", [_PG_LOCK_KEY])
        try:
            run()
        finally:
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(%s)", [_PG_LOCK_KEY])
        return
    lock_path = Path(str(db["NAME"])).with_name(MIGRATE_LOCK_NAME)
    lock = sqlite3.connect(lock_path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        lock.execute("BEGIN EXCLUSIVE")
        run()
    finally:
        lock.close()


_PG_LOCK_KEY = 0x52454D504152  # "REMPAR": an application-wide advisory lock id
MIGRATE_LOCK_NAME = "cases.migrate.lock"
