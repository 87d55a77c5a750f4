"""The "Renseignement" page (issue 25): indicators, allowlist conflicts, sightings, imports
and exports. It calls `rempart.app.intel_page` only.

Every role reads; importing is for the analysts and the administrator; the exports (rules to
block, the sensors' Intel file, the STIX bundle of sightings) for every role that acts.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from rempart.app import intel_page as intel_app
from rempart.core.errors import ConfigError, SourceError
from rempart.web.context import who, workspace_root
from rempart.web.roles import ADMIN, ALL_ROLES, ANALYST, CELL, TECH, role_required

IMPORTERS = (ANALYST, ADMIN)
EXPORTERS = (ADMIN, ANALYST, CELL, TECH)
MAX_FILES = 20


def _page_number(value: str) -> int:
    try:
        return max(1, int(value))
    except ValueError:
        return 1


def _render(request: HttpRequest, status: int = 200, **extra: object) -> HttpResponse:
    q = request.GET
    flt = intel_app.IndicatorFilter(type=q.get("type", "")[:32], source=q.get("source", "")[:300])
    page = intel_app.intel_page(workspace_root(), flt, _page_number(q.get("page", "1")))
    keep = q.copy()
    keep.pop("page", None)
    role = who(request).role
    context = {
        "p": page,
        "f": flt,
        "query": keep.urlencode(),
        "prev": page.page - 1 if page.page > 1 else None,
        "next": page.page + 1 if page.page < page.pages else None,
        "can_import": role in IMPORTERS,
        "can_export": role in EXPORTERS,
        "exports": list(intel_app.EXPORTS),
        "tlp_levels": intel_app.TLP_LEVELS,
        "max_mb": intel_app.MAX_UPLOAD // (1024 * 1024),
        **extra,
    }
    return TemplateResponse(request, "rempart/intel.html", context, status=status)


@require_GET
@role_required(*ALL_ROLES)
def intel(request: HttpRequest) -> HttpResponse:
    return _render(request)


@require_POST
@role_required(*IMPORTERS)
def intel_import(request: HttpRequest) -> HttpResponse:
    """Files uploaded (STIX, MISP, CSV, Maltrail, EML, text): kept in the workspace, imported,
    hunted, and recorded in the audit trail; the page shows what came of it."""
    uploads = request.FILES.getlist("files")[:MAX_FILES]
    files = []
    for f in uploads:
        if f.size is not None and f.size > intel_app.MAX_UPLOAD:
            return _render(request, 400, error=_("Fichier trop volumineux."))
        files.append((str(f.name or ""), f.read()))
    if not files:
        return _render(request, 400, error=_("Choisissez au moins un fichier."))
    w = who(request)
    try:
        report = intel_app.import_uploads(workspace_root(), files, actor=w.name, origin=w.origin)
    except ConfigError:
        return _render(request, 400, error=_("Import refusé : fichier illisible ou trop gros."))
    except SourceError:
        return _render(request, 400, error=_("Import refusé : format non reconnu."))
    return _render(request, report=report)


@require_GET
@role_required(*EXPORTERS)
def intel_export(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in intel_app.EXPORTS:
        raise Http404("no such export")
    tlp = request.GET.get("tlp", "amber")
    if tlp not in intel_app.TLP_LEVELS:
        return HttpResponseRedirect(reverse("rempart:intel"))
    w = who(request)
    found = intel_app.export_download(
        workspace_root(), fmt, actor=w.name, origin=w.origin, tlp_max=tlp
    )
    response = HttpResponse(found.text, content_type=f"{found.content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    response["X-Rempart-Withheld"] = str(found.withheld)
    return response


__all__ = ["EXPORTERS", "IMPORTERS", "intel", "intel_export", "intel_import"]
