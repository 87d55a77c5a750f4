"""The "Renseignement" page: every role (allowed or 403), an import by upload (CSRF, audit
trail, values and sources shown as text, TLP shown, allowlist conflict shown, sightings
linked to their alert) and the exports (TLP respected).

The import writes indicators and findings: it runs on a copy of the session's workspace, the
console pointed at the copy for this module and back at the original afterwards.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.web.conftest import ROLES, csrf_token

pytestmark = pytest.mark.slow

IMPORTERS = {"administrateur", "analyste"}
EXPORTERS = {"administrateur", "analyste", "cellule", "technicien"}
HOSTILE_SOURCE = '<script>alert("src")</script> CERT'


@pytest.fixture(scope="module")
def intel_ws(web_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from rempart.app import webcache, webread
    from rempart.web.settings import setup

    webread.release_stores()
    copy = tmp_path_factory.mktemp("intel") / "ws"
    shutil.copytree(web_workspace, copy, ignore=shutil.ignore_patterns("twin", "reports"))
    setup(copy, hosts=("testserver",))
    yield copy
    webread.release_stores()
    webcache.forget()
    setup(web_workspace, hosts=("testserver",))


def _feed(ws: Path) -> tuple[bytes, str, str]:
    """A CSV feed: an address the flows reach (a sighting), the hospital's own domain (an
    allowlist conflict), a red and a hostile-looking URL; returns (csv, address, domain)."""
    from rempart.store import Store

    with Store(ws / "rempart.duckdb", read_only=True) as store:
        seen = store.sql(
            "SELECT dst_ip FROM network_flow WHERE dst_ip NOT LIKE '10.%' "
            "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        ).to_pylist()[0]["dst_ip"]
    domain = yaml.safe_load((ws / "hospital.yaml").read_text("utf-8"))["hospital"]["domains"][0]
    lines = [
        "value,type,tlp,confidence,source,comment",
        f'{seen},ip,amber,90,"{HOSTILE_SOURCE.replace(chr(34), chr(34) * 2)}",c2',
        f"{domain},domain,green,60,partner feed,own domain",
        "http://evil.example/<b>x</b>,url,red,80,partner feed,",
    ]
    return ("\n".join(lines) + "\n").encode(), str(seen), str(domain)


def _upload(client: Any, data: bytes, name: str = "feed.csv", token: str | None = None) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    payload: dict[str, object] = {"files": [SimpleUploadedFile(name, data, "text/csv")]}
    if token is not None:
        payload["csrfmiddlewaretoken"] = token
    return client.post("/renseignement/import/", payload)


@pytest.mark.parametrize("role", ROLES)
def test_intel_page_for_every_role(
    role: str, intel_ws: Path, client_for: Callable[[str], object]
) -> None:
    client = client_for(role)
    assert client.get("/renseignement/").status_code == 200  # type: ignore[attr-defined]
    body = client.get("/").content.decode()  # type: ignore[attr-defined]
    assert 'href="/renseignement/"' in body  # in the navigation of every role
    export = client.get("/renseignement/export/zeek/")  # type: ignore[attr-defined]
    assert export.status_code == (200 if role in EXPORTERS else 403)
    if role not in IMPORTERS:
        token = csrf_token(client, "/renseignement/")
        assert _upload(client, b"value\n203.0.113.9\n", token=token).status_code == 403


def test_import_without_csrf_token_is_refused(
    intel_ws: Path, client_for: Callable[[str], object]
) -> None:
    assert _upload(client_for("analyste"), b"value\n203.0.113.9\n").status_code == 403


def test_import_shows_indicators_conflicts_sightings_and_audits(
    intel_ws: Path, client_for: Callable[[str], object]
) -> None:
    from rempart.app.audit import trail

    data, seen, domain = _feed(intel_ws)
    client = client_for("analyste")
    token = csrf_token(client, "/renseignement/")
    response = _upload(client, data, name="../../<feed>.csv", token=token)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Import terminé" in body
    entry = [e for e in trail(intel_ws) if e.action == "intel.import"][-1]
    assert entry.actor == "u-analyste" and entry.origin == "127.0.0.7"
    assert entry.details["files"] == ["feed_.csv"] and entry.details["new"] == 3
    # the uploaded file was kept under its cleaned name, inside the workspace
    kept = list((intel_ws / "intel-imports").rglob("*.csv"))
    assert [p.name for p in kept] == ["feed_.csv"]

    page = client.get("/renseignement/").content.decode()  # type: ignore[attr-defined]
    assert seen in page and domain in page
    assert HOSTILE_SOURCE not in page and "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;src&quot;)&lt;/script&gt;" in page
    assert "<b>x</b>" not in page
    assert "TLP:AMBER" in page and "TLP:RED" in page
    conflicts = page.split("Conflits avec la liste blanche", 1)[1].split("</section>", 1)[0]
    assert domain in conflicts and "hospital.yaml" in conflicts
    sightings = page.split("<h2>Observations", 1)[1].split("</section>", 1)[0]
    assert seen in sightings and 'href="/alertes/' in sightings

    # filters: by type, by source; pagination bounded
    only = client.get("/renseignement/?type=domain").content.decode()  # type: ignore[attr-defined]
    assert "1 indicateur " in only or "1 indicateur<" in only
    assert client.get("/renseignement/?page=999&type=nope").status_code == 200  # type: ignore[attr-defined]


def test_exports_respect_tlp_and_are_audited(
    intel_ws: Path, client_for: Callable[[str], object]
) -> None:
    from rempart.app.audit import trail

    data, seen, domain = _feed(intel_ws)
    client = client_for("technicien")
    admin = client_for("administrateur")
    _upload(admin, data, token=csrf_token(admin, "/renseignement/"))
    nft = client.get("/renseignement/export/nftables/")  # type: ignore[attr-defined]
    assert nft.status_code == 200 and "attachment" in nft["Content-Disposition"]
    text = nft.content.decode()
    assert seen in text and domain not in text
    green = client.get("/renseignement/export/stix/?tlp=green")  # type: ignore[attr-defined]
    amber = client.get("/renseignement/export/stix/?tlp=amber")  # type: ignore[attr-defined]
    assert green.status_code == amber.status_code == 200
    # the sighting of the amber indicator is shared up to amber, withheld at green
    assert int(green["X-Rempart-Withheld"]) > int(amber["X-Rempart-Withheld"])
    assert client.get("/renseignement/export/exe/").status_code == 404  # type: ignore[attr-defined]
    formats = [e.details["format"] for e in trail(intel_ws) if e.action == "intel.export"]
    assert {"nftables", "stix"} <= set(formats)
