"""The crisis log's chain: any change, deletion, insertion or reordering made directly in the
database file (triggers dropped) is reported by `rempart crisis verify`."""

from __future__ import annotations

import itertools
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rempart.app import crisis
from rempart.cases import CaseStore
from rempart.recover.crisis import GENESIS, canonical, entry_hash

TABLE = "cases_crisisentry"
N = 6


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("crisis") / "ws"
    root.mkdir()
    CaseStore.open(root)
    kinds = ["decision", "action", "information", "point", "demande", "information"]
    for i in range(N):
        crisis.add(root, f"entrée {i} é", kind=kinds[i], links=[f"host:PC-{i}"], actor="alice")
    crisis.add(root, "correction de l'entrée 2", kind="information", corrects=2, actor="bob")
    head = crisis.head(root)
    return root, head


def test_chain_is_canonical_and_verifies(logged: tuple[Path, str]) -> None:
    root, head = logged
    entries = crisis.list_entries(root)
    assert entries[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    assert entries[-1].corrects == 2
    assert canonical({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()
    assert entry_hash(entries[0].content()) == entries[0].hash
    report = crisis.verify(root, anchor=head)
    assert report.ok and report.count == N + 1 and report.head == head


def _tamper(db: Path, op: str, a: int, b: int, text: str) -> None:
    con = sqlite3.connect(db)
    con.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_update")
    con.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_delete")
    if op == "change":
        col = ["text", "author", "kind", "time", "links", "role"][b % 6]
        value = {"links": '["x"]', "time": "2001-01-01 00:00:00"}.get(col, text)
        cur = con.execute(f"SELECT {col} FROM {TABLE} WHERE seq = ?", (a,)).fetchone()[0]
        if str(cur) == value:
            value = value + "!"
        con.execute(f"UPDATE {TABLE} SET {col} = ? WHERE seq = ?", (value, a))
    elif op == "delete":
        con.execute(f"DELETE FROM {TABLE} WHERE seq = ?", (a,))
    elif op == "delete_tail":
        con.execute(f"DELETE FROM {TABLE} WHERE seq >= ?", (a,))
    elif op == "insert":
        row = con.execute(f"SELECT * FROM {TABLE} WHERE seq = ?", (a,)).fetchone()
        cols = [d[0] for d in con.execute(f"SELECT * FROM {TABLE} LIMIT 1").description]
        values = dict(zip(cols, row, strict=True))
        con.execute(f"UPDATE {TABLE} SET seq = seq + 1000 WHERE seq >= ?", (a,))
        con.execute(f"UPDATE {TABLE} SET seq = seq - 999 WHERE seq >= 1000")
        values.pop("id")
        values["seq"] = a
        values["text"] = text
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        con.execute(f"INSERT INTO {TABLE} ({names}) VALUES ({marks})", list(values.values()))
    elif op == "swap":
        if a == b:
            b = a % N + 1
        con.execute(f"UPDATE {TABLE} SET seq = 999999 WHERE seq = ?", (a,))
        con.execute(f"UPDATE {TABLE} SET seq = ? WHERE seq = ?", (a, b))
        con.execute(f"UPDATE {TABLE} SET seq = ? WHERE seq = 999999", (b,))
    con.commit()
    con.close()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    op=st.sampled_from(["change", "delete", "delete_tail", "insert", "swap"]),
    a=st.integers(1, N + 1),
    b=st.integers(1, N + 1),
    text=st.text(min_size=1, max_size=20),
)
def test_any_tampering_is_reported(
    logged: tuple[Path, str], op: str, a: int, b: int, text: str
) -> None:
    root, head = logged
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "ws"
        shutil.copytree(root, copy)
        _tamper(copy / "cases.sqlite3", op, a, b, text)
        report = crisis.verify(copy, anchor=head)
        assert not report.ok, (op, a, b, text)
        assert report.broken_at is not None and report.reason
    CaseStore.open(root)  # Django back on the untouched workspace


def test_without_anchor_a_tail_deletion_needs_the_printed_head(logged: tuple[Path, str]) -> None:
    """The documented limit: deleting the last entries leaves a valid shorter chain; only the
    anchor (printed head hash) catches it."""
    root, head = logged
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "ws"
        shutil.copytree(root, copy)
        _tamper(copy / "cases.sqlite3", "delete_tail", N, 0, "")
        assert crisis.verify(copy).ok
        assert not crisis.verify(copy, anchor=head).ok
    CaseStore.open(root)


def test_situation_report_carries_the_head(logged: tuple[Path, str], tmp_path: Path) -> None:
    root = tmp_path / "ws2"
    shutil.copytree(logged[0], root)
    head = crisis.head(root)
    rep = crisis.situation_report(root, next_meeting="14 h, salle de crise")
    assert head in rep.html and "14 h, salle de crise" in rep.html
    assert "entrée 4" in rep.html  # the open request (decision #1 came before the point)
    assert crisis.list_entries(root)[-1].kind == "point"
    CaseStore.open(logged[0])


def test_ed25519_signatures(tmp_path: Path) -> None:
    from rempart.recover.crisis import Entry
    from rempart.recover.signing import SIG_PREFIX, check_signatures

    root = tmp_path / "ws"
    root.mkdir()
    CaseStore.open(root)
    crisis.add(root, "Décision signée", kind="decision", actor="directeur")
    public = crisis.keygen(tmp_path / "directeur.pem")
    with pytest.raises(Exception, match="never overwritten"):
        crisis.keygen(tmp_path / "directeur.pem")
    signed = crisis.sign(root, 1, tmp_path / "directeur.pem", actor="directeur")
    assert f"{SIG_PREFIX}{public}:" in signed.links[1]
    (sig,) = crisis.signatures(root)
    assert sig.valid and sig.entry == 1 and sig.author == "directeur"
    assert crisis.verify(root).ok
    # the same signature over another entry's hash does not hold
    first = crisis.list_entries(root)[0]
    forged = Entry(1, first.time, first.author, first.role, first.kind, "autre", (), None,
                   first.prev_hash, "0" * 64)  # fmt: skip
    assert not check_signatures([forged, signed])[0].valid


@pytest.mark.parametrize("op", ["change", "delete", "insert", "swap", "delete_tail"])
def test_the_command_reports_the_first_broken_link(
    logged: tuple[Path, str], tmp_path: Path, op: str
) -> None:
    """`rempart crisis verify --anchor HEAD` as a user runs it: exit 1, the entry named."""
    from typer.testing import CliRunner

    from rempart.cli import app

    root, head = logged
    copy = tmp_path / "ws"
    shutil.copytree(root, copy)
    _tamper(copy / "cases.sqlite3", op, 3, 4, "réécrit")
    res = CliRunner().invoke(
        app, ["crisis", "verify", "--anchor", head, "--workspace", str(copy), "--lang", "en"]
    )
    assert res.exit_code == 1, res.output
    text = " ".join(res.output.split())
    assert "first broken link at entry #" in text
    CaseStore.open(root)
