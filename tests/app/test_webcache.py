"""The console's memo: a result is kept while the workspace's data does not change, and
computed again (once) when the event store or the hospital model does."""

from __future__ import annotations

from pathlib import Path

from rempart.app import webcache
from rempart.store import Store


def _store(root: Path) -> None:
    with Store(root / "rempart.duckdb") as store:
        store.sql("CREATE TABLE IF NOT EXISTS bench_note (n INTEGER)")
        store.sql("INSERT INTO bench_note VALUES (1)")


def test_kept_until_the_store_or_the_model_changes(tmp_path: Path) -> None:
    _store(tmp_path)
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    def read() -> int:
        return webcache.memo(tmp_path, "t", None, compute, depends=("store", "model"))

    assert read() == 1 and read() == 1 and len(calls) == 1
    _store(tmp_path)  # a writer committed and closed
    assert read() == 2 and read() == 2
    (tmp_path / "hospital.yaml").write_text("hospital: {name: x}\n", encoding="utf-8")
    assert read() == 3
    # other arguments, other entries; forget drops them all
    assert webcache.memo(tmp_path, "t", "other", compute, depends=("store",)) == 4
    webcache.forget(tmp_path)
    assert read() == 5 and len(calls) == 5


def test_version_token_moves_with_the_store(tmp_path: Path) -> None:
    _store(tmp_path)
    before = webcache.version(tmp_path, ("store",))
    assert before.token == webcache.version(tmp_path, ("store",)).token
    _store(tmp_path)
    assert webcache.version(tmp_path, ("store",)).token != before.token


def test_bounded(tmp_path: Path) -> None:
    _store(tmp_path)
    for i in range(webcache.MAX_ENTRIES + 10):
        webcache.memo(tmp_path, "many", i, lambda: 0, depends=("store",))
    calls: list[int] = []
    webcache.memo(tmp_path, "many", 0, lambda: calls.append(1) or 0, depends=("store",))
    assert calls == [1]  # the oldest entry went first
    webcache.forget()
