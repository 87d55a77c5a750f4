"""`rempart plan`: tables in French and English, export messages, the review table, exit
codes. The logic is tested on `rempart.app.plan` in tests/app/test_plan.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.contain.test_allowlist import _flow_table
from tests.contain.tools import tool_usable
from typer.testing import CliRunner

from rempart.cli import app
from rempart.core.errors import VitalCutRefused
from rempart.store import Store

SITUATION = {
    "observed_at": "2019-03-11T09:40:00Z",
    "infected": [{"ip": "10.1.0.23"}],
    "senders": ["rh@ch-exemp1e.fr"],
    "indicators": ["203.0.113.66"],
}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    result = CliRunner().invoke(app, ["init", "--workspace", str(ws)])
    assert result.exit_code == 0, result.output
    return ws


@pytest.fixture
def situation(tmp_path: Path) -> Path:
    p = tmp_path / "situation.json"
    p.write_text(json.dumps(SITUATION), encoding="utf-8")
    return p


def _plan(ws: Path, *args: str) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(
        app, ["plan", "--workspace", str(ws), *args], env={"COLUMNS": "200"}
    )
    return result.exit_code, result.output, result.exception


def test_plan_prints_plans_and_care_impact_in_french_and_english(
    workspace: Path, situation: Path
) -> None:
    code, out, _ = _plan(workspace, "--situation", str(situation), "--wide")
    assert code == 0, out
    assert "Plans de confinement" in out
    assert "refusé : confirmation requise" in out
    assert "Impact sur les soins : isolate" in out
    assert "Dossiers papier" in out  # the degraded procedure of the emergency service
    code, out, _ = _plan(workspace, "--situation", str(situation), "--lang", "en", "--wide")
    assert code == 0
    assert "Containment plans" in out
    assert "refused: confirmation needed" in out
    assert "the service's zone is isolated" in out


def test_plan_exports_the_chosen_plan_with_its_rollback(
    workspace: Path, situation: Path, tmp_path: Path
) -> None:
    out_file = tmp_path / "out" / "plan.nft"
    code, out, exc = _plan(
        workspace, "--situation", str(situation), "--export", "nftables", "--out", str(out_file)
    )
    assert code == 0, (out, exc)
    assert out_file.read_text().startswith("# Rempart containment plan block-lateral")
    assert (tmp_path / "out" / "plan.rollback.nft").exists()
    assert ("(nft -c)" if tool_usable("nftables") else "(parser") in out
    assert "1 action(s) hors pare-feu" in out  # the sender block (the indicator is an IP)
    code, out, _ = _plan(
        workspace, "--situation", str(situation), "--export", "nftables", "--out", str(out_file)
    )
    assert "inchangé" in out


def test_plan_refusal_is_an_error_exit(workspace: Path, situation: Path, tmp_path: Path) -> None:
    out_file = tmp_path / "iso.json"
    args = ["--situation", str(situation), "--plan", "isolate", "--export", "json"]
    code, _, exc = _plan(workspace, *args, "--out", str(out_file))
    assert code != 0
    assert isinstance(exc, VitalCutRefused)
    assert not out_file.exists()


def test_plan_reviews_observed_flows_for_the_egress_cut(workspace: Path, situation: Path) -> None:
    with Store(workspace / "rempart.duckdb") as store:
        store.append("network_flow", _flow_table())
    code, out, exc = _plan(workspace, "--situation", str(situation), "--plan", "cut-egress")
    assert code == 0, (out, exc)
    assert "Flux observés que la coupure arrêterait" in out
    assert "185.15.59.224:443" in out
