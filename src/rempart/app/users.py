"""Local accounts of the web console: add, list, change password, disable, TOTP.

Accounts live in the case store (argon2 hashes, a role per user) and do not depend on the
directory services a ransomware takes down. Every change is written in the audit trail by
the case store, with who did it and from where ("cli", or a client address).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rempart.cases import CaseNotFound, CaseStore, UserSummary
from rempart.store import Workspace

ROLES = ("administrateur", "analyste", "cellule", "technicien", "lecture")
TOTP_ISSUER = "Rempart"


@dataclass(frozen=True)
class Account:
    """What the console needs per request: is the account usable, and with which role."""

    name: str
    role: str
    active: bool


def _cases(workspace: Path | str | None, origin: str) -> CaseStore:
    return CaseStore.open(Workspace.at(workspace).root, origin=origin)


def add_user(
    workspace: Path | str | None,
    name: str,
    role: str,
    password: str,
    *,
    actor: str = "cli",
    origin: str = "cli",
) -> None:
    """`rempart users add NAME --role ROLE --password-stdin`."""
    _cases(workspace, origin).add_user(name, role, password, actor=actor)


def list_users(workspace: Path | str | None) -> list[UserSummary]:
    """`rempart users list`: every account, its role and whether it may log in."""
    return _cases(workspace, "cli").users()


def set_password(
    workspace: Path | str | None,
    name: str,
    password: str,
    *,
    actor: str = "cli",
    origin: str = "cli",
) -> None:
    """`rempart users passwd NAME --password-stdin`."""
    _cases(workspace, origin).set_password(name, password, actor=actor)


def set_role(
    workspace: Path | str | None, name: str, role: str, *, actor: str = "cli", origin: str = "cli"
) -> None:
    """`rempart users role NAME --role ROLE`: takes effect at the account's next request."""
    _cases(workspace, origin).set_role(name, role, actor=actor)


def disable_user(
    workspace: Path | str | None, name: str, *, actor: str = "cli", origin: str = "cli"
) -> None:
    """`rempart users disable NAME`: no more logins; the name stays in the trail."""
    _cases(workspace, origin).disable_user(name, actor=actor)


def account(workspace: Path | str | None, name: str) -> Account | None:
    """The account by name (None: no such account)."""
    from django.contrib.auth.models import User

    from rempart.cases import models

    _cases(workspace, "web")  # Django pointed at this workspace's case store
    user = User.objects.filter(username=name).only("id", "is_active").first()
    if user is None:
        return None
    profile = models.Profile.objects.filter(user_id=user.pk).only("role").first()
    return Account(name, profile.role if profile is not None else "", bool(user.is_active))


def enable_totp(
    workspace: Path | str | None, name: str, *, actor: str = "cli", origin: str = "cli"
) -> str:
    """Give the account a new TOTP secret (second factor); return its otpauth:// URI."""
    import pyotp
    from django.db import transaction

    from rempart.cases import models

    store = _cases(workspace, origin)
    secret = pyotp.random_base32()
    with transaction.atomic():
        profile = models.Profile.objects.filter(user__username=name).first()
        if profile is None:
            raise CaseNotFound(key="error.no_user", params={"name": repr(name)})
        profile.totp_secret = secret
        profile.save(update_fields=["totp_secret"])
        store.audit(actor, "user.totp", "user", name, {"enabled": True})
    return str(pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name=TOTP_ISSUER))


def disable_totp(
    workspace: Path | str | None, name: str, *, actor: str = "cli", origin: str = "cli"
) -> None:
    from django.db import transaction

    from rempart.cases import models

    store = _cases(workspace, origin)
    with transaction.atomic():
        updated = models.Profile.objects.filter(user__username=name).update(totp_secret=None)
        if not updated:
            raise CaseNotFound(key="error.no_user", params={"name": repr(name)})
        store.audit(actor, "user.totp", "user", name, {"enabled": False})


def needs_totp(workspace: Path | str | None, name: str) -> bool:
    from rempart.cases import models

    _cases(workspace, "web")
    return models.Profile.objects.filter(user__username=name, totp_secret__isnull=False).exists()


def check_totp(workspace: Path | str | None, name: str, code: str) -> bool:
    """True if `code` is the account's current TOTP code (one step of clock drift allowed)."""
    import pyotp

    from rempart.cases import models

    _cases(workspace, "web")
    profile = models.Profile.objects.filter(user__username=name).first()
    if profile is None or not profile.totp_secret:
        return False
    return bool(pyotp.TOTP(profile.totp_secret).verify(code.strip(), valid_window=1))


def record(
    workspace: Path | str | None,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    details: dict[str, object] | None = None,
    *,
    origin: str,
) -> None:
    """One audit entry for an action of the console (a login, a download, a decision)."""
    _cases(workspace, origin).audit(actor, action, object_type, object_id, dict(details or {}))


__all__ = [
    "ROLES",
    "Account",
    "UserSummary",
    "account",
    "add_user",
    "check_totp",
    "disable_totp",
    "disable_user",
    "enable_totp",
    "list_users",
    "needs_totp",
    "record",
    "set_password",
    "set_role",
]
