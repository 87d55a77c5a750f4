"""Two processes writing incidents at once both succeed (SQLite WAL + busy timeout +
BEGIN IMMEDIATE), and a fresh workspace opened by both at once migrates once."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path
from typing import Any

from tests.cases.factories import make_incident

from rempart.cases import CaseStore

PER_PROCESS = 10


def _writer(root: str, tag: str, barrier: Any, out: Any) -> None:
    store = CaseStore.open(Path(root))
    barrier.wait(timeout=60)
    ids = []
    for i in range(PER_PROCESS):
        ids.append(store.save_incident(make_incident(f"{tag}-{i}"), actor=tag))
        # Both processes also save the same shared incident: one case, updated.
        ids.append(store.save_incident(make_incident("shared", hosts=i % 4 + 1), actor=tag))
        store.incidents()  # and read while the other writes
    out.put((tag, ids))


def _run(root: Path, *, migrate_first: bool) -> list[tuple[str, list[str]]]:
    if migrate_first:
        CaseStore.open(root)
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(2)
    out = ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(str(root), t, barrier, out)) for t in "ab"]
    for p in procs:
        p.start()
    results = [out.get(timeout=240) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    return results


def _check(root: Path, results: list[tuple[str, list[str]]]) -> None:
    store = CaseStore.open(root)
    summaries = store.incidents()
    assert len(summaries) == 2 * PER_PROCESS + 1
    ids = sorted(s.id for s in summaries)
    assert ids == [f"INC-2019-{n:04d}" for n in range(1, len(ids) + 1)]
    shared = {ident for _, got in results for ident in got[1::2]}
    assert len(shared) == 1
    assert len(store.audit_trail("incident")) == 4 * PER_PROCESS


def test_two_processes_write_at_once(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    _check(root, _run(root, migrate_first=True))


def test_two_processes_open_a_new_workspace_at_once(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    root.mkdir()
    _check(root, _run(root, migrate_first=False))
