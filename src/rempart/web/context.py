"""What a view needs besides the request: the workspace, and who is acting from where."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest


@dataclass(frozen=True)
class Who:
    """The logged-in user, their role, and the client address (for the audit trail)."""

    name: str
    role: str
    origin: str


def workspace_root() -> Path:
    """The workspace `rempart serve` was started on."""
    return Path(str(getattr(settings, "REMPART_WORKSPACE")))  # noqa: B009 - set by web.settings


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR (waitress sets it from X-Forwarded-For only for a trusted proxy)."""
    return str(request.META.get("REMOTE_ADDR") or "?")[:64]


def who(request: HttpRequest) -> Who:
    name = request.user.get_username() if request.user.is_authenticated else ""
    return Who(name, str(getattr(request, "rempart_role", "")), client_address(request))


__all__ = ["Who", "client_address", "who", "workspace_root"]
