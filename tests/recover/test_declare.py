"""Declarations of the demo incident: golden JSON per kind, PDFs that open and hold the same
text, answers merged, versions and clocks; the forms validate on load."""

from __future__ import annotations

import io
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pypdf
import pytest

from rempart.app import board as board_uc
from rempart.app import declare as uc
from rempart.app.demo import run_demo
from rempart.core.clock import FixedClock
from rempart.core.errors import ConfigError
from rempart.recover.declare import KINDS, Form, load_form, show
from rempart.store import Workspace

GOLDEN = Path(__file__).parent / "golden"
CLOCK = FixedClock(datetime(2019, 3, 11, 12, 0, tzinfo=UTC))


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = Workspace.at(tmp_path_factory.mktemp("declare") / "ws")
    result = run_demo(ws, seed=0, machines=400, rows=20_000, runs=5)
    assert result.incident is not None
    return ws.root


def test_demo_fills_its_board(demo_ws: Path) -> None:
    board = board_uc.open_board(demo_ws)
    rows = board.rows()
    assert rows and {r.state for r in rows} == {"suspect"}
    assert all(r.updated_by == "system" for r in rows)


@pytest.mark.parametrize("kind", KINDS)
def test_golden_json(demo_ws: Path, kind: str) -> None:
    r = uc.declare(demo_ws, kind, "INC-2019-0001", fmt="json", actor="rssi", clock=CLOCK,
                   record=False)  # fmt: skip
    text = r.data.decode("utf-8")
    golden = GOLDEN / f"{kind}.json"
    if os.environ.get("REMPART_UPDATE_GOLDEN"):
        golden.write_text(text, "utf-8")
    assert json.loads(text) == json.loads(golden.read_text("utf-8"))


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("kind", KINDS)
def test_pdf_opens_and_holds_the_same_text(demo_ws: Path, kind: str) -> None:
    r = uc.declare(demo_ws, kind, "INC-2019-0001", fmt="pdf", actor="rssi", clock=CLOCK,
                   record=False)  # fmt: skip
    reader = pypdf.PdfReader(io.BytesIO(r.data))
    pdf_text = _squash("".join(page.extract_text() for page in reader.pages))
    data = json.loads(next(iter(reader.attachments.values()))[0])
    for section in data["sections"]:
        assert _squash(section["title"]) in pdf_text
        for field in section["fields"]:
            assert _squash(field["label"]) in pdf_text
            value = _squash(show(field["value"], "fr"))
            assert value in pdf_text, (field["id"], value)


def test_english_answers_versions_and_clocks(demo_ws: Path) -> None:
    r = uc.declare(demo_ws, "cnil", "INC-2019-0001", lang="en", actor="rssi", clock=CLOCK,
                   answers={"people_count": 1200, "awareness": "2019-03-12T08:00:00Z"})  # fmt: skip
    data = json.loads(r.data)
    assert data["lang"] == "en" and data["title"].startswith("Personal-data breach")
    fields = {f["id"]: f["value"] for s in data["sections"] for f in s["fields"]}
    assert fields["people_count"] == 1200
    assert data["deadline"]["due"] == "2019-03-15T08:00:00Z"  # 72 h after awareness
    assert data["version"] == "initial"
    again = json.loads(uc.declare(demo_ws, "cnil", "INC-2019-0001", clock=CLOCK).data)
    assert again["version"] == "complementaire"
    with pytest.raises(ConfigError, match="unknown fields"):
        uc.declare(demo_ws, "cnil", "INC-2019-0001", answers={"nope": 1}, record=False)
    _, due = uc.due(demo_ws, "INC-2019-0001")
    by_kind: dict[str, uc.Deadline] = {}
    for d in due:
        by_kind.setdefault(d.kind, d)  # the first version owed
    assert by_kind["cnil"].version == "final"
    assert by_kind["nis2"].version == "initial"
    nis2 = by_kind["nis2"]
    assert nis2.start is not None and nis2.due is not None
    assert (nis2.due - nis2.start).total_seconds() == 24 * 3600
    notification = next(d for d in due if (d.kind, d.version) == ("nis2", "complementaire"))
    assert notification.due is not None and notification.start == nis2.start
    assert (notification.due - nis2.start).total_seconds() == 72 * 3600
    assert by_kind["plainte"].status(datetime(2030, 1, 1, tzinfo=UTC)) == "overdue"


def test_forms_validate_on_load() -> None:
    for kind in KINDS:
        assert load_form(kind).kind == kind
    bad = load_form("cnil").model_dump(by_alias=True)
    fields = bad["sections"][0]["fields"]
    bad["sections"][0]["fields"] = [*fields, dict(fields[0])]
    with pytest.raises(ValueError, match="duplicate"):
        Form.model_validate(bad)
    with pytest.raises(ConfigError):
        load_form("nope")
