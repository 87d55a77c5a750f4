"""Alert emails, free text, CSV, MISP feeds and STIX 2.1 written by the tests."""

from __future__ import annotations

import json
from pathlib import Path

from tests.sources.intel.alerts import SENT, alert_email, make_pdf

from rempart.sources.intel import normalise, read_intel, refang, sniff_format

TEXT = """Bonjour,

Le CERT Santé a observé une campagne visant des établissements de santé.
Expéditeur : facturation[at]biosud-labos[.]fr (domaine biosud-labos(dot)fr)
Lien : hxxp://docs-facture-partage[.]top/fa/2019-0412/Facture_FA-2019-03-0412.zip
Serveurs de commande : [203.0.113.66] et 198.51.100[.]99, bloc 192.0.2.0/24
Adresse interne de la victime (à ne pas bloquer) : 10.3.4.5
User-Agent: Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.1; Qbot)
JA3 : 51c64c77e60f3980eea90869b68c58a8
Avis complet : https://esante.gouv.fr/alertes/2024-0312
"""
HTML = """<html><body><p>Empreintes :</p><table>
<tr><th>fichier</th><th>SHA-256</th></tr>
<tr><td>Facture_FA-2019-03-0412.zip</td>
<td>0c2dd5d6f1a1a6c1a7f2a9a4b9e0a3b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7</td></tr>
<tr><td>loader.dll</td><td>44d88612fea8a8f36de82e1278abb02f</td></tr>
</table></body></html>"""
PDF_LINES = [
    "Annexe technique - indicateurs",
    "C2 secondaire : 198.51.100[.]120",
    "Domaine : update-securite-sante[.]top",
]


def _by_type(path: Path) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for b in read_intel(path):
        for i in b.indicators:
            out.setdefault(i.type, set()).add(i.value)
    return out


def test_alert_email_defanged_table_and_pdf(tmp_path: Path) -> None:
    path = tmp_path / "alerte.eml"
    path.write_bytes(alert_email(TEXT, html=HTML, pdf_lines=PDF_LINES))
    assert sniff_format(path).NAME == "eml"
    [batch] = read_intel(path)
    found = _by_type(path)
    assert found["email"] == {"facturation@biosud-labos.fr"}
    assert found["domain"] == {"biosud-labos.fr", "update-securite-sante.top"}
    assert found["url"] == {
        "http://docs-facture-partage.top/fa/2019-0412/Facture_FA-2019-03-0412.zip"
    }
    assert found["ip"] == {"203.0.113.66", "198.51.100.99", "198.51.100.120"}  # PDF's too
    assert found["cidr"] == {"192.0.2.0/24"}
    assert found["sha256"] == {"0c2dd5d6f1a1a6c1a7f2a9a4b9e0a3b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7"}
    assert found["md5"] == {"44d88612fea8a8f36de82e1278abb02f"}
    assert found["ja3"] == {"51c64c77e60f3980eea90869b68c58a8"}
    assert found["user_agent"] == {"Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.1; Qbot)"}
    assert {"facture_fa-2019-03-0412.zip", "loader.dll"} <= found["filename"]
    # the alert's sender and date are the source; its TLP is kept
    ind = next(i for i in batch.indicators if i.value == "203.0.113.66")
    assert ind.source.startswith("alerte@esante.gouv.fr (2024-03-12 09:30)")
    assert ind.first_seen == SENT and ind.tlp == "amber"
    # the agency's own link and the victim's private address are rejects, with their reason
    reasons = {(r.reason, r.detail) for r in batch.rejects}
    assert ("intel.sender_domain", "https://esante.gouv.fr/alertes/2024-0312") in reasons
    assert ("intel.private_address", "10.3.4.5") in reasons
    private = next(r for r in batch.rejects if r.detail == "10.3.4.5")
    assert private.line == 7 and "adresse privée" in private.text("fr")
    assert "private" in private.text("en")


def test_free_text_and_pdf_files(tmp_path: Path) -> None:
    text = tmp_path / "avis.txt"
    text.write_text("Bloquer evil-c2[.]top et hxxps://203.0.113[.]5/gate.php\n", "utf-8")
    assert _by_type(text) == {"domain": {"evil-c2.top"}, "url": {"https://203.0.113.5/gate.php"}}
    pdf = tmp_path / "rapport.pdf"
    pdf.write_bytes(make_pdf(PDF_LINES))
    assert _by_type(pdf)["ip"] == {"198.51.100.120"}


def test_refang_and_normalise() -> None:
    assert refang("hxxps://evil[.]example(dot)com/a") == "https://evil.example.com/a"
    assert refang("user[at]evil[.]top") == "user@evil.top"
    assert normalise("", "[198.51.100.7]") == ("ip", "198.51.100.7", None)
    assert normalise("", "198.51.100.7:8443") == ("ip", "198.51.100.7", 8443)
    assert normalise("ip", "10.0.0.0/8") == ("cidr", "10.0.0.0/8", None)
    assert normalise("", "EVIL.Example.COM.") == ("domain", "evil.example.com", None)
    assert normalise("url", "HXXP://Evil[.]Top/Path") == ("url", "http://evil.top/Path", None)


def test_csv_with_header_and_rejects(tmp_path: Path) -> None:
    path = tmp_path / "iocs.csv"
    path.write_text(
        "value;type;tlp;confidence;expiry;source;comment\n"
        "203.0.113.66;ip;amber;90;2030-01-01;ANSSI;C2\n"
        "evil[.]top;;green;;;;\n"
        "not a domain;domain;;;;;\n"
        "198.51.100.1;ip;purple;;;;\n",
        "utf-8",
    )
    assert sniff_format(path).NAME == "csv"
    [batch] = read_intel(path)
    assert [(i.value, i.type, i.tlp, i.confidence, i.source) for i in batch.indicators] == [
        ("203.0.113.66", "ip", "amber", 90, "ANSSI"),
        ("evil.top", "domain", "green", None, "CSV iocs.csv"),
    ]
    assert batch.indicators[0].expiry is not None
    assert [(r.line, r.reason) for r in batch.rejects] == [
        (4, "intel.bad_domain"),
        (5, "intel.bad_tlp"),
    ]


def test_misp_feed_folder(tmp_path: Path) -> None:
    uuid = "5f6a1b2c-0000-4000-8000-000000000001"
    event = {
        "Event": {
            "uuid": uuid, "info": "Qbot campaign", "date": "2024-03-11",
            "Orgc": {"name": "CERT Santé"},
            "Tag": [{"name": "tlp:green"}],
            "Attribute": [
                {"type": "ip-dst|port", "value": "203.0.113.66|443", "to_ids": True},
                {"type": "domain", "value": "biosud-labos.fr", "to_ids": True,
                 "Tag": [{"name": "tlp:amber"}]},
                {"type": "regkey", "value": "HKCU\\Software\\x"},
            ],
            "Object": [{"Attribute": [{"type": "sha256", "value": "a" * 64}]}],
        }
    }  # fmt: skip
    (tmp_path / f"{uuid}.json").write_text(json.dumps(event), "utf-8")
    (tmp_path / "manifest.json").write_text(
        json.dumps({uuid: {"info": "Qbot campaign"}, "missing-uuid": {}}), "utf-8"
    )
    batches = read_intel(tmp_path)
    inds = [i for b in batches for i in b.indicators]
    assert [(i.type, i.value, i.port, i.tlp) for i in inds] == [
        ("ip", "203.0.113.66", 443, "green"),
        ("domain", "biosud-labos.fr", None, "amber"),
        ("sha256", "a" * 64, None, "green"),
    ]
    assert inds[0].source == "MISP CERT Santé: Qbot campaign (2024-03-11)"
    rejects = sorted((r.reason, r.detail) for b in batches for r in b.rejects)
    assert rejects == [("intel.feed_missing", "missing-uuid.json"), ("intel.misp_type", "regkey")]


def test_stix21_bundle_with_observed_data_and_tlp(tmp_path: Path) -> None:
    red = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"
    bundle = {
        "type": "bundle",
        "id": "bundle--1",
        "objects": [
            {"type": "identity", "id": "identity--a", "name": "ANSSI"},
            {"type": "indicator", "spec_version": "2.1", "id": "indicator--1",
             "created_by_ref": "identity--a", "confidence": 85, "object_marking_refs": [red],
             "pattern_type": "stix", "valid_from": "2024-03-01T00:00:00Z",
             "valid_until": "2024-06-01T00:00:00Z",
             "pattern": "[network-traffic:dst_ref.value = '203.0.113.66' AND "
                        "network-traffic:dst_port = 443] OR [domain-name:value = 'evil.top']"},
            {"type": "indicator", "spec_version": "2.1", "id": "indicator--2",
             "pattern_type": "stix", "pattern": "[file:name MATCHES '^x.*']"},
            {"type": "indicator", "spec_version": "2.1", "id": "indicator--3",
             "pattern_type": "sigma", "pattern": "title: x"},
            {"type": "observed-data", "spec_version": "2.1", "id": "observed-data--1",
             "object_refs": ["ipv4-addr--1", "file--1"]},
            {"type": "ipv4-addr", "id": "ipv4-addr--1", "value": "198.51.100.99"},
            {"type": "file", "id": "file--1", "name": "loader.dll",
             "hashes": {"SHA-256": "B" * 64}},
        ],
    }  # fmt: skip
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle), "utf-8")
    [batch] = read_intel(path)
    got = [(i.type, i.value, i.port, i.tlp, i.confidence) for i in batch.indicators]
    assert got == [
        ("ip", "203.0.113.66", 443, "red", 85),
        ("domain", "evil.top", None, "red", 85),
        ("ip", "198.51.100.99", None, None, None),
        ("sha256", "b" * 64, None, None, None),
        ("filename", "loader.dll", None, None, None),
    ]
    assert batch.indicators[0].source == "STIX ANSSI"
    assert batch.indicators[0].expiry is not None
    assert sorted(r.reason for r in batch.rejects) == ["intel.pattern_type", "intel.stix_term"]


def test_ports_paths_and_ja3s_in_text(tmp_path: Path) -> None:
    path = tmp_path / "avis.txt"
    path.write_text(
        "Serveurs : 45[.]61[.]137[.]12 et 91.215.85[.]147:8443 (toujours ce port)\n"
        "Relais : 194.165.16.11:443, puis 194.165.16.11 sur d'autres ports\n"
        "Chemin de la porte : /ajax/loader.php (jamais dans une URL :"
        " hxxps://cdn-statements[.]click/inv/Q3-2026.js)\n"
        "JA3S du serveur : ec74a5c51106f0419184d0dd08fb05bc\n",
        "utf-8",
    )
    got = {(i.type, i.value, i.port) for b in read_intel(path) for i in b.indicators}
    assert {x for x in got if x[0] == "ip"} == {
        ("ip", "45.61.137.12", None),
        ("ip", "91.215.85.147", 8443),  # always written with its port
        ("ip", "194.165.16.11", None),  # also named alone: any port
    }
    assert {x[1] for x in got if x[0] == "uri"} == {"/ajax/loader.php"}
    assert {x[1] for x in got if x[0] == "ja3s"} == {"ec74a5c51106f0419184d0dd08fb05bc"}
    assert {x[1] for x in got if x[0] == "url"} == {"https://cdn-statements.click/inv/Q3-2026.js"}
