"""Roles and the check every view makes: logged in, and one of the roles the view allows.

administrateur: accounts and the audit trail; analyste: alerts, incidents, plans;
cellule: the crisis cell, decides and confirms vital cuts; technicien: acts on machines,
downloads the rules; lecture: reads.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ClassVar

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

ADMIN = "administrateur"
ANALYST = "analyste"
CELL = "cellule"
TECH = "technicien"
READER = "lecture"
ALL_ROLES: tuple[str, ...] = (ADMIN, ANALYST, CELL, TECH, READER)

View = Callable[..., HttpResponse]


def forbidden(request: HttpRequest, why: str = "") -> HttpResponse:
    """The 403 page (a short fragment for htmx requests)."""
    return TemplateResponse(request, "rempart/403.html", {"why": why}, status=403)


def _refusal(request: HttpRequest, roles: tuple[str, ...]) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    role = str(getattr(request, "rempart_role", ""))
    if role not in roles:
        return forbidden(request)
    return None


def role_required(*roles: str) -> Callable[[View], View]:
    """Decorate a view: anonymous -> login page; another role -> 403."""
    unknown = set(roles) - set(ALL_ROLES)
    if unknown or not roles:
        raise ValueError(f"role_required: unknown roles {sorted(unknown)}")

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            refused = _refusal(request, roles)
            return refused if refused is not None else view(request, *args, **kwargs)

        wrapped.rempart_roles = roles  # type: ignore[attr-defined]
        return wrapped

    return decorate


class RoleRequiredMixin:
    """The same check for class-based views: set `roles`."""

    roles: ClassVar[tuple[str, ...]] = ()

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refused = _refusal(request, self.roles)
        if refused is not None:
            return refused
        parent: Any = super()
        response: HttpResponse = parent.dispatch(request, *args, **kwargs)
        return response


__all__ = [
    "ADMIN",
    "ALL_ROLES",
    "ANALYST",
    "CELL",
    "READER",
    "TECH",
    "RoleRequiredMixin",
    "forbidden",
    "role_required",
]
