"""The console's Django settings: the case store's, plus sessions, security and i18n.

`web_settings(root)` builds them for one workspace; `setup(root)` configures Django with them
once per process and migrates the case store (sessions and lockout tables included).
Everything a page may not get wrong is set here: DEBUG off, session and CSRF cookies HttpOnly
and SameSite=Strict, frames denied, argon2 first, lockout after repeated failures.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from rempart.app.django_setup import settings_for

HERE = Path(__file__).resolve().parent
SECRET_FILE = "web-secret.key"  # noqa: S105 - a file name, not a secret
ENV_ALLOWED_HOSTS = "REMPART_ALLOWED_HOSTS"
ENV_SECURE = "REMPART_WEB_SECURE"  # "1" behind TLS: cookies marked Secure, HSTS
FAILURE_LIMIT = 5
COOLOFF = timedelta(minutes=15)
RECOVER_APP = "rempart.web.recover"


def secret_key(root: Path) -> str:
    """The workspace's own signing key, made once (0600) so sessions survive a restart."""
    path = Path(root) / SECRET_FILE
    if path.is_file():
        return path.read_text(encoding="ascii").strip()
    root.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key)
    return key


def extra_apps() -> list[str]:
    """Pages added beside the base (README.md): installed when they can be imported."""
    try:
        found = importlib.util.find_spec(RECOVER_APP) is not None
    except ModuleNotFoundError:
        found = False
    return [RECOVER_APP] if found else []


def web_settings(
    root: Path, *, hosts: tuple[str, ...] = (), environ: dict[str, str] | None = None
) -> dict[str, Any]:
    """Django settings of the console for the workspace at `root`."""
    env = os.environ if environ is None else environ
    base = settings_for(root, dict(env))
    secure = env.get(ENV_SECURE, "") == "1"
    allowed = ["127.0.0.1", "localhost", "[::1]", *hosts]
    allowed += [h.strip() for h in env.get(ENV_ALLOWED_HOSTS, "").split(",") if h.strip()]
    if base["DATABASES"]["default"]["ENGINE"].endswith("sqlite3"):
        # each waitress thread keeps its SQLite connection (no PRAGMAs on every request)
        base["DATABASES"]["default"]["CONN_MAX_AGE"] = 600
    base.update(
        {
            "DEBUG": False,
            "SECRET_KEY": secret_key(root),
            "ALLOWED_HOSTS": list(dict.fromkeys(allowed)),
            "INSTALLED_APPS": [
                *base["INSTALLED_APPS"],
                "django.contrib.sessions",
                "django.contrib.staticfiles",
                "axes",
                "rempart.web",
                *extra_apps(),
            ],
            "MIDDLEWARE": [
                "rempart.web.middleware.SecurityHeadersMiddleware",
                "django.middleware.security.SecurityMiddleware",
                "django.contrib.sessions.middleware.SessionMiddleware",
                "rempart.web.middleware.LanguageMiddleware",
                "django.middleware.common.CommonMiddleware",
                "django.middleware.csrf.CsrfViewMiddleware",
                "django.contrib.auth.middleware.AuthenticationMiddleware",
                "django.middleware.clickjacking.XFrameOptionsMiddleware",
                "rempart.web.middleware.AccountMiddleware",
                "rempart.web.middleware.StoreBusyMiddleware",
                "axes.middleware.AxesMiddleware",
            ],
            "ROOT_URLCONF": "rempart.web.urls",
            "TEMPLATES": [
                {
                    "BACKEND": "django.template.backends.django.DjangoTemplates",
                    "DIRS": [],
                    "APP_DIRS": True,
                    "OPTIONS": {
                        "context_processors": [
                            "django.template.context_processors.request",
                            "django.template.context_processors.i18n",
                            "rempart.web.nav.context",
                        ],
                        "string_if_invalid": "",
                    },
                }
            ],
            "STATIC_URL": "/static/",
            "LANGUAGES": [("fr", "Français"), ("en", "English")],
            "LANGUAGE_CODE": "fr",
            "LOCALE_PATHS": [str(HERE / "locale")],
            "LANGUAGE_COOKIE_HTTPONLY": True,
            "LANGUAGE_COOKIE_SAMESITE": "Strict",
            "LANGUAGE_COOKIE_SECURE": secure,
            # rendered fragments of the heavy pages, keyed on the workspace's data version
            # (rempart.app.webcache): one process (waitress), so a local memory cache
            "CACHES": {
                "default": {
                    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                    "LOCATION": "rempart-web",
                    "TIMEOUT": 3600,
                    "OPTIONS": {"MAX_ENTRIES": 500},
                }
            },
            "SESSION_ENGINE": "django.contrib.sessions.backends.db",
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Strict",
            "SESSION_COOKIE_SECURE": secure,
            "SESSION_COOKIE_NAME": "rempart_session",
            "SESSION_COOKIE_AGE": int(timedelta(hours=12).total_seconds()),
            "SESSION_EXPIRE_AT_BROWSER_CLOSE": True,
            "CSRF_COOKIE_HTTPONLY": True,
            "CSRF_COOKIE_SAMESITE": "Strict",
            "CSRF_COOKIE_SECURE": secure,
            "CSRF_COOKIE_NAME": "rempart_csrf",
            "CSRF_FAILURE_VIEW": "rempart.web.views.csrf_failure",
            "X_FRAME_OPTIONS": "DENY",
            "SECURE_CONTENT_TYPE_NOSNIFF": True,
            "SECURE_REFERRER_POLICY": "same-origin",
            "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin",
            "SECURE_HSTS_SECONDS": 31536000 if secure else 0,
            "LOGIN_URL": "/compte/connexion/",
            "LOGIN_REDIRECT_URL": "/",
            "AUTHENTICATION_BACKENDS": [
                "axes.backends.AxesStandaloneBackend",
                "django.contrib.auth.backends.ModelBackend",
            ],
            "AXES_FAILURE_LIMIT": FAILURE_LIMIT,
            "AXES_COOLOFF_TIME": COOLOFF,
            "AXES_LOCKOUT_PARAMETERS": [["username", "ip_address"]],
            "AXES_RESET_ON_SUCCESS": True,
            "AXES_LOCKOUT_CALLABLE": "rempart.web.auth.locked_out",
            "AXES_VERBOSE": False,
            "AXES_ENABLE_ADMIN": False,
            "REMPART_WORKSPACE": str(root),
            "LOGGING": {
                "version": 1,
                "disable_existing_loggers": False,
                "handlers": {"stderr": {"class": "logging.StreamHandler"}},
                "loggers": {
                    "django": {"handlers": ["stderr"], "level": "WARNING"},
                    "axes": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
                },
            },
        }
    )
    return base


def setup(root: Path, *, hosts: tuple[str, ...] = ()) -> dict[str, Any]:
    """Configure Django for the console on this workspace (once per process), and migrate.

    When Django was configured before by the case store alone (a test run, a process that
    used the CLI's code first), the console's settings are laid over it.
    """
    import django
    from django.conf import settings

    from rempart.app.django_setup import cases_setup

    root = Path(root).resolve()
    wanted = web_settings(root, hosts=hosts)
    if not settings.configured:
        settings.configure(**wanted)
        django.setup()
    elif "rempart.web" not in settings.INSTALLED_APPS or str(
        getattr(settings, "REMPART_WORKSPACE", "")
    ) != str(root):
        from django.apps import apps
        from django.test.utils import override_settings

        if not apps.ready:
            django.setup()
        wanted.pop("DATABASES")  # the case store re-points its own connection
        override_settings(**wanted).enable()
    cases_setup(root)
    _migrate_web()
    return wanted


_migrated: set[str] = set()


def _migrate_web() -> None:
    """The sessions and lockout tables beside the case store's (once per database)."""
    import io

    from django.conf import settings
    from django.core.management import call_command

    name = str(settings.DATABASES["default"]["NAME"])
    if name in _migrated:
        return
    call_command("migrate", interactive=False, verbosity=0, stdout=io.StringIO())
    _migrated.add(name)


__all__ = ["secret_key", "setup", "web_settings"]
