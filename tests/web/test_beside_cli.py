"""The console polls while `rempart ingest` and `rempart detect` run from the command line on
the same workspace: every poll answers (counts, or "mise à jour en cours"), the CLI finishes
without a lock error, and the new file shows up without a reload."""

from __future__ import annotations

import inspect
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from rempart.store import Store

pytestmark = pytest.mark.slow

EML = """From: "Service facturation" <facturation@exemple-fournisseur.fr>
To: jean.dupont@chu-exemple.fr
Subject: Facture en retard
Message-ID: <beside-cli-1@exemple-fournisseur.fr>
Date: Mon, 11 Mar 2019 09:00:00 +0000
Content-Type: text/plain; charset=utf-8

Bonjour, veuillez régler la facture jointe avant ce soir.
"""


@pytest.mark.skipif(
    "wait" not in inspect.signature(Store.__init__).parameters,
    reason="needs the event store's bounded wait on a locked file (store.duck lock_wait)",
)
def test_polls_answer_while_the_cli_writes(
    web_workspace: Path,
    client_for: Callable[[str], object],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rempart.app import webread
    from rempart.app.dashboard import latest

    monkeypatch.setattr(webread, "LINGER", 0.0)  # release the file at once between polls
    webread.release_stores()
    before = latest(web_workspace)
    eml = tmp_path / "facture.eml"
    eml.write_text(EML, encoding="utf-8")
    client = client_for("lecture")
    cli = "from rempart.cli import main; main()"
    statuses: list[int] = []
    with subprocess.Popen(
        [sys.executable, "-c", f"{cli}", "ingest", str(eml), "-w", str(web_workspace)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as ingest:
        while ingest.poll() is None:
            r = client.get("/fragments/nouveau/", HTTP_HX_REQUEST="true")  # type: ignore[attr-defined]
            statuses.append(r.status_code)
            time.sleep(0.3)
        out = ingest.communicate()[0]
    assert ingest.returncode == 0, out
    detect = subprocess.run(
        [sys.executable, "-c", cli, "detect", "-w", str(web_workspace)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert detect.returncode == 0, detect.stdout + detect.stderr
    assert set(statuses) <= {200}
    body = client.get("/fragments/nouveau/", HTTP_HX_REQUEST="true").content.decode()  # type: ignore[attr-defined]
    after = latest(web_workspace)
    assert after.files == before.files + 1
    assert f"{after.files} fichiers" in body
    assert after.findings >= before.findings
