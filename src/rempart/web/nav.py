"""The navigation bar: the base pages' entries and those other modules register."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.functional import Promise


@dataclass(frozen=True)
class NavEntry:
    url_name: str
    label: str | Promise  # gettext_lazy text
    roles: tuple[str, ...]
    order: int = 100


_entries: dict[str, NavEntry] = {}
_lock = threading.Lock()


def register(entry: NavEntry) -> None:
    """Add an entry (the same url_name twice: the first one stays)."""
    with _lock:
        _entries.setdefault(entry.url_name, entry)


def entries(role: str) -> list[dict[str, Any]]:
    """The entries this role may see, in order, with their URLs."""
    with _lock:
        found = sorted(_entries.values(), key=lambda e: (e.order, e.url_name))
    out = []
    for e in found:
        if role not in e.roles:
            continue
        url = _url(e.url_name)
        if url is None:
            continue
        out.append({"url": url, "label": e.label, "name": e.url_name})
    return out


_urls: dict[tuple[str, str], str | None] = {}


def _url(name: str) -> str | None:
    """`reverse(name)`, once per URL configuration (every page draws the navigation)."""
    from django.conf import settings

    root = getattr(settings, "ROOT_URLCONF", "")
    key = (f"{root}|{get_urlconf() or ''}|{get_script_prefix()}", name)
    if key not in _urls:
        try:
            _urls[key] = reverse(name)
        except NoReverseMatch:
            return None  # not kept: a sub-package's URLs may load later
    return _urls[key]


def context(request: HttpRequest) -> dict[str, Any]:
    """Template context processor: user, role and the navigation of every page."""
    role = str(getattr(request, "rempart_role", ""))
    user = getattr(request, "user", None)
    name = user.get_username() if user is not None and user.is_authenticated else ""
    return {
        "rempart_user": name,
        "rempart_role": role,
        "rempart_nav": entries(role) if name else [],
    }


__all__ = ["NavEntry", "context", "entries", "register"]
