"""Every view for every role (allowed or 403), anonymous users sent to the login page,
object-level checks, and the security headers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from tests.web.conftest import HOSTILE_SUBJECT, ROLES

pytestmark = pytest.mark.slow

ALL = set(ROLES)
DOWNLOADERS = {"administrateur", "analyste", "cellule", "technicien"}


def _pages(incident: str, alert_uid: str) -> list[tuple[str, set[str]]]:
    return [
        ("/", ALL),
        ("/fragments/nouveau/", ALL),
        ("/alertes/", ALL),
        ("/alertes/?severity=high&zone=bat-c&page=2", ALL),
        (f"/alertes/{alert_uid}/", ALL),
        ("/incidents/", ALL),
        (f"/incidents/{incident}/", ALL),
        ("/plans/", ALL),
        (f"/plans/{incident}/", ALL),
        (f"/plans/{incident}/block-lateral/export/nftables/", DOWNLOADERS),
        (f"/plans/{incident}/block-lateral/export/csv/", DOWNLOADERS),
        ("/appareils/", ALL),
        ("/appareils/?all=1&page=999", ALL),
        ("/sources/", ALL),
        ("/renseignement/", ALL),
        ("/renseignement/export/ipset/", DOWNLOADERS),
        ("/compte/journal/", {"administrateur"}),
    ]


def _alert_uid(web_workspace: Path) -> str:
    from rempart.app.alert_page import AlertFilter, alert_page

    return alert_page(web_workspace, AlertFilter()).alerts[0].finding_uid


@pytest.mark.parametrize("role", ROLES)
def test_every_view_for_every_role(
    role: str, client_for: Callable[[str], object], incident_id: str, web_workspace: Path
) -> None:
    client = client_for(role)
    for url, allowed in _pages(incident_id, _alert_uid(web_workspace)):
        response = client.get(url)  # type: ignore[attr-defined]
        expected = 200 if role in allowed else 403
        assert response.status_code == expected, (role, url, response.status_code)


def test_anonymous_is_sent_to_login(web_workspace: Path, incident_id: str) -> None:
    from django.test import Client

    client = Client()
    for url, _ in _pages(incident_id, _alert_uid(web_workspace)):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/compte/connexion/?next=")


def test_unknown_objects_are_404(client_for: Callable[[str], object], incident_id: str) -> None:
    client = client_for("analyste")
    for url in (
        "/incidents/INC-nope/",
        "/incidents/..%2Fhospital.yaml/",
        "/plans/INC-nope/",
        f"/plans/{incident_id}/no-such-plan/export/json/",
        f"/plans/{incident_id}/block-lateral/export/exe/",
        "/alertes/nope/",
        "/static/../settings.py",
        "/nowhere/",
    ):
        assert client.get(url).status_code == 404, url  # type: ignore[attr-defined]


def test_security_headers_and_cookies(client_for: Callable[[str], object]) -> None:
    from django.test import Client

    response = client_for("lecture").get("/")  # type: ignore[attr-defined]
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "http" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    body = response.content.decode()
    assert "style=" not in body and "<style" not in body and " on" + "load=" not in body
    anon = Client()
    anon.get("/compte/connexion/")
    cookie = anon.cookies["rempart_csrf"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"


def test_login_sets_a_strict_httponly_session(web_workspace: Path) -> None:
    from django.test import Client
    from tests.web.conftest import PASSWORD

    client = Client()
    response = client.post(
        "/compte/connexion/", {"username": "u-lecture", "password": PASSWORD, "next": "/"}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    cookie = client.cookies["rempart_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    assert client.get("/").status_code == 200


def test_hostile_subject_is_text(client_for: Callable[[str], object], incident_id: str) -> None:
    body = client_for("lecture").get(f"/incidents/{incident_id}/").content.decode()  # type: ignore[attr-defined]
    assert HOSTILE_SUBJECT not in body
    assert (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
        in body
    )
    assert "<script>alert" not in body and "<img src=x" not in body


def test_english_switch(client_for: Callable[[str], object]) -> None:
    from tests.web.conftest import csrf_token

    client = client_for("lecture")
    assert "Tableau de bord" in client.get("/").content.decode()  # type: ignore[attr-defined]
    token = csrf_token(client, "/")
    response = client.post(  # type: ignore[attr-defined]
        "/langue/", {"language": "en", "next": "/alertes/", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302 and response["Location"] == "/alertes/"
    body = client.get("/").content.decode()  # type: ignore[attr-defined]
    assert "Dashboard" in body and "Care services" in body and 'lang="en"' in body
    # the browser's own language is not followed: French stays the default
    from django.test import Client

    other = Client(HTTP_ACCEPT_LANGUAGE="en-US")
    assert "Connexion" in other.get("/compte/connexion/").content.decode()


def test_new_findings_fragment_polls(client_for: Callable[[str], object]) -> None:
    body = client_for("lecture").get("/fragments/nouveau/").content.decode()  # type: ignore[attr-defined]
    assert 'hx-trigger="every 5s"' in body and "alertes" in body
