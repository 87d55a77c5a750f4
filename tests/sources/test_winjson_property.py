"""Property: the Windows JSON source never crashes, and every non-blank line is accounted for."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rempart.ingest.files import FileStatus, ingest_file
from rempart.sources.winevent import WinJsonSource
from rempart.store import Store

GOOD = '{"@timestamp": "2026-01-01T00:00:00Z", "Hostname": "PC", "EventID": 1}'
lines = st.one_of(
    st.just(GOOD),
    st.text(alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",))),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(lines, min_size=1, max_size=8))
def test_any_lines(tmp_path: Path, content: list[str]) -> None:
    path = tmp_path / "x.json"
    path.write_text("\n".join(["", *content]) + "\n", encoding="utf-8")
    store = Store.memory()
    res = ingest_file(store, path, source=WinJsonSource())
    assert res.status is FileStatus.INGESTED, res.error
    assert res.records + res.rejected == sum(1 for x in content if x.strip())
    assert res.records >= content.count(GOOD)
