"""The recover pages. Each calls `rempart.app` (board, crisis, evidence, declare) only.

Reading is open to every role; writing is split in POST views with the roles that may write:
moves and loans (technicien, analyste, cellule, administrateur), crisis-log entries and
situation reports (cellule, analyste, administrateur), evidence export and issued declarations
(cellule, administrateur; analyste for evidence).
"""

from __future__ import annotations

import re
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from rempart.app import board as board_app
from rempart.app import crisis as crisis_app
from rempart.app import declare as declare_app
from rempart.app import evidence as evidence_app
from rempart.core.clock import SYSTEM_CLOCK
from rempart.core.errors import ConfigError, RempartError
from rempart.core.i18n import Lang, render_reason, t
from rempart.web.context import who, workspace_root
from rempart.web.roles import ADMIN, ALL_ROLES, ANALYST, CELL, TECH, role_required

MOVERS = (TECH, ANALYST, CELL, ADMIN)
WRITERS = (CELL, ANALYST, ADMIN)
EXPORTERS = (CELL, ANALYST, ADMIN)
DECLARERS = (CELL, ADMIN)
_IDENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
_PACK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.zip$")


def _lang(request: HttpRequest) -> Lang:
    return "en" if getattr(request, "LANGUAGE_CODE", "fr") == "en" else "fr"


def _incident(request: HttpRequest) -> str | None:
    ident = request.GET.get("incident") or request.POST.get("incident") or ""
    if not ident:
        return None
    if not _IDENT.match(ident):
        raise Http404("no such incident")
    return ident


def _board(request: HttpRequest) -> Any:
    try:
        return board_app.open_board(
            workspace_root(), _incident(request), origin=who(request).origin
        )
    except RempartError as exc:
        raise Http404(exc.message(_lang(request))) from exc


@require_GET
@role_required(*ALL_ROLES)
def board(request: HttpRequest) -> HttpResponse:
    b = _board(request)
    burndown = b.burndown(now=SYSTEM_CLOCK.now())
    rows = b.rows(state=request.GET.get("state") or None, zone=request.GET.get("zone") or None)
    lang = _lang(request)
    label = {s: t(f"recover.board.state.{s}", lang) for s in board_app.BOARD_STATES}
    method = {m: t(f"recover.board.method.{m}", lang) for m in ("nettoyage", "reinstallation")}
    return TemplateResponse(
        request,
        "recover/board.html",
        {
            "b": b,
            "rows": [(r, label[r.state], method.get(r.method, "")) for r in rows],
            "states": list(label.items()),
            "methods": list(method.items()),
            "by_building": _paced(b, "building", label),
            "by_service": _paced(b, "service", label),
            "burndown": burndown,
            # numbers and dates only, drawn by rempart.recover.board.burndown_svg
            "burndown_svg": mark_safe(burndown.svg),  # noqa: S308
            "loans": b.loans(),
            "can_move": getattr(request, "rempart_role", "") in MOVERS,
            "error": request.GET.get("error", "")[:300],
        },
    )


def _paced(b: Any, by: str, label: dict[str, str]) -> list[dict[str, Any]]:
    """Counts per state of each building (or care service), with its own rate and end."""
    pace = b.burndowns(by, now=SYSTEM_CLOCK.now())
    return [
        {"key": key, "counts": [per[s] for s in label], "pace": pace.get(key)}
        for key, per in b.counts(by).items()
    ]


def _back(name: str, incident: str, error: str = "") -> HttpResponseRedirect:
    from urllib.parse import urlencode

    query = {"incident": incident}
    if error:
        query["error"] = error
    return HttpResponseRedirect(reverse(name) + "?" + urlencode(query))


@require_POST
@role_required(*MOVERS)
def board_move(request: HttpRequest) -> HttpResponse:
    b = _board(request)
    w = who(request)
    hosts = request.POST.getlist("host")
    zone, building, service, state = (
        request.POST.get(k, "").strip()[:128] or None
        for k in ("zone", "building", "service", "state")
    )
    try:
        if zone or building or service or state:  # a bulk move by filter: all it selects
            hosts = board_app.select_hosts(
                b, hosts, zone=zone, building=building, service=service, state=state
            )
    except RempartError as exc:
        return _back("recover:board", b.case_id, exc.message(_lang(request)))
    try:
        board_app.move(
            b, hosts, request.POST.get("to", ""), actor=w.name,
            note=request.POST.get("note", ""), method=request.POST.get("method") or None,
        )  # fmt: skip
    except board_app.BoardRefused as exc:
        return _back("recover:board", b.case_id, exc.text(_lang(request)))
    except RempartError as exc:
        return _back("recover:board", b.case_id, exc.message(_lang(request)))
    return _back("recover:board", b.case_id)


@require_POST
@role_required(*MOVERS)
def board_loan(request: HttpRequest) -> HttpResponse:
    b = _board(request)
    w = who(request)
    try:
        if request.POST.get("return"):
            board_app.return_loan(b, request.POST.get("ref", ""), actor=w.name)
        else:
            board_app.issue_loan(
                b, request.POST.get("ref", ""), request.POST.get("service", ""), actor=w.name,
                note=request.POST.get("note", ""),
            )  # fmt: skip
    except RempartError as exc:
        return _back("recover:board", b.case_id, exc.message(_lang(request)))
    return _back("recover:board", b.case_id)


@require_GET
@role_required(*ALL_ROLES)
def board_csv(request: HttpRequest) -> HttpResponse:
    b = _board(request)
    response = HttpResponse(b.to_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="remediation-{b.case_id}.csv"'
    return response


@require_GET
@role_required(*ALL_ROLES)
def crisis_log(request: HttpRequest) -> HttpResponse:
    root = workspace_root()
    entries = crisis_app.list_entries(root)
    report = crisis_app.verify(root)
    return TemplateResponse(
        request,
        "recover/crisis.html",
        {
            "entries": list(reversed(entries)),
            "report": report,
            "broken_reason": render_reason(report.reason, _lang(request)),
            "kinds": ("decision", "action", "information", "point", "demande"),
            "can_write": getattr(request, "rempart_role", "") in WRITERS,
            "error": request.GET.get("error", "")[:300],
        },
    )


@require_POST
@role_required(*WRITERS)
def crisis_add(request: HttpRequest) -> HttpResponse:
    w = who(request)
    links = [x.strip() for x in request.POST.get("links", "").split(",") if x.strip()]
    corrects_raw = request.POST.get("corrects", "").strip()
    try:
        corrects = int(corrects_raw) if corrects_raw else None
        kind = request.POST.get("kind", "information")
        crisis_app.add(
            workspace_root(), request.POST.get("text", ""), kind=kind, links=links,
            corrects=corrects, actor=w.name, origin=w.origin,
        )  # fmt: skip
    except (RempartError, ValueError) as exc:
        return HttpResponseRedirect(reverse("recover:crisis") + "?error=" + _q(str(exc)))
    return HttpResponseRedirect(reverse("recover:crisis"))


def _q(text: str) -> str:
    from urllib.parse import quote

    return quote(text[:300])


@require_POST
@role_required(*WRITERS)
def crisis_report(request: HttpRequest) -> HttpResponse:
    """Issue a situation report (recorded as a `point` entry): HTML or PDF download."""
    w = who(request)
    rep = crisis_app.situation_report(
        workspace_root(), next_meeting=request.POST.get("next", ""), actor=w.name,
        lang=_lang(request),
    )  # fmt: skip
    if request.POST.get("format") == "pdf":
        response = HttpResponse(rep.pdf(), content_type="application/pdf")
        response["Content-Disposition"] = 'attachment; filename="point-de-situation.pdf"'
        return response
    response = HttpResponse(rep.html.encode("utf-8"), content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="point-de-situation.html"'
    return response


def _packs_dir() -> Any:
    return workspace_root() / "exports" / "evidence"


@require_GET
@role_required(*ALL_ROLES)
def evidence_index(request: HttpRequest) -> HttpResponse:
    folder = _packs_dir()
    packs = []
    if folder.is_dir():
        for p in sorted(folder.glob("*.zip")):
            packs.append(
                {
                    "name": p.name,
                    "problems": evidence_app.verify(p),
                    "custody": evidence_app.custody(p),
                }
            )
    from rempart.app.incidents_store import list_incidents

    return TemplateResponse(
        request,
        "recover/evidence.html",
        {
            "packs": packs,
            "incidents": list_incidents(workspace_root()),
            "can_export": getattr(request, "rempart_role", "") in EXPORTERS,
            "error": request.GET.get("error", "")[:300],
        },
    )


@require_POST
@role_required(*EXPORTERS)
def evidence_export(request: HttpRequest) -> HttpResponse:
    w = who(request)
    ident = _incident(request) or ""
    stamp = SYSTEM_CLOCK.now().strftime("%Y%m%dT%H%M%S")
    out = _packs_dir() / f"preuves-{ident}-{stamp}.zip"
    try:
        evidence_app.export(
            workspace_root(), ident, out, actor=w.name, recipient=request.POST.get("recipient", "")
        )
    except RempartError as exc:
        return HttpResponseRedirect(
            reverse("recover:evidence") + "?error=" + _q(exc.message(_lang(request)))
        )
    return HttpResponseRedirect(reverse("recover:evidence"))


@require_GET
@role_required(*EXPORTERS)
def evidence_download(request: HttpRequest, name: str) -> HttpResponse:
    if not _PACK.match(name):
        raise Http404("no such pack")
    path = _packs_dir() / name
    if not path.is_file():
        raise Http404("no such pack")
    response = HttpResponse(path.read_bytes(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
@role_required(*ALL_ROLES)
def declarations(request: HttpRequest) -> HttpResponse:
    try:
        case_id, _ = declare_app.due(workspace_root(), _incident(request), lang=_lang(request))
        due = declare_app.declarations_due(
            workspace_root(), incident=case_id, fixed_only=False, include_done=True,
            lang=_lang(request),
        )  # fmt: skip
    except RempartError as exc:
        raise Http404(exc.message(_lang(request))) from exc
    return TemplateResponse(
        request,
        "recover/declarations.html",
        {
            "case_id": case_id,
            "due": due,
            "kinds": declare_app.KINDS,
            "versions": declare_app.VERSIONS,
            "can_declare": getattr(request, "rempart_role", "") in DECLARERS,
        },
    )


@require_GET
@role_required(*ALL_ROLES)
def declarations_due(request: HttpRequest) -> HttpResponse:
    """The dashboard's fragment (loaded after the page, so the dashboard does not wait for
    the case store): every declaration owed with a date, overdue first."""
    items = declare_app.declarations_due(workspace_root(), lang=_lang(request))
    return TemplateResponse(
        request,
        "recover/fragments/declarations_due.html",
        {"items": items, "overdue": sum(1 for d in items if d.overdue)},
    )


@role_required(*ALL_ROLES)
def declaration(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    """GET: a draft (nothing recorded). POST (cellule, administrateur): issued and recorded;
    a POST with `draft` is a draft with the answers given (any role: nothing recorded)."""
    if request.method not in ("GET", "POST"):
        return HttpResponse(status=405)
    return _declaration(request, kind, fmt)


@require_POST
@role_required(*ALL_ROLES)
def declaration_form(request: HttpRequest) -> HttpResponse:
    """The page's form: kind, version, format and answers (JSON) chosen in it."""
    return _declaration(request, request.POST.get("kind", ""), request.POST.get("format", ""))


def _declaration(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    if kind not in declare_app.KINDS or fmt not in ("html", "pdf", "json"):
        raise Http404("no such declaration")
    issue = request.method == "POST" and not request.POST.get("draft")
    if issue and getattr(request, "rempart_role", "") not in DECLARERS:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    version = request.POST.get("version") or None if request.method == "POST" else None
    if version is not None and version not in declare_app.VERSIONS:
        raise Http404("no such version")
    w = who(request)
    try:
        answers = declare_app.parse_answers(request.POST.get("answers", ""))
    except RempartError as exc:
        return HttpResponse(
            exc.message(_lang(request)), status=400, content_type="text/plain; charset=utf-8"
        )
    try:
        r = declare_app.declare(
            workspace_root(), kind, _incident(request) or declare_app_default(), fmt=fmt,
            version=version, lang=_lang(request), answers=answers, actor=w.name, record=issue,
        )  # fmt: skip
    except ConfigError as exc:  # an answer for an unknown field, a bad value: say which
        return HttpResponse(
            exc.message(_lang(request)), status=400, content_type="text/plain; charset=utf-8"
        )
    except RempartError as exc:
        raise Http404(exc.message(_lang(request))) from exc
    types = {
        "html": "text/html; charset=utf-8",
        "pdf": "application/pdf",
        "json": "application/json",
    }
    response = HttpResponse(r.data, content_type=types[fmt])
    name = f"{kind}-{r.declaration.version}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def declare_app_default() -> str:
    case_id, _ = declare_app.due(workspace_root())
    return case_id
