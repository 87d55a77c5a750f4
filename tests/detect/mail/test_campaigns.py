"""Campaigns of related stored messages and the phishing detector over the store."""

from __future__ import annotations

from pathlib import Path

from tests.mail.helpers import HOSPITAL, PE, message, zip_bytes

from rempart.detect import DetectContext
from rempart.detect.mail.campaigns import campaign_of, campaigns, purge_csv
from rempart.detect.mail.phishing import PhishingDetector
from rempart.ingest.files import ingest_file
from rempart.store import Store


def _store_with_campaign(tmp_path: Path) -> Store:
    store = Store.memory()
    for i, rcpt in enumerate(["a@chu-test.fr", "b@chu-test.fr", "c@chu-test.fr"]):
        raw = (
            message(
                sender="RH <rh@chu-test-rh.fr>",
                subject=f"Prime exceptionnelle n°{i}",
                html='<a href="http://203.0.113.7/prime?id=1">voir</a>',
                attachments=[("prime.zip", zip_bytes({"prime.exe": PE}), "application/zip")],
            )
            .replace(b"bob@chu-test.fr", rcpt.encode())
            .replace(b"<test-1@", f"<camp-{i}@".encode())
        )
        (tmp_path / f"m{i}.eml").write_bytes(raw)
        ingest_file(store, tmp_path / f"m{i}.eml")
    (tmp_path / "ok.eml").write_bytes(
        message(sender="x@partner.example").replace(b"<test-1@", b"<ok@")
    )
    ingest_file(store, tmp_path / "ok.eml")
    return store


def test_campaigns_and_purge(tmp_path: Path) -> None:
    store = _store_with_campaign(tmp_path)
    camps = campaigns(store)
    assert len(camps) == 1
    assert camps[0].size == 3
    assert set(camps[0].recipients) == {"a@chu-test.fr", "b@chu-test.fr", "c@chu-test.fr"}
    camp = campaign_of(store, "<camp-1@chu-test.fr>")
    assert camp is not None
    assert camp.campaign_id == camps[0].campaign_id
    assert campaign_of(store, "<ok@chu-test.fr>") is None
    text = purge_csv(store, camp, tmp_path / "purge.csv")
    lines = text.splitlines()
    assert lines[0].startswith("campaign_id,message_id")
    assert len(lines) == 4


def test_phishing_detector(tmp_path: Path) -> None:
    store = _store_with_campaign(tmp_path)
    found = PhishingDetector().run(DetectContext(store, HOSPITAL))
    assert len(found) == 3
    assert all(f.entity.startswith("<camp-") for f in found)
    assert all(f.severity.value == "high" and "Score" in f.reason for f in found)


def test_campaign_grows_from_flagged_messages_only(tmp_path: Path) -> None:
    store = _store_with_campaign(tmp_path)
    # two ordinary messages sharing a newsletter link: a campaign only without findings
    for i in range(2):
        raw = message(
            sender=f"n{i}@partner.example", html='<a href="https://news.example/x">lettre</a>'
        )
        (tmp_path / f"n{i}.eml").write_bytes(raw.replace(b"<test-1@", f"<n{i}@".encode()))
        ingest_file(store, tmp_path / f"n{i}.eml")
    assert len(campaigns(store)) == 2
    from rempart.detect import run_detectors

    run_detectors(DetectContext(store, HOSPITAL), ["phishing"])
    found = campaigns(store)
    assert [c.size for c in found] == [3]
