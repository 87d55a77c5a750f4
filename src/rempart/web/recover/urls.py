"""URLs of the recover pages (namespace `recover`) and their navigation entries."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext_lazy as _

from rempart.web.nav import NavEntry, register
from rempart.web.recover import views
from rempart.web.roles import ALL_ROLES

app_name = "recover"

urlpatterns = [
    path("remediation/", views.board, name="board"),
    path("remediation/deplacer/", views.board_move, name="board_move"),
    path("remediation/pret/", views.board_loan, name="board_loan"),
    path("remediation/export.csv", views.board_csv, name="board_csv"),
    path("main-courante/", views.crisis_log, name="crisis"),
    path("main-courante/ajouter/", views.crisis_add, name="crisis_add"),
    path("main-courante/point/", views.crisis_report, name="crisis_report"),
    path("preuves/", views.evidence_index, name="evidence"),
    path("preuves/exporter/", views.evidence_export, name="evidence_export"),
    path("preuves/<str:name>", views.evidence_download, name="evidence_download"),
    path("declarations/", views.declarations, name="declarations"),
    path("declarations/echeances/", views.declarations_due, name="declarations_due"),
    path("declarations/etablir/", views.declaration_form, name="declaration_form"),
    path("declarations/<str:kind>/<str:fmt>/", views.declaration, name="declaration"),
]

register(NavEntry(url_name="recover:board", label=_("Remédiation"), roles=ALL_ROLES, order=60))
register(NavEntry(url_name="recover:crisis", label=_("Main courante"), roles=ALL_ROLES, order=62))
register(NavEntry(url_name="recover:evidence", label=_("Preuves"), roles=ALL_ROLES, order=64))
register(
    NavEntry(url_name="recover:declarations", label=_("Déclarations"), roles=ALL_ROLES, order=66)
)
