"""Intel parsers never crash: any bytes, and any JSON shaped like STIX or MISP, give
indicators or rejects."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from rempart.sources.intel import read_intel

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def _read(data: bytes, name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        for batch in read_intel(path):
            assert all(r.reason for r in batch.rejects)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=400), st.sampled_from(["a.json", "a.csv", "a.txt", "a.eml", "a.pdf"]))
def test_any_bytes(data: bytes, name: str) -> None:
    _read(data, name)


@settings(max_examples=80, deadline=None)
@given(_JSON, st.sampled_from(["stix", "misp"]))
def test_any_json_shaped_like_a_feed(value: object, kind: str) -> None:
    if kind == "stix":
        doc: object = {"type": "bundle", "id": "bundle--x", "objects": [
            {"type": "indicator", "pattern": value}, {"type": "observed-data", "objects": value},
            {"type": "observed-data", "object_refs": value}, value]}  # fmt: skip
    else:
        doc = {"Event": {"info": value, "Orgc": value, "Tag": value,
                         "Attribute": [value, {"type": "ip-dst", "value": value}],
                         "Object": value}}  # fmt: skip
    _read(json.dumps(doc).encode(), "feed.json")
