"""`rempart serve`: the console on waitress, a production WSGI server in pure Python.

waitress runs on Linux and Windows with no compiler and no C extension, serves HTTP/1.1 with a
bounded thread pool (the pages are short reads of DuckDB and SQLite, which release the GIL),
and never falls back to Django's development server. It speaks plain HTTP: on any address
other than loopback, put a TLS reverse proxy in front (docs/web.md).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV_TRUSTED_PROXY = "REMPART_TRUSTED_PROXY"
THREADS = 8
TLS_HINT = (
    "listening on {host}, which is not loopback: this server speaks plain HTTP. Put a TLS "
    "reverse proxy in front (nginx or Caddy with the hospital's certificate, see docs/web.md), "
    "listen on 127.0.0.1 behind it, set REMPART_WEB_SECURE=1 and REMPART_TRUSTED_PROXY=127.0.0.1."
)


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ServeConfig:
    workspace: Path
    host: str = "127.0.0.1"
    port: int = 8000
    threads: int = THREADS


def application(workspace: Path, *, host: str = "127.0.0.1") -> Any:
    """The WSGI application for the workspace (Django configured and migrated)."""
    from rempart.web.settings import setup

    setup(workspace, hosts=(host,) if host not in ("0.0.0.0", "::") else ())  # noqa: S104
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


def serve(config: ServeConfig, *, warn: Callable[[str], None] = print) -> None:
    """Serve until interrupted."""
    import waitress

    if not is_loopback(config.host):
        warn(TLS_HINT.format(host=config.host))
    app = application(config.workspace, host=config.host)
    options: dict[str, Any] = {
        "host": config.host,
        "port": config.port,
        "threads": config.threads,
        "ident": "rempart",
        "clear_untrusted_proxy_headers": True,
    }
    proxy = os.environ.get(ENV_TRUSTED_PROXY, "").strip()
    if proxy:
        options.update(
            trusted_proxy=proxy,
            trusted_proxy_headers="x-forwarded-for x-forwarded-proto",
            trusted_proxy_count=1,
        )
    waitress.serve(app, **options)


__all__ = ["TLS_HINT", "ServeConfig", "application", "is_loopback", "serve"]
