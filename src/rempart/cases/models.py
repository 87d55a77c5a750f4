"""The case store's tables: incidents with a state, users' roles, the audit trail, the
remediation board and the crisis log.

Django models, so the CLI (through `CaseStore`) and the web console share them and their
migrations. Incidents keep their full JSON (as `rempart.incidents.Incident.to_json()` writes
it) beside the columns that lists filter and sort on. Crisis-log entries are append-only: the
model refuses updates and deletions here, and triggers refuse them in the database (migration
0002), so a raw SQL statement on the file is refused too.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models

from rempart.cases.errors import AppendOnlyError

# Incident states, and the moves allowed between them.
INCIDENT_STATES = ("open", "contained", "closed")
INCIDENT_TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"contained", "closed"}),
    "contained": frozenset({"open", "closed"}),  # reopened when it spreads again
    "closed": frozenset({"open"}),
}

ROLES = ("administrateur", "analyste", "cellule", "technicien", "lecture")

# Remediation board (issue 24): suspect → isolé → en remédiation → vérifié → remis; écarté.
BOARD_STATES = ("suspect", "isole", "remediation", "verifie", "remis", "ecarte")
# Exactly the diagram of issue 24: no way back (a machine that fails its verification gets a
# note and stays "en remédiation" until verified; a false positive is closed for good).
BOARD_TRANSITIONS: dict[str, frozenset[str]] = {
    "suspect": frozenset({"isole", "ecarte"}),
    "isole": frozenset({"remediation", "ecarte"}),
    "remediation": frozenset({"verifie"}),
    "verifie": frozenset({"remis"}),
    "remis": frozenset(),
    "ecarte": frozenset(),
}
BOARD_METHODS = ("nettoyage", "reinstallation")

CRISIS_KINDS = ("decision", "action", "information", "point", "demande")


def _choices(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(v, v) for v in values]


class Counter(models.Model):
    """A named sequence (incident numbers per year), incremented under a row lock."""

    name = models.CharField(max_length=64, unique=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class Incident(models.Model):
    """One incident, with its stable case id (INC-2019-0001) and its state."""

    case_id = models.CharField(max_length=32, unique=True)
    key = models.CharField(max_length=128, unique=True)  # the incident's own id: dedup key
    state = models.CharField(max_length=16, choices=_choices(INCIDENT_STATES), default="open")
    kind = models.CharField(max_length=64)
    title = models.CharField(max_length=300)
    severity = models.CharField(max_length=16)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    data = models.JSONField()  # the full incident, as Incident.to_json() writes it

    class Meta:
        ordering: ClassVar[list[str]] = ["first_seen", "case_id"]
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["state", "first_seen"])]

    def __str__(self) -> str:
        return self.case_id


class Profile(models.Model):
    """A user's role (and, later, the TOTP second factor) beside Django's auth User."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rempart_profile"
    )
    role = models.CharField(max_length=16, choices=_choices(ROLES))
    totp_secret = models.CharField(max_length=64, null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user_id}:{self.role}"


class AuditEntry(models.Model):
    """Who did what to which object, when and from where (an address, or "cli")."""

    at = models.DateTimeField(db_index=True)
    actor = models.CharField(max_length=150)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=128)
    details = models.JSONField(default=dict)
    origin = models.CharField(max_length=64, default="cli")

    class Meta:
        ordering: ClassVar[list[str]] = ["at", "id"]
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} {self.object_id}"


class BoardItem(models.Model):
    """One machine on the remediation board of an incident."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="board_items")
    host = models.CharField(max_length=255)
    zone = models.CharField(max_length=128, blank=True, default="")
    state = models.CharField(max_length=16, choices=_choices(BOARD_STATES), default="suspect")
    method = models.CharField(max_length=16, choices=_choices(BOARD_METHODS), null=True, blank=True)
    note = models.TextField(blank=True, default="")
    updated_by = models.CharField(max_length=150)
    updated_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["incident", "host"], name="board_item_once")
        ]

    def __str__(self) -> str:
        return f"{self.host}:{self.state}"


class BoardMove(models.Model):
    """A board item's history: every move, who made it and when."""

    item = models.ForeignKey(BoardItem, on_delete=models.CASCADE, related_name="moves")
    from_state = models.CharField(max_length=16, blank=True, default="")
    to_state = models.CharField(max_length=16, choices=_choices(BOARD_STATES))
    who = models.CharField(max_length=150)
    at = models.DateTimeField()
    note = models.TextField(blank=True, default="")

    class Meta:
        ordering: ClassVar[list[str]] = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_state}->{self.to_state}"


class CrisisQuerySet(models.QuerySet["CrisisEntry"]):
    """Bulk update and delete refused: the crisis log only grows."""

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("crisis log entries cannot be updated")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("crisis log entries cannot be deleted")


class CrisisEntry(models.Model):
    """One entry of the crisis log ("main courante"), chained to the previous by hash."""

    seq = models.PositiveBigIntegerField(unique=True)
    time = models.DateTimeField()
    author = models.CharField(max_length=150)
    role = models.CharField(max_length=16, blank=True, default="")
    kind = models.CharField(max_length=16, choices=_choices(CRISIS_KINDS))
    text = models.TextField()
    links = models.JSONField(default=list)
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )
    prev_hash = models.CharField(max_length=64, blank=True, default="")
    hash = models.CharField(max_length=64)

    objects = CrisisQuerySet.as_manager()

    class Meta:
        ordering: ClassVar[list[str]] = ["seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"crisis log entry #{self.seq} cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"crisis log entry #{self.seq} cannot be deleted")
