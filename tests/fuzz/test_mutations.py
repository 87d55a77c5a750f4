"""Mutated sample files of every source and loader (issue 21): no exception but a
RempartError, and a file with one mutated record line keeps all its other records.

Bounded for the suite (a few examples per format); `make fuzz` runs the same cases by the
thousand (`bench/fuzz_sources.py`).
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.fuzz.harness import FORMATS, MUTATIONS, SKIPPED, Case, baseline, judge, run_case

EXAMPLES = int(os.environ.get("REMPART_FUZZ_EXAMPLES", "8"))  # (more for a longer look)


def cases(fmt: str) -> st.SearchStrategy[Case]:
    return st.builds(
        Case,
        fmt=st.just(fmt),
        mutation=st.sampled_from(MUTATIONS),
        line=st.integers(0, 1 << 16),
        position=st.integers(0, 1 << 16),
        payload=st.one_of(
            st.binary(min_size=1, max_size=12),
            st.sampled_from([b"\n", b"\r\n", b"\xc3", b"\xed\xa0\x80", b'"', b"\\", b"\x00"]),
        ),
    )


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_clean_sample_is_read_whole(fmt: str) -> None:
    full = baseline(fmt)
    if FORMATS[fmt].records:
        assert full is not None and full > 0


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_one_mutated_line_costs_at_most_its_record(fmt: str) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=timedelta(seconds=10),
        suppress_health_check=[HealthCheck.too_slow],
        database=None,
    )
    @given(case=cases(fmt))
    def check(case: Case) -> None:
        verdict = judge(case, run_case(case))
        assert verdict.crash is None, (case, verdict.crash)
        assert verdict.loss is None, (case, verdict.loss)

    check()


def test_evtx_is_skipped_with_its_reason() -> None:
    assert SKIPPED.get("evtx")
