"""The console as a Django app, so its templates, static files and catalogue are found."""

from __future__ import annotations

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "rempart.web"
    label = "rempart_web"
    verbose_name = "Rempart web console"
