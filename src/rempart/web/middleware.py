"""Security headers, the language (French unless the user switched), the account's role on
each request, and "mise à jour en cours" when the event store is being written."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import translation

from rempart.app.users import account
from rempart.app.webread import StoreBusy
from rempart.web.context import workspace_root

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
LANGS = ("fr", "en")
LANG_COOKIE = "django_language"

Handler = Callable[[HttpRequest], HttpResponse]
log = logging.getLogger("rempart.web")


class SecurityHeadersMiddleware:
    """A Content-Security-Policy with no inline script or style and no remote source."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        if "text/html" in response.headers.get("Content-Type", ""):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


class LanguageMiddleware:
    """French by default; English when the user chose it (the cookie set by /langue/).
    The browser's Accept-Language is not followed: the crisis room shares one language."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        lang = request.COOKIES.get(LANG_COOKIE, "fr")
        lang = lang if lang in LANGS else "fr"
        translation.activate(lang)
        request.LANGUAGE_CODE = lang
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", lang)
        return response


class AccountMiddleware:
    """The role of the logged-in account, read on every request: a disabled account or one
    without a role is logged out at once."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.rempart_role = ""  # type: ignore[attr-defined]
        if request.user.is_authenticated:
            found = account(workspace_root(), request.user.get_username())
            if found is None or not found.active or not found.role:
                logout(request)
            else:
                request.rempart_role = found.role  # type: ignore[attr-defined]
        return self.get_response(request)


class StoreBusyMiddleware:
    """A page whose store is being written by the CLI: 503 "mise à jour en cours"."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not isinstance(exc, StoreBusy):
            return None
        if request.headers.get("HX-Request"):
            # 200: htmx swaps it in place and polls again (an error status is not swapped)
            response = TemplateResponse(request, "rempart/busy_fragment.html", {})
        else:
            response = TemplateResponse(request, "rempart/busy.html", {}, status=503)
        response.headers["Retry-After"] = "5"
        return response.render()


__all__ = [
    "CSP",
    "AccountMiddleware",
    "LanguageMiddleware",
    "SecurityHeadersMiddleware",
    "StoreBusyMiddleware",
]
