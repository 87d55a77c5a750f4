"""The recover commands as a user drives them: board, crisis, evidence, declare."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.cases.factories import make_incident
from typer.testing import CliRunner

from rempart.cases import CaseStore
from rempart.cli import app

runner = CliRunner()


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("REMPART_CASES_DB", raising=False)
    root = tmp_path / "ws"
    root.mkdir()
    CaseStore.open(root).save_incident(make_incident(hosts=3))
    return root


def run(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, list(args))
    return res.exit_code, res.output


def test_board_crisis_evidence_declare(ws: Path, tmp_path: Path) -> None:
    w = ("--workspace", str(ws))
    code, out = run("board", "add", "PC-001", "PC-002", "PC-003", *w)
    assert code == 0 and "3" in out and "compte système" in out
    code, out = run("board", "move", "PC-001", "PC-002", "--to", "isolé", "--as", "tech1", *w)
    assert code == 0 and "2 machine" in out and "compte système" not in out
    code, out = run("board", "move", "PC-001", "--to", "remis", *w)
    assert code != 0
    code, out = run("board", "--format", "csv", *w)
    assert out.startswith("host,zone") and "tech1" in out
    rows = json.loads(run("board", "--format", "json", *w)[1])
    assert {r["state"] for r in rows} == {"isole", "suspect"}
    code, out = run("crisis", "add", "Bascule en mode dégradé", "--kind", "décision", "--as",
                    "directeur", *w)  # fmt: skip
    assert code == 0 and "n° 2" in out  # #1 is the bulk move
    head = run("crisis", "head", *w)[1].strip()
    code, out = run("crisis", "verify", "--anchor", head, *w)
    assert code == 0 and "intègre" in out
    assert run("crisis", "verify", "--anchor", "f" * 64, *w)[0] == 1
    assert run("crisis", "list", *w)[1].count("#") >= 2
    report = tmp_path / "point.html"
    code, out = run("crisis", "report", "--format", "html", "--out", str(report), *w)
    assert code == 0 and head in report.read_text("utf-8")
    pack = tmp_path / "pack.zip"
    code, out = run("evidence", "export", "INC-2019-0001", "--out", str(pack), *w)
    assert code == 0 and pack.is_file()
    assert run("evidence", "verify", str(pack))[0] == 0
    out_json = tmp_path / "cert.json"
    code, out = run("declare", "cert-sante", "INC-2019-0001", "--out", str(out_json), *w)
    assert code == 0 and json.loads(out_json.read_text())["kind"] == "cert-sante"
    code, out = run("declare", "--due", *w)
    assert code == 0 and "cnil" in out and "complément" in out  # cert-sante issued
    assert "au besoin" in out  # its complementary report: as new facts come
