"""The Django application of the case store (label `cases`)."""

from __future__ import annotations

from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "rempart.cases"
    label = "cases"
    verbose_name = "Rempart cases"
    default_auto_field = "django.db.models.BigAutoField"
