"""The main commands speak one language: `--lang en` prints no French sentence, and French
(the default) prints no English sentence of the catalogue.

What comes from data keeps its language and is removed first: the hospital's names (written
by the hospital), file paths, e-mail subjects. Reject reasons and errors are rendered from
catalogue keys, so they follow `--lang` too.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rempart.cli import app
from rempart.core.i18n import CATALOG
from rempart.model import load_hospital
from rempart.store import Store, Workspace

FRENCH_WORDS = (" le ", " la ", " les ", " des ", " du ", " une ", " est ", " sur ", " aucun ",
                " pour ", " avec ", " dans ", " fichier ")  # fmt: skip
ACCENTS = re.compile("[éèêàçùôî«»]")


def _french(text: str, data: list[str]) -> list[str]:
    for value in sorted((d for d in data if d), key=len, reverse=True):
        text = text.replace(value, "<data>")
    return [
        line.strip()
        for line in text.splitlines()
        if ACCENTS.search(line) or any(w in f" {line.lower()} " for w in FRENCH_WORDS)
    ]


def _english_sentences() -> set[str]:
    """Catalogue English texts that are sentences (several words, differing from French);
    reject reasons and errors from two words."""
    found = set()
    for key, entry in CATALOG.items():
        en = entry["en"]
        short = key.startswith(("reject.", "error.", "model.", "users."))
        if "{" in en or len(en.split()) < (2 if short else 4) or en == entry["fr"]:
            continue
        found.add(en.rstrip(".…:"))
    return found


def _english(text: str, data: list[str]) -> list[str]:
    for value in sorted((d for d in data if d), key=len, reverse=True):
        text = text.replace(value, "<data>")
    flat = " ".join(text.split())
    return sorted(s for s in _english_sentences() if s in flat)


def _run(ws: Path, tmp: Path, lang: list[str]) -> tuple[str, list[str]]:
    """Every main command on a small twin, with `lang` added; their output and the data."""
    runner = CliRunner()
    out: list[str] = []
    w = str(ws)

    def run(*args: str, ok: bool = True, stdin: str | None = None) -> None:
        res = runner.invoke(app, [*args, *lang], input=stdin)
        if ok:
            assert res.exit_code == 0, (args, res.output)
        out.append(res.output)

    run("twin", "generate", "-w", w, "--machines", "200", "--seed", "2")
    scn = tmp / "scn"
    run("twin", "scenario", "montpellier", "-w", w, "--out", str(scn), "--rows", "2000",
        "--runs", "5")  # fmt: skip
    bad = tmp / "in" / "bad"
    bad.mkdir(parents=True)
    (bad / "conn.log").write_text(
        "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\n"
        "xx\tC1\t10.0.0.1\t1\t10.0.0.2\t80\n1700000000.0\tC2\tnope\t1\t10.0.0.2\t80\n",
        encoding="utf-8",
    )
    (bad / "notes.txt").write_text("rien de lisible ici\n", encoding="utf-8")
    run("ingest", "-w", w, str(scn), str(bad), ok=False)
    run("detect", "-w", w)
    run("alerts", "-w", w)
    run("incident", "-w", w)
    run("plan", "-w", w, ok=False)
    run("report", "-w", w, "--format", "json", "--out", str(tmp / "r.json"), ok=False)
    run("board", "-w", w, ok=False)
    run("crisis", "list", "-w", w, ok=False)
    run("declare", "due", "-w", w, ok=False)
    run("users", "add", "alice", "--role", "cellule", "--password-stdin", "-w", w,
        stdin="un-mot-de-passe-long\n")  # fmt: skip
    run("users", "list", "-w", w)
    run("crisis", "verify", "-w", w, ok=False)
    run("intel", "list", "-w", w, ok=False)
    run("triage", str(bad / "conn.log"), ok=False)
    # errors a user meets often, through the entry point that prints them after "erreur :"
    broken = tmp / "broken"
    broken.mkdir()
    (broken / "hospital.yaml").write_text("hospital: [unclosed\n", encoding="utf-8")
    cidr = tmp / "cidr"
    cidr.mkdir()
    (cidr / "hospital.yaml").write_text(
        "hospital:\n  name: X\nzones:\n  - id: a\n    name: A\n    cidrs: [10.0.0.0/33]\n",
        encoding="utf-8",
    )
    for args in (
        ["detect", "-w", str(tmp / "nowhere")],
        ["ingest", "-w", w, str(tmp / "missing.log")],
        ["detect", "-w", str(broken)],
        ["detect", "-w", str(cidr)],
        ["users", "role", "bob", "--role", "analyste", "-w", w],
    ):
        res = subprocess.run(
            [sys.executable, "-c", "from rempart.cli import main; main()", *args, *lang],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "COLUMNS": "400"},
        )
        assert res.returncode != 0 and res.stderr.strip(), args
        assert "Traceback" not in res.stderr, res.stderr
        out.append(res.stdout + res.stderr)
    hospital = load_hospital(ws / "hospital.yaml")
    data = [hospital.hospital.name, *(s.name for s in hospital.services)]
    data += [z.name for z in hospital.zones if z.name]
    data += [str(tmp), "rien de lisible ici"]
    with Store(Workspace.at(ws).db_path, read_only=True) as store:
        data += [s for (s,) in store.con.execute("SELECT subject FROM email").fetchall() if s]
    return "\n".join(out), data


@pytest.mark.slow
def test_english_commands_print_no_french(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # wide lines through the environment: setting a console's width would outlive the test
    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.delenv("REMPART_CASES_DB", raising=False)
    text, data = _run(tmp_path / "ws", tmp_path, ["--lang", "en"])
    assert "implausible" in text or "bad" in text  # reject reasons were shown
    found = _french(text, data)
    assert found == [], "\n".join(found)


@pytest.mark.slow
def test_french_commands_print_no_english_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # wide lines through the environment: setting a console's width would outlive the test
    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.delenv("REMPART_CASES_DB", raising=False)
    text, data = _run(tmp_path / "ws", tmp_path, [])
    found = _english(text, data)
    assert found == [], "\n".join(found)
    # the Sources page's data: reasons in the page's language, the stored wording kept
    from rempart.app.sources_view import sources

    fr, en = sources(tmp_path / "ws", "fr"), sources(tmp_path / "ws", "en")
    assert fr.rejects and all(r.reason == r.stored for r in en.rejects)
    assert all(r.reason != r.stored for r in fr.rejects)
    assert json.dumps("é") and re.search("[éè]", text)  # French was printed
