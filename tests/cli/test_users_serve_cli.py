"""`rempart users` (through app/users, audited) and `rempart serve`'s address check."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from rempart.cli import app

runner = CliRunner()


def test_users_add_list_passwd_disable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REMPART_CASES_DB", raising=False)
    ws = str(tmp_path / "ws")
    r = runner.invoke(
        app,
        ["users", "add", "alice", "--role", "cellule", "--password-stdin", "-w", ws],
        input="un-mot-de-passe\n",
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["users", "list", "-w", ws])
    assert r.exit_code == 0 and "alice" in r.output and "cellule" in r.output
    r = runner.invoke(
        app, ["users", "passwd", "alice", "--password-stdin", "-w", ws], input="autre-mot-2\n"
    )
    assert r.exit_code == 0, r.output
    from rempart.app.audit import trail
    from rempart.app.users import account

    assert account(ws, "alice") is not None
    r = runner.invoke(app, ["users", "disable", "alice", "-w", ws])
    assert r.exit_code == 0
    found = account(ws, "alice")
    assert found is not None and not found.active and found.role == "cellule"
    actions = [e.action for e in trail(ws) if e.object_id == "alice"]
    assert {"user.add", "user.passwd", "user.disable"} <= set(actions)
    from rempart.cases import CaseStore

    store = CaseStore.open(Path(ws))
    assert not store.check_password("alice", "autre-mot-2")  # disabled
    # argon2 hashes
    from django.contrib.auth.models import User

    assert User.objects.get(username="alice").password.startswith("argon2")


def test_users_refuses_bad_role_and_short_password(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    r = runner.invoke(
        app,
        ["users", "add", "bob", "--role", "chef", "--password-stdin", "-w", ws],
        input="un-mot-de-passe\n",
    )
    assert r.exit_code != 0
    r = runner.invoke(
        app,
        ["users", "add", "bob", "--role", "lecture", "--password-stdin", "-w", ws],
        input="court\n",
    )
    assert r.exit_code != 0


def test_serve_warns_off_loopback() -> None:
    from rempart.web.server import TLS_HINT, is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.1.2.3")
    assert "TLS" in TLS_HINT and "docs/web.md" in TLS_HINT


def test_serve_refuses_nothing_but_warns(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Another address: a warning with the TLS advice, then the server starts."""
    import waitress

    from rempart.web import server

    seen: dict[str, object] = {}
    monkeypatch.setattr(waitress, "serve", lambda app_, **kw: seen.update(kw))
    monkeypatch.setattr(server, "application", lambda ws, host="": object())
    warnings: list[str] = []
    server.serve(server.ServeConfig(tmp_path, "0.0.0.0", 8001), warn=warnings.append)
    assert warnings and "TLS" in warnings[0]
    assert seen["host"] == "0.0.0.0" and seen["port"] == 8001
    warnings.clear()
    server.serve(server.ServeConfig(tmp_path, "127.0.0.1", 8001), warn=warnings.append)
    assert warnings == []
