"""CSRF, lockout, the audit trail on every write, the vital-cut rule, a locked store, TOTP."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.web.conftest import PASSWORD, csrf_token

pytestmark = pytest.mark.slow


def _trail(root: Path, action: str) -> list[object]:
    from rempart.app.audit import trail

    return [e for e in trail(root, limit=10_000) if e.action == action]


def test_csrf_refused_without_token(
    web_workspace: Path, client_for: Callable[[str], object], incident_id: str
) -> None:
    from django.test import Client

    anon = Client(enforce_csrf_checks=True)
    response = anon.post("/compte/connexion/", {"username": "u-lecture", "password": PASSWORD})
    assert response.status_code == 403
    cell = client_for("cellule")
    response = cell.post(  # type: ignore[attr-defined]
        f"/plans/{incident_id}/isolate/retenir/", {"reason": "pas de jeton"}
    )
    assert response.status_code == 403
    response = cell.post("/langue/", {"language": "en"})  # type: ignore[attr-defined]
    assert response.status_code == 403
    response = cell.post("/compte/deconnexion/")  # type: ignore[attr-defined]
    assert response.status_code == 403


def test_lockout_after_repeated_failures(web_workspace: Path) -> None:
    from axes.utils import reset
    from django.test import Client

    reset()
    client = Client(REMOTE_ADDR="10.9.9.9")
    for _ in range(4):
        response = client.post(
            "/compte/connexion/", {"username": "u-analyste", "password": "faux-faux"}
        )
        assert response.status_code == 200
        assert "incorrect" in response.content.decode()
    response = client.post(
        "/compte/connexion/", {"username": "u-analyste", "password": "faux-faux"}
    )
    assert response.status_code == 429
    # locked: even the right password is refused now
    response = client.post("/compte/connexion/", {"username": "u-analyste", "password": PASSWORD})
    assert response.status_code == 429
    assert len(_trail(web_workspace, "login.failed")) >= 4
    # another address is not locked out of the same account
    other = Client(REMOTE_ADDR="10.9.9.10")
    response = other.post("/compte/connexion/", {"username": "u-analyste", "password": PASSWORD})
    assert response.status_code == 302
    reset()


def test_login_and_logout_are_audited(web_workspace: Path) -> None:
    from django.test import Client

    before = len(_trail(web_workspace, "login"))
    client = Client(REMOTE_ADDR="10.1.2.3")
    client.post("/compte/connexion/", {"username": "u-technicien", "password": PASSWORD})
    entries = _trail(web_workspace, "login")
    assert len(entries) == before + 1
    last = entries[0]
    assert last.actor == "u-technicien" and last.origin == "10.1.2.3"  # type: ignore[attr-defined]
    token = client.cookies["rempart_csrf"].value
    client.post("/compte/deconnexion/", {"csrfmiddlewaretoken": token})
    assert _trail(web_workspace, "logout")[0].actor == "u-technicien"  # type: ignore[attr-defined]


def test_vital_cut_needs_the_crisis_cell_and_a_reason(
    web_workspace: Path, client_for: Callable[[str], object], incident_id: str
) -> None:
    url = f"/plans/{incident_id}/isolate/retenir/"
    analyst = client_for("analyste")
    token = csrf_token(analyst, f"/plans/{incident_id}/")
    response = analyst.post(url, {"reason": "je décide", "csrfmiddlewaretoken": token})  # type: ignore[attr-defined]
    assert response.status_code == 403
    for role in ("lecture", "technicien", "administrateur"):
        other = client_for(role)
        token = csrf_token(other, f"/plans/{incident_id}/")
        response = other.post(url, {"reason": "je décide", "csrfmiddlewaretoken": token})  # type: ignore[attr-defined]
        assert response.status_code == 403, role
    # the export of an unconfirmed vital cut is refused (unless another test confirmed it)
    cell = client_for("cellule")
    confirmed = [e for e in _trail(web_workspace, "plan.confirm") if "isolate" in e.object_id]  # type: ignore[attr-defined]
    if not confirmed:
        assert cell.get(f"/plans/{incident_id}/isolate/export/nftables/").status_code == 403  # type: ignore[attr-defined]
    token = csrf_token(cell, f"/plans/{incident_id}/")
    response = cell.post(url, {"reason": "", "csrfmiddlewaretoken": token})  # type: ignore[attr-defined]
    assert response.status_code == 400
    after = [e for e in _trail(web_workspace, "plan.confirm") if "isolate" in e.object_id]  # type: ignore[attr-defined]
    assert len(after) == len(confirmed)
    reason = "Propagation SMB active au bâtiment C ; dialyse en mode papier"
    response = cell.post(url, {"reason": reason, "csrfmiddlewaretoken": token})  # type: ignore[attr-defined]
    assert response.status_code == 302
    entry = _trail(web_workspace, "plan.confirm")[0]
    assert entry.actor == "u-cellule" and entry.origin == "127.0.0.7"  # type: ignore[attr-defined]
    assert entry.details["reason"] == reason and entry.details["vital"] == ["dialyse-c"]  # type: ignore[attr-defined]
    page = cell.get(f"/plans/{incident_id}/").content.decode()  # type: ignore[attr-defined]
    assert "coupure vitale confirmée" in page and "u-cellule" in page
    # now the rules can be downloaded, and the download is audited
    response = cell.get(f"/plans/{incident_id}/isolate/export/nftables/")  # type: ignore[attr-defined]
    assert response.status_code == 200 and b"table" in response.content
    assert "attachment" in response["Content-Disposition"]
    assert _trail(web_workspace, "plan.export")[0].details == {"format": "nftables"}  # type: ignore[attr-defined]
    # the dashboard shows the care service stopped by that decision, and the zone isolated
    body = cell.get("/").content.decode()  # type: ignore[attr-defined]
    assert "state-stopped" in body and "state-isolated" in body


def test_non_vital_plan_retained_by_an_analyst(
    web_workspace: Path, client_for: Callable[[str], object], incident_id: str
) -> None:
    analyst = client_for("analyste")
    token = csrf_token(analyst, f"/plans/{incident_id}/")
    response = analyst.post(  # type: ignore[attr-defined]
        f"/plans/{incident_id}/block-lateral/retenir/", {"reason": "", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert _trail(web_workspace, "plan.confirm")[0].actor == "u-analyste"  # type: ignore[attr-defined]


_HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
sys.stdin.readline()
con.close()
"""


def test_locked_store_shows_update_in_progress(
    web_workspace: Path, client_for: Callable[[str], object]
) -> None:
    """A CLI writer holds the event store: pages say "mise à jour en cours" (after a short,
    bounded wait) instead of failing, and work again once it is done."""
    from rempart.app import webread

    client = client_for("lecture")
    webread.release_stores()
    with subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(web_workspace / "rempart.duckdb")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        # pages kept from before the lock would still be served: drop them, so they are read
        from rempart.app import webcache

        webcache.forget()
        response = client.get("/sources/")  # type: ignore[attr-defined]
        assert response.status_code == 503
        assert "Mise à jour en cours" in response.content.decode()
        response = client.get("/fragments/nouveau/", HTTP_HX_REQUEST="true")  # type: ignore[attr-defined]
        assert response.status_code == 200
        assert "Mise à jour en cours" in response.content.decode()
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=30)
    assert client.get("/sources/").status_code == 200  # type: ignore[attr-defined]


def test_totp_second_factor(web_workspace: Path) -> None:
    import pyotp
    from django.test import Client

    from rempart.app.users import add_user, disable_totp, enable_totp

    add_user(web_workspace, "u-totp", "lecture", PASSWORD)
    uri = enable_totp(web_workspace, "u-totp")
    secret = pyotp.parse_uri(uri).secret
    client = Client()
    response = client.post("/compte/connexion/", {"username": "u-totp", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/compte/code/"
    assert client.get("/").status_code == 302  # not logged in yet
    response = client.post(
        "/compte/code/", {"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"}
    )
    assert response.status_code == 200 and "incorrect" in response.content.decode()
    response = client.post("/compte/code/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert [e for e in _trail(web_workspace, "user.totp")]
    disable_totp(web_workspace, "u-totp")


def test_disabled_account_is_logged_out(web_workspace: Path) -> None:
    from django.test import Client

    from rempart.app.users import add_user, disable_user

    add_user(web_workspace, "u-partant", "analyste", PASSWORD)
    client = Client()
    client.post("/compte/connexion/", {"username": "u-partant", "password": PASSWORD})
    assert client.get("/").status_code == 200
    disable_user(web_workspace, "u-partant")
    assert client.get("/").status_code == 302
    assert _trail(web_workspace, "user.disable")[0].object_id == "u-partant"  # type: ignore[attr-defined]
