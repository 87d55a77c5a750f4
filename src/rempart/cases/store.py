"""`CaseStore`: the one API over the case store for the CLI and the web console.

Every write runs in one transaction with its audit entry, so the trail never misses a change
and never records one that did not happen. Django models are imported inside the methods:
importing `rempart.cases` must not need Django configured (`CaseStore.open` configures it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rempart.cases.errors import CaseError, CaseNotFound, InvalidTransition, InvalidValue
from rempart.cases.runtime import setup
from rempart.core.actors import SYSTEM_ACTOR
from rempart.incidents.model import Incident, incident_from_dict

if TYPE_CHECKING:
    from rempart.cases import models

MIN_PASSWORD = 8


@dataclass(frozen=True)
class IncidentSummary:
    """One line of the incident list (times are timezone-aware, UTC)."""

    id: str
    title: str
    kind: str
    severity: str
    state: str
    first_seen: datetime
    updated_at: datetime


@dataclass(frozen=True)
class UserSummary:
    name: str
    role: str
    active: bool
    last_login: datetime | None


@dataclass(frozen=True)
class AuditRecord:
    """One entry of the audit trail: who, when, what, on which object, from where."""

    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    details: dict[str, Any]
    origin: str


def incident_kind(incident: Incident) -> str:
    """What the incident is, from its shape: a spread, a phishing, one compromised host."""
    infected = [h for h in incident.hosts if h.status == "infected"]
    if len(infected) > 1 or any(h.infected_by for h in incident.hosts):
        return "lateral_movement"
    if incident.entry_email is not None:
        return "phishing"
    return "compromise"


def _aware(value: datetime) -> datetime:
    """Incidents carry naive UTC times (DuckDB's); the case store keeps aware ones."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class CaseStore:
    """The case store of one workspace (SQLite in it, or PostgreSQL by $REMPART_CASES_DB).

    `origin` is where the writes come from, recorded in the audit trail: "cli", or the web
    client's address (`store.from_origin(addr)`). `now` is the clock (injected in tests).
    """

    root: Path | None
    origin: str = "cli"
    now: Callable[[], datetime] = _utcnow

    @classmethod
    def open(
        cls,
        workspace_root: Path,
        *,
        origin: str = "cli",
        now: Callable[[], datetime] | None = None,
    ) -> CaseStore:
        """Configure Django for the workspace (once per process) and migrate its database."""
        root = Path(workspace_root).resolve()
        setup(root)
        return cls(root, origin, now or _utcnow)

    @classmethod
    def current(
        cls, *, origin: str = "cli", now: Callable[[], datetime] | None = None
    ) -> CaseStore:
        """The store on the database Django is already configured with, as it is (the web
        console under its own settings, pytest-django's test database): no re-pointing, no
        migration."""
        from django.conf import settings

        if not settings.configured:
            raise CaseError("Django is not configured: use CaseStore.open(workspace_root)")
        return cls(None, origin, now or _utcnow)

    def from_origin(self, origin: str) -> CaseStore:
        """The same store, recording writes as coming from `origin` (a client address)."""
        return replace(self, origin=origin)

    def _activate(self) -> None:
        """Point Django at this store's database if another workspace was opened since."""
        if self.root is not None:
            setup(self.root)

    def _now(self) -> datetime:
        return _aware(self.now())

    def activate(self) -> None:
        """Point Django at this store's database: for the layers above (the recover layer)
        that use the case models between the store's own calls."""
        self._activate()

    def timestamp(self) -> datetime:
        """Now by the store's clock, timezone-aware: the time its own writes record."""
        return self._now()

    # -- audit -------------------------------------------------------------------------------

    def audit(
        self,
        actor: str,
        action: str,
        object_type: str,
        object_id: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Record one action in the audit trail (the other writes call this themselves)."""
        from rempart.cases import models

        self._activate()
        models.AuditEntry.objects.create(
            at=self._now(),
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            details=details or {},
            origin=self.origin,
        )

    def audit_trail(
        self, object_type: str | None = None, object_id: str | None = None
    ) -> list[AuditRecord]:
        """The trail, oldest first, optionally for one object type or one object."""
        from rempart.cases import models

        self._activate()
        rows = models.AuditEntry.objects.all()
        if object_type is not None:
            rows = rows.filter(object_type=object_type)
        if object_id is not None:
            rows = rows.filter(object_id=object_id)
        return [
            AuditRecord(
                r.at, r.actor, r.action, r.object_type, r.object_id, dict(r.details), r.origin
            )
            for r in rows
        ]

    # -- incidents ---------------------------------------------------------------------------

    def save_incident(
        self, incident: Incident, *, actor: str = SYSTEM_ACTOR, kind: str | None = None
    ) -> str:
        """Store the incident; return its stable case id (INC-YYYY-NNNN).

        The incident's own id is the dedup key: saving it again updates the same case (its
        state is kept). The year is the year of its first_seen; the number a per-year sequence.
        """
        from django.db import IntegrityError, transaction

        from rempart.cases import models

        self._activate()
        data = json.loads(incident.to_json())
        fields = {
            "kind": kind or incident_kind(incident),
            "title": incident.title,
            "severity": incident.severity,
            "first_seen": _aware(incident.first_seen),
            "last_seen": _aware(incident.last_seen),
            "data": data,
        }
        for attempt in range(3):
            try:
                with transaction.atomic():
                    now = self._now()
                    row = (
                        models.Incident.objects.select_for_update().filter(key=incident.id).first()
                    )
                    if row is not None:
                        for name, value in fields.items():
                            setattr(row, name, value)
                        row.updated_at = now
                        row.save()
                        action = "incident.update"
                    else:
                        year = _aware(incident.first_seen).year
                        number = self._next(f"incident-{year}")
                        row = models.Incident.objects.create(
                            case_id=f"INC-{year}-{number:04d}",
                            key=incident.id,
                            state="open",
                            created_at=now,
                            updated_at=now,
                            **fields,
                        )
                        action = "incident.create"
                    self._audit_row(
                        actor,
                        action,
                        "incident",
                        row.case_id,
                        {"key": incident.id, "hosts": len(incident.hosts)},
                    )
                    return row.case_id
            except IntegrityError:
                # PostgreSQL: another process created the same key (or number) first.
                if attempt == 2:
                    raise
        raise CaseError("unreachable")  # pragma: no cover

    def _next(self, name: str) -> int:
        """The next value of a named sequence (inside the caller's transaction)."""
        from rempart.cases import models

        models.Counter.objects.get_or_create(name=name)
        counter = models.Counter.objects.select_for_update().get(name=name)
        counter.value += 1
        counter.save(update_fields=["value"])
        return int(counter.value)

    def _audit_row(
        self, actor: str, action: str, object_type: str, object_id: str, details: dict[str, Any]
    ) -> None:
        from rempart.cases import models

        models.AuditEntry.objects.create(
            at=self._now(),
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            details=details,
            origin=self.origin,
        )

    def _row(self, ident: str) -> models.Incident:
        """The incident by case id (INC-2019-0001) or by its own id (the dedup key)."""
        from django.db.models import Q

        from rempart.cases import models

        row = models.Incident.objects.filter(Q(case_id=ident) | Q(key=ident)).first()
        if row is None:
            raise CaseNotFound(key="error.no_incident", params={"ident": repr(ident)})
        return row

    def incident(self, ident: str) -> Incident:
        """The incident rebuilt from its stored JSON; `CaseNotFound` if absent."""
        self._activate()
        data = self._row(ident).data
        if not isinstance(data, dict):
            raise CaseError(f"incident {ident!r}: stored data is not an object")
        return incident_from_dict(data)

    def case_id(self, ident: str) -> str:
        """The stable case id of an incident given by case id or by its own id."""
        self._activate()
        return self._row(ident).case_id

    def state(self, ident: str) -> str:
        self._activate()
        return self._row(ident).state

    def incidents(self, state: str | None = None) -> list[IncidentSummary]:
        """Every incident (or those in one state), oldest first."""
        from rempart.cases import models

        self._activate()
        rows = models.Incident.objects.all()
        if state is not None:
            if state not in models.INCIDENT_STATES:
                raise InvalidValue(f"unknown incident state {state!r}")
            rows = rows.filter(state=state)
        return [
            IncidentSummary(
                r.case_id, r.title, r.kind, r.severity, r.state, r.first_seen, r.updated_at
            )
            for r in rows
        ]

    def set_state(self, ident: str, state: str, *, actor: str, reason: str = "") -> None:
        """Move an incident to another state, if the diagram allows it (audited)."""
        from django.db import transaction

        from rempart.cases import models

        self._activate()
        if state not in models.INCIDENT_STATES:
            raise InvalidValue(
                f"unknown incident state {state!r} (one of {', '.join(models.INCIDENT_STATES)})"
            )
        with transaction.atomic():
            row = self._row(ident)
            if state not in models.INCIDENT_TRANSITIONS[row.state]:
                raise InvalidTransition(f"incident {row.case_id}: {row.state} -> {state} refused")
            before = row.state
            row.state = state
            row.updated_at = self._now()
            row.save(update_fields=["state", "updated_at"])
            details = {"from": before, "to": state}
            if reason:
                details["reason"] = reason
            self._audit_row(actor, "incident.state", "incident", row.case_id, details)

    # -- users -------------------------------------------------------------------------------

    def add_user(self, name: str, role: str, password: str, *, actor: str = SYSTEM_ACTOR) -> None:
        """A local account with a role; the password is hashed with argon2."""
        from django.contrib.auth.models import User
        from django.db import transaction

        from rempart.cases import models

        self._activate()
        name = name.strip()
        if not name:
            raise InvalidValue("a user needs a name")
        _check_role(role)
        _check_password(password)
        with transaction.atomic():
            if User.objects.filter(username=name).exists():
                raise CaseError(key="error.user_exists", params={"name": repr(name)})
            user = User(username=name, is_active=True)
            user.set_password(password)
            user.save()
            models.Profile.objects.create(user=user, role=role)
            self._audit_row(actor, "user.add", "user", name, {"role": role})

    def users(self) -> list[UserSummary]:
        from django.contrib.auth.models import User

        self._activate()
        out: list[UserSummary] = []
        for user in User.objects.select_related("rempart_profile").order_by("username"):
            profile = getattr(user, "rempart_profile", None)
            role = profile.role if profile is not None else ""
            out.append(UserSummary(user.username, role, user.is_active, user.last_login))
        return out

    def set_password(self, name: str, password: str, *, actor: str = SYSTEM_ACTOR) -> None:
        from django.db import transaction

        self._activate()
        _check_password(password)
        with transaction.atomic():
            user = _user(name)
            user.set_password(password)
            user.save(update_fields=["password"])
            self._audit_row(actor, "user.passwd", "user", name, {})

    def set_role(self, name: str, role: str, *, actor: str = SYSTEM_ACTOR) -> None:
        from django.db import transaction

        from rempart.cases import models

        self._activate()
        _check_role(role)
        with transaction.atomic():
            user = _user(name)
            profile, _ = models.Profile.objects.get_or_create(user=user, defaults={"role": role})
            before = profile.role
            profile.role = role
            profile.save(update_fields=["role"])
            self._audit_row(actor, "user.role", "user", name, {"from": before, "to": role})

    def disable_user(self, name: str, *, actor: str = SYSTEM_ACTOR) -> None:
        """The account can no longer log in; it stays, so the trail keeps its name."""
        from django.db import transaction

        self._activate()
        with transaction.atomic():
            user = _user(name)
            user.is_active = False
            user.save(update_fields=["is_active"])
            self._audit_row(actor, "user.disable", "user", name, {})

    def check_password(self, name: str, password: str) -> bool:
        """True if the account is active and the password matches (no audit: a read)."""
        self._activate()
        try:
            user = _user(name)
        except CaseNotFound:
            return False
        return bool(user.is_active and user.check_password(password))

    def role(self, name: str) -> str:
        from rempart.cases import models

        self._activate()
        user = _user(name)
        profile = models.Profile.objects.filter(user=user).first()
        return profile.role if profile is not None else ""


def _check_role(role: str) -> None:
    from rempart.cases import models

    if role not in models.ROLES:
        raise InvalidValue(
            key="error.unknown_role",
            params={"role": repr(role), "known": ", ".join(models.ROLES)},
        )


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidValue(f"a password needs at least {MIN_PASSWORD} characters")


def _user(name: str) -> Any:
    from django.contrib.auth.models import User

    user = User.objects.filter(username=name).first()
    if user is None:
        raise CaseNotFound(key="error.no_user", params={"name": repr(name)})
    return user
