"""A small demo workspace for the console's tests, Django configured on it, and clients
logged in with each role.

The workspace is the demo's scenario on a 400-machine twin, with one more vital care service
in the infected building (so a plan cuts a vital dependency) and an entry email whose subject
is hostile markup (it must be shown as text).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from rempart.app.demo import demo
from rempart.app.incidents_store import list_incidents, load_incident, save_incident
from rempart.app.users import add_user

HOSTILE_SUBJECT = '<script>alert("x")</script><img src=x onerror=alert(1)> Facture & "relance"'
PASSWORD = "motdepasse-test"
ROLES = ("administrateur", "analyste", "cellule", "technicien", "lecture")


def build_workspace(root: Path) -> Path:
    demo(root, machines=400, rows=30_000, runs=20)
    path = root / "hospital.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["services"].append(
        {
            "id": "dialyse-c",
            "name": "Dialyse (bâtiment C)",
            "kind": "dialysis",
            "vital": True,
            "zones": ["bat-c"],
            "depends_on": [{"kind": "asset", "ref": "dpi01"}],
        }
    )
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    # an attacker chose the entry email's subject: stored as the incident has it
    for summary in list_incidents(root):
        inc = load_incident(root, summary.id)
        if inc.entry_email is not None:
            email = dataclasses.replace(inc.entry_email, subject=HOSTILE_SUBJECT)
            save_incident(root, dataclasses.replace(inc, entry_email=email))
    for role in ROLES:
        add_user(root, f"u-{role}", role, PASSWORD)
    return root


@pytest.fixture(scope="session")
def web_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace with one account per role (u-<role>), Django set up on it."""
    root = build_workspace(tmp_path_factory.mktemp("web") / "ws")
    from rempart.web.settings import setup

    setup(root)
    return root


@pytest.fixture
def incident_id(web_workspace: Path) -> str:
    return list_incidents(web_workspace)[0].id


@pytest.fixture
def client_for(web_workspace: Path) -> Iterator[Callable[[str], object]]:
    """A logged-in test client for a role (CSRF checks on, as in production)."""
    from axes.utils import reset
    from django.test import Client

    reset()

    def make(role: str) -> Client:
        client = Client(enforce_csrf_checks=True, REMOTE_ADDR="127.0.0.7")
        from django.contrib.auth import get_user_model

        client.force_login(get_user_model().objects.get(username=f"u-{role}"))
        return client

    yield make
    reset()


def csrf_token(client: object, url: str = "/compte/connexion/") -> str:
    """The token a page's form carries (GET the page, read the cookie)."""
    from django.test import Client

    assert isinstance(client, Client)
    client.get(url)
    return str(client.cookies["rempart_csrf"].value)
