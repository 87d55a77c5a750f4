"""The pages of the console. Each calls `rempart.app` and renders; nothing here opens a store.

Every view is decorated with the roles allowed; objects named in the URL (an incident, a plan,
an alert) are looked up among those the workspace has, else 404.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from rempart.app import alert_page as alerts_app
from rempart.app import dashboard as dashboard_app
from rempart.app import decisions as decisions_app
from rempart.app import webcache
from rempart.app.device_report import device_page
from rempart.app.incident_view import incident_view, incidents
from rempart.app.sources_view import sources
from rempart.app.users import list_users
from rempart.core.errors import ConfigError, ContainmentError
from rempart.core.i18n import Lang
from rempart.web import svg
from rempart.web.context import who, workspace_root
from rempart.web.middleware import LANG_COOKIE, LANGS
from rempart.web.roles import ADMIN, ALL_ROLES, ANALYST, CELL, TECH, forbidden, role_required

_IDENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
DECIDERS = (ANALYST, CELL)
DOWNLOADERS = (ADMIN, ANALYST, CELL, TECH)


def _lang(request: HttpRequest) -> str:
    return "en" if getattr(request, "LANGUAGE_CODE", "fr") == "en" else "fr"


def _ver(*parts: webcache.Part) -> str:
    """The workspace's data version: the key of the rendered fragments a page keeps."""
    return webcache.version(workspace_root(), parts or webcache.ALL_PARTS).token


def _known_incident(ident: str) -> str:
    """The incident id if the workspace has it (object-level check), else 404."""
    if not _IDENT.match(ident) or ident not in {s.id for s in incidents(workspace_root())}:
        raise Http404("no such incident")
    return ident


@require_GET
@role_required(*ALL_ROLES)
def dashboard(request: HttpRequest) -> HttpResponse:
    d = dashboard_app.dashboard(workspace_root())
    return TemplateResponse(
        request,
        "rempart/dashboard.html",
        {
            "d": d,
            "ver": _ver(),
            # drawn only when the kept fragment is missing
            "plan": SimpleLazyObject(lambda: svg.hospital_plan(d.zones)),
            "chart": SimpleLazyObject(lambda: svg.bars(d.alerts_per_hour)),
            "counts": {
                s: sum(1 for z in d.zones if z.state == s)
                for s in ("infected", "suspected", "isolated", "clean")
            },
        },
    )


@require_GET
@role_required(*ALL_ROLES)
def latest_fragment(request: HttpRequest) -> HttpResponse:
    """The small fragment polled every few seconds: new findings appear without a reload."""
    return TemplateResponse(
        request, "rempart/fragments/latest.html", {"latest": dashboard_app.latest(workspace_root())}
    )


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed


@require_GET
@role_required(*ALL_ROLES)
def alerts(request: HttpRequest) -> HttpResponse:
    q = request.GET
    severity = q.get("severity", "")
    flt = alerts_app.AlertFilter(
        detector=q.get("detector", "")[:64],
        severity=severity if severity in alerts_app.SEVERITIES else "",
        zone=q.get("zone", "")[:64],
        host=q.get("host", "")[:255],
        since=_date(q.get("since", "")),
        until=_date(q.get("until", "")),
    )
    try:
        page = int(q.get("page", "1"))
    except ValueError:
        page = 1
    result = alerts_app.alert_page(workspace_root(), flt, page)
    keep = q.copy()
    keep.pop("page", None)
    return TemplateResponse(
        request,
        "rempart/alerts.html",
        {
            "p": result,
            "f": flt,
            "ver": _ver("store", "model"),
            "query_key": "&".join(sorted(f"{k}={v}" for k, v in q.items())),
            "since": q.get("since", ""),
            "until": q.get("until", ""),
            "severities": alerts_app.SEVERITIES,
            "query": keep.urlencode(),
            "prev": result.page - 1 if result.page > 1 else None,
            "next": result.page + 1 if result.page < result.pages else None,
        },
    )


@require_GET
@role_required(*ALL_ROLES)
def alert(request: HttpRequest, uid: str) -> HttpResponse:
    if not _IDENT.match(uid):
        raise Http404("no such alert")
    found = alerts_app.alert_detail(workspace_root(), uid)
    if found is None:
        raise Http404("no such alert")
    return TemplateResponse(request, "rempart/alert.html", {"a": found.alert, "d": found})


@require_GET
@role_required(*ALL_ROLES)
def incident_list(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(
        request, "rempart/incidents.html", {"incidents": incidents(workspace_root())}
    )


@require_GET
@role_required(*ALL_ROLES)
def incident(request: HttpRequest, ident: str) -> HttpResponse:
    view = incident_view(workspace_root(), _known_incident(ident))
    en = _lang(request) == "en"
    timeline = [
        {
            "time": e.time,
            "kind": e.kind,
            "text": (e.text_en or e.text) if en else e.text,
            "detector": e.detector,
            "uid": e.finding_uid,
        }
        for e in view.incident.timeline
    ]
    return TemplateResponse(
        request,
        "rempart/incident.html",
        {
            "v": view,
            "inc": view.incident,
            "ver": _ver(),
            "timeline": timeline,
            "tree": SimpleLazyObject(lambda: svg.tree(view.tree, view.tree_depth, view.tree_width)),
        },
    )


@require_GET
@role_required(*ALL_ROLES)
def plan_list(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(
        request, "rempart/plans_index.html", {"incidents": incidents(workspace_root())}
    )


def _plan_rows(request: HttpRequest, view: decisions_app.PlansView) -> list[dict[str, Any]]:
    lang: Lang = "en" if _lang(request) == "en" else "fr"
    out = []
    for row in view.rows:
        r = row.ranked
        curve = None
        if r is not None:
            est, base = r.estimate, r.baseline
            curve = svg.curves(
                [
                    (label, i.mean, i.low, i.high)
                    for label, i in (("1 h", est.h1), ("6 h", est.h6), ("24 h", est.h24))
                ],
                [base.h1.mean, base.h6.mean, base.h24.mean],
            )
        out.append(
            {
                "row": row,
                "actions": [a.describe(lang) for a in row.plan.actions],
                "cuts": [{"item": i, "why": i.why_text(lang)} for i in row.impact.cuts],
                "curve": curve,
                "vital": bool(row.impact.vital_cuts),
            }
        )
    return out


@require_GET
@role_required(*ALL_ROLES)
def plans(request: HttpRequest, ident: str) -> HttpResponse:
    view = decisions_app.plans(workspace_root(), _known_incident(ident))
    role = who(request).role
    return TemplateResponse(
        request,
        "rempart/plans.html",
        {
            "incident": ident,
            "ver": _ver(),
            "rows": webcache.memo(
                workspace_root(),
                "plan_rows",
                (ident, _lang(request)),
                lambda: _plan_rows(request, view),
            ),
            "decisions": view.decisions,
            "can_decide": role in DECIDERS,
            "is_cell": role == CELL,
            "can_download": role in DOWNLOADERS,
            "formats": list(decisions_app.DOWNLOADS),
        },
    )


@require_POST
@role_required(*DECIDERS)
def plan_confirm(request: HttpRequest, ident: str, plan_id: str) -> HttpResponse:
    """Retain a plan; one with a vital cut only by the crisis cell, with a written reason."""
    ident = _known_incident(ident)
    view = decisions_app.plans(workspace_root(), ident)
    row = next((r for r in view.rows if r.plan.id == plan_id), None)
    if row is None:
        raise Http404("no such plan")
    w = who(request)
    if row.impact.vital_cuts and w.role != CELL:
        return forbidden(
            request,
            _("Un plan qui coupe une dépendance vitale est confirmé par la cellule de crise."),
        )
    try:
        decisions_app.confirm(
            workspace_root(),
            ident,
            plan_id,
            reason=request.POST.get("reason", "")[:2000],
            actor=w.name,
            role=w.role,
            origin=w.origin,
        )
    except decisions_app.DecisionRefused:
        response = plans(request, ident)
        if isinstance(response, TemplateResponse) and isinstance(response.context_data, dict):
            response.context_data["error"] = _("Motif écrit obligatoire (5 caractères au moins).")
            response.context_data["error_plan"] = plan_id
        response.status_code = 400
        return response
    return HttpResponseRedirect(reverse("rempart:plans", args=[ident]) + f"#plan-{plan_id}")


@require_GET
@role_required(*DOWNLOADERS)
def plan_export(request: HttpRequest, ident: str, plan_id: str, fmt: str) -> HttpResponse:
    ident = _known_incident(ident)
    if fmt not in decisions_app.DOWNLOADS or not _IDENT.match(plan_id):
        raise Http404("no such export")
    w = who(request)
    try:
        found = decisions_app.export(
            workspace_root(), ident, plan_id, fmt, actor=w.name, origin=w.origin
        )
    except ContainmentError:
        return forbidden(
            request, _("Ce plan coupe une dépendance vitale non confirmée : export refusé.")
        )
    except ConfigError as exc:
        raise Http404("no such plan") from exc
    response = HttpResponse(found.text, content_type=f"{found.content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    return response


@require_GET
@role_required(*ALL_ROLES)
def devices(request: HttpRequest) -> HttpResponse:
    show_all = request.GET.get("all") == "1"
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        number = 1
    found = device_page(workspace_root(), all_rows=show_all, page=number)
    rows = [[r.get(c) for c in found.columns] for r in found.rows]
    return TemplateResponse(
        request,
        "rempart/devices.html",
        {
            "columns": found.columns,
            "rows": rows,
            "show_all": show_all,
            "p": found,
            "ver": _ver("store", "model"),
            "query": "all=1&" if show_all else "",
            "prev": found.page - 1 if found.page > 1 else None,
            "next": found.page + 1 if found.page < found.pages else None,
        },
    )


@require_GET
@role_required(*ALL_ROLES)
def sources_page(request: HttpRequest) -> HttpResponse:
    lang: Lang = "en" if _lang(request) == "en" else "fr"
    return TemplateResponse(
        request,
        "rempart/sources.html",
        {"s": sources(workspace_root(), lang), "ver": _ver("store")},
    )


@require_GET
@role_required(ADMIN)
def accounts(request: HttpRequest) -> HttpResponse:
    """The accounts and the audit trail (administrateur only)."""
    from rempart.app.audit import described, trail

    lang: Lang = "en" if _lang(request) == "en" else "fr"
    rows = described(trail(workspace_root(), limit=300), lang)
    return TemplateResponse(
        request, "rempart/accounts.html", {"users": list_users(workspace_root()), "trail": rows}
    )


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The language switch (a form, CSRF-protected): a cookie, then back to the page."""
    lang = request.POST.get("language", "fr")
    nxt = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(nxt, {request.get_host()}, require_https=False):
        nxt = "/"
    response = HttpResponseRedirect(nxt)
    if lang in LANGS:
        from django.conf import settings

        response.set_cookie(
            LANG_COOKIE,
            lang,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Strict",
            secure=bool(settings.LANGUAGE_COOKIE_SECURE),
        )
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return TemplateResponse(
        request,
        "rempart/403.html",
        {"why": _("Jeton CSRF absent ou invalide : rechargez la page.")},
        status=403,
    )


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return TemplateResponse(request, "rempart/404.html", {}, status=404).render()


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return TemplateResponse(request, "rempart/403.html", {}, status=403).render()


def error_500(request: HttpRequest) -> HttpResponse:
    """No stack trace to the browser (DEBUG is off); the server's log has it."""
    from django.template import loader

    return HttpResponse(loader.render_to_string("rempart/500.html"), status=500)


__all__ = [
    "alert",
    "alerts",
    "dashboard",
    "devices",
    "incident",
    "incident_list",
    "latest_fragment",
    "plan_confirm",
    "plan_export",
    "plan_list",
    "plans",
    "sources_page",
]
