"""Log in (password, then the TOTP code when the account has one), log out, lockout.

Django's authentication checks the argon2 hash; django-axes counts failures per account and
address and locks after `FAILURE_LIMIT` of them for `COOLOFF`. Every login, failure and
logout goes to the audit trail with the client address.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import authenticate, get_user_model, login, logout
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from rempart.app.users import check_totp, needs_totp, record
from rempart.web.context import client_address, workspace_root

PENDING = "rempart_totp_pending"
NEXT = "rempart_next"


class LoginForm(forms.Form):
    username = forms.CharField(label=_("Identifiant"), max_length=150)
    password = forms.CharField(label=_("Mot de passe"), widget=forms.PasswordInput, max_length=256)


class TotpForm(forms.Form):
    code = forms.CharField(label=_("Code à usage unique"), max_length=10, min_length=6)


def _next_url(request: HttpRequest, value: str | None) -> str:
    if value and url_has_allowed_host_and_scheme(value, {request.get_host()}, require_https=False):
        return value
    return reverse("rempart:dashboard")


def _audit(request: HttpRequest, name: str, action: str, details: dict[str, object]) -> None:
    record(
        workspace_root(),
        name or "?",
        action,
        "session",
        name or "?",
        details,
        origin=client_address(request),
    )


def locked_out(
    request: HttpRequest,
    credentials: dict[str, object] | None = None,
    *args: object,
    **kwargs: object,
) -> HttpResponse:
    """django-axes' lockout response: a page, status 429, nothing about the account."""
    return TemplateResponse(request, "rempart/locked.html", {}, status=429).render()


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    nxt = request.POST.get("next") or request.GET.get("next")
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        name = form.cleaned_data["username"]
        user = authenticate(request, username=name, password=form.cleaned_data["password"])
        if isinstance(user, HttpResponse):  # axes: locked out
            return user
        if user is None:
            if getattr(request, "axes_locked_out", False):
                return locked_out(request)
            _audit(request, name, "login.failed", {})
            error = str(_("Identifiant ou mot de passe incorrect."))
        elif needs_totp(workspace_root(), user.get_username()):
            request.session[PENDING] = user.get_username()
            request.session[NEXT] = _next_url(request, nxt)
            return redirect("rempart:totp")
        else:
            login(request, user)
            _audit(request, user.get_username(), "login", {})
            return HttpResponseRedirect(_next_url(request, nxt))
    return TemplateResponse(
        request, "rempart/login.html", {"form": form, "error": error, "next": nxt or ""}
    )


@require_http_methods(["GET", "POST"])
def totp_view(request: HttpRequest) -> HttpResponse:
    name = request.session.get(PENDING)
    if not name:
        return redirect("rempart:login")
    form = TotpForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        if check_totp(workspace_root(), name, form.cleaned_data["code"]):
            user = get_user_model().objects.get(username=name)
            nxt = request.session.get(NEXT) or reverse("rempart:dashboard")
            request.session.pop(PENDING, None)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            _audit(request, name, "login", {"totp": True})
            return HttpResponseRedirect(str(nxt))
        # a wrong code counts as a failed login for the lockout
        user_login_failed.send(sender=__name__, credentials={"username": name}, request=request)
        _audit(request, name, "login.failed", {"totp": True})
        if getattr(request, "axes_locked_out", False):
            request.session.pop(PENDING, None)
            return locked_out(request)
        error = str(_("Code incorrect."))
    return TemplateResponse(request, "rempart/totp.html", {"form": form, "error": error})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    name = request.user.get_username() if request.user.is_authenticated else ""
    logout(request)
    if name:
        _audit(request, name, "logout", {})
    return redirect("rempart:login")


__all__ = ["locked_out", "login_view", "logout_view", "totp_view"]
