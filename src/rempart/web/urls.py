"""The console's URLs; pages added beside the base (README.md) are included under /."""

from __future__ import annotations

import importlib
import mimetypes
from pathlib import Path
from typing import Any

from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.urls import URLPattern, URLResolver, include, path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from rempart.web import auth, intel_views, views
from rempart.web.nav import NavEntry, register
from rempart.web.roles import ADMIN, ALL_ROLES


@require_GET
def static(request: HttpRequest, name: str) -> HttpResponseBase:
    """The package's static files (stylesheet, htmx): no CDN, nothing outside the apps."""
    if ".." in Path(name).parts:
        raise Http404("no such file")
    found = finders.find(name)
    if not found or isinstance(found, list):
        raise Http404("no such file")
    ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(open(found, "rb"), content_type=ctype)  # noqa: SIM115 - FileResponse closes it
    response["Cache-Control"] = "max-age=3600"
    return response


base: list[URLPattern | URLResolver] = [
    path("", views.dashboard, name="dashboard"),
    path("fragments/nouveau/", views.latest_fragment, name="latest"),
    path("alertes/", views.alerts, name="alerts"),
    path("alertes/<str:uid>/", views.alert, name="alert"),
    path("incidents/", views.incident_list, name="incidents"),
    path("incidents/<str:ident>/", views.incident, name="incident"),
    path("plans/", views.plan_list, name="plan_list"),
    path("plans/<str:ident>/", views.plans, name="plans"),
    path("plans/<str:ident>/<str:plan_id>/retenir/", views.plan_confirm, name="plan_confirm"),
    path(
        "plans/<str:ident>/<str:plan_id>/export/<str:fmt>/", views.plan_export, name="plan_export"
    ),
    path("appareils/", views.devices, name="devices"),
    path("sources/", views.sources_page, name="sources"),
    path("renseignement/", intel_views.intel, name="intel"),
    path("renseignement/import/", intel_views.intel_import, name="intel_import"),
    path("renseignement/export/<str:fmt>/", intel_views.intel_export, name="intel_export"),
    path("compte/connexion/", auth.login_view, name="login"),
    path("compte/code/", auth.totp_view, name="totp"),
    path("compte/deconnexion/", auth.logout_view, name="logout"),
    path("compte/journal/", views.accounts, name="accounts"),
    path("langue/", views.set_language, name="language"),
]

for _entry in (
    NavEntry("rempart:dashboard", _("Tableau de bord"), ALL_ROLES, 10),
    NavEntry("rempart:alerts", _("Alertes"), ALL_ROLES, 20),
    NavEntry("rempart:incidents", _("Incidents"), ALL_ROLES, 30),
    NavEntry("rempart:plan_list", _("Plans"), ALL_ROLES, 40),
    NavEntry("rempart:devices", _("Appareils médicaux"), ALL_ROLES, 45),
    NavEntry("rempart:sources", _("Sources"), ALL_ROLES, 50),
    NavEntry("rempart:intel", _("Renseignement"), ALL_ROLES, 55),
    NavEntry("rempart:accounts", _("Comptes et journal"), (ADMIN,), 90),
):
    register(_entry)


def _extra() -> list[URLPattern | URLResolver]:
    """`rempart.web.recover.urls` when that module exists (its own namespace)."""
    try:
        importlib.import_module("rempart.web.recover.urls")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("rempart.web.recover"):
            return []
        raise
    return [path("", include("rempart.web.recover.urls"))]


urlpatterns: list[Any] = [
    path("", include((base, "rempart"))),
    path("static/<path:name>", static, name="static"),
    *_extra(),
]

handler403 = "rempart.web.views.error_403"
handler404 = "rempart.web.views.error_404"
handler500 = "rempart.web.views.error_500"
