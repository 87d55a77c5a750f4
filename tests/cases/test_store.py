"""The case store: stable ids, updates not duplicates, states, audit, users."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from tests.cases.factories import make_incident

from rempart.cases import (
    CaseError,
    CaseNotFound,
    CaseStore,
    InvalidTransition,
    InvalidValue,
    incident_kind,
)


def test_stable_id_per_year_and_sequence(store: CaseStore) -> None:
    a = store.save_incident(make_incident("k-a"))
    b = store.save_incident(make_incident("k-b"))
    c = store.save_incident(make_incident("k-c", first_seen=datetime(2022, 6, 1, 8)))
    assert (a, b, c) == ("INC-2019-0001", "INC-2019-0002", "INC-2022-0001")


def test_saving_again_updates_not_duplicates(store: CaseStore) -> None:
    first = store.save_incident(make_incident(hosts=2))
    again = store.save_incident(make_incident(hosts=5, title="Propagation (mise à jour)"))
    assert again == first
    (summary,) = store.incidents()
    assert summary.id == first and summary.title == "Propagation (mise à jour)"
    assert len(store.incident(first).hosts) == 5


def test_incident_round_trips_through_json(store: CaseStore) -> None:
    incident = make_incident()
    ident = store.save_incident(incident)
    assert store.incident(ident) == incident
    assert store.incident(incident.id) == incident  # by its own id too
    assert store.case_id(incident.id) == ident


def test_unknown_incident(store: CaseStore) -> None:
    with pytest.raises(CaseNotFound):
        store.incident("INC-1999-0042")
    with pytest.raises(LookupError):
        store.set_state("INC-1999-0042", "closed", actor="a")


def test_summary_fields(store: CaseStore) -> None:
    ident = store.save_incident(make_incident())
    (s,) = store.incidents()
    assert (s.id, s.kind, s.severity, s.state) == (ident, "lateral_movement", "critical", "open")
    assert s.first_seen.tzinfo is not None and s.first_seen.hour == 9
    assert incident_kind(make_incident(hosts=1)) == "compromise"


def test_state_transitions(store: CaseStore) -> None:
    ident = store.save_incident(make_incident())
    store.set_state(ident, "contained", actor="rssi")
    assert store.state(ident) == "contained"
    assert [s.id for s in store.incidents(state="contained")] == [ident]
    assert store.incidents(state="open") == []
    store.set_state(ident, "closed", actor="rssi")
    with pytest.raises(InvalidTransition):
        store.set_state(ident, "contained", actor="rssi")  # closed -> contained: reopen first
    with pytest.raises(InvalidTransition):
        store.set_state(ident, "closed", actor="rssi")  # already closed
    with pytest.raises(InvalidValue):
        store.set_state(ident, "solved", actor="rssi")
    with pytest.raises(InvalidValue):
        store.incidents(state="solved")
    assert store.state(ident) == "closed"
    store.set_state(ident, "open", actor="rssi", reason="nouvelle propagation")
    # Saving the incident again keeps its state.
    store.save_incident(make_incident(hosts=3))
    assert store.state(ident) == "open"


def test_every_write_is_audited(store: CaseStore) -> None:
    ident = store.save_incident(make_incident(), actor="detect")
    store.save_incident(make_incident(hosts=3), actor="detect")
    store.set_state(ident, "contained", actor="rssi", reason="VLAN isolé")
    with pytest.raises(InvalidTransition):
        store.set_state(ident, "contained", actor="rssi")  # refused: nothing recorded
    store.add_user("alice", "analyste", "cheval correct agrafe")
    store.set_password("alice", "batterie cheval agrafe", actor="admin")
    store.set_role("alice", "cellule", actor="admin")
    store.disable_user("alice", actor="admin")
    web = store.from_origin("192.0.2.10")
    web.audit("alice", "plan.confirm", "plan", "P1", {"reason": "coupure vitale acceptée"})
    trail = store.audit_trail()
    assert [(a.actor, a.action, a.object_id) for a in trail] == [
        ("detect", "incident.create", ident),
        ("detect", "incident.update", ident),
        ("rssi", "incident.state", ident),
        ("system", "user.add", "alice"),
        ("admin", "user.passwd", "alice"),
        ("admin", "user.role", "alice"),
        ("admin", "user.disable", "alice"),
        ("alice", "plan.confirm", "P1"),
    ]
    assert trail[2].details == {"from": "open", "to": "contained", "reason": "VLAN isolé"}
    assert [a.origin for a in trail[-2:]] == ["cli", "192.0.2.10"]
    assert [a.action for a in store.audit_trail("incident", ident)][-1] == "incident.state"
    assert all(a.at.tzinfo is not None for a in trail)


def test_users_argon2_roles_and_disable(store: CaseStore) -> None:
    from django.contrib.auth.models import User

    store.add_user("admin", "administrateur", "un mot de passe long")
    store.add_user("tech", "technicien", "encore un mot de passe")
    assert User.objects.get(username="admin").password.startswith("argon2$argon2id$")
    assert [(u.name, u.role, u.active) for u in store.users()] == [
        ("admin", "administrateur", True),
        ("tech", "technicien", True),
    ]
    assert store.check_password("admin", "un mot de passe long")
    assert not store.check_password("admin", "faux mot de passe")
    store.set_password("admin", "nouveau mot de passe")
    assert store.check_password("admin", "nouveau mot de passe")
    store.disable_user("tech")
    assert not store.check_password("tech", "encore un mot de passe")
    assert store.role("tech") == "technicien"
    with pytest.raises(CaseError, match="already exists"):
        store.add_user("admin", "lecture", "un mot de passe long")
    with pytest.raises(InvalidValue):
        store.add_user("x", "chef", "un mot de passe long")
    with pytest.raises(InvalidValue):
        store.add_user("x", "lecture", "court")
    with pytest.raises(CaseNotFound):
        store.disable_user("personne")


def test_workspaces_are_separate(tmp_path: Path, store: CaseStore) -> None:
    store.save_incident(make_incident())
    other = CaseStore.open(tmp_path / "autre")
    assert other.incidents() == []
    other.save_incident(make_incident("k-other"))
    # The first store re-points Django at its own workspace when used again.
    assert [s.id for s in store.incidents()] == ["INC-2019-0001"]
    assert len(other.incidents()) == 1
    assert (tmp_path / "autre" / "cases.sqlite3").is_file()


def test_injected_clock(workspace: Path) -> None:
    fixed = datetime(2024, 1, 2, 3, 4, 5)
    store = CaseStore.open(workspace, now=lambda: fixed)
    store.save_incident(make_incident())
    (s,) = store.incidents()
    assert s.updated_at.replace(tzinfo=None) == fixed


def test_current_uses_the_configured_database(store: CaseStore) -> None:
    ident = store.save_incident(make_incident())
    here = CaseStore.current(origin="192.0.2.7")
    assert here.root is None
    here.set_state(ident, "closed", actor="web")
    assert store.state(ident) == "closed"
    assert store.audit_trail()[-1].origin == "192.0.2.7"
