"""The retro-hunt on every kind of stored event: positive and negative cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from tests.detect.network.flowdata import Flows

from rempart.app.intel import allowlist_rows, hunt_new_files, indicator_rows
from rempart.core.clock import FixedClock
from rempart.detect import DETECTORS, DetectContext, run_detectors
from rempart.detect.intel import hunt
from rempart.model.hospital import Hospital, HospitalInfo, Partner
from rempart.schema import EVENT_CLASSES
from rempart.sources.intel import Indicator, IntelBatch
from rempart.store import Store
from rempart.store import intel as ioc_store
from rempart.store.engine import Engine

T0 = datetime(2024, 3, 12, 8, 0, tzinfo=UTC)
SHA = "0c2dd5d6f1a1a6c1a7f2a9a4b9e0a3b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7"


def _prov(n: int, file: str = "f1") -> dict[str, object]:
    return {"event_uid": f"{file}:{n}", "source_file": file, "source_line": n,
            "source_format": "test"}  # fmt: skip


def _rows(table: str, rows: list[dict[str, object]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=EVENT_CLASSES[table])


def indicators(*items: tuple[str, str]) -> pa.Table:
    batch = IntelBatch(Path("test"), "test", "CERT Santé")
    for kind, value in items:
        assert batch.add(kind, value), batch.rejects
    return indicator_rows([batch], T0)


def store_with_events() -> Store:
    store = Store.memory()
    f = Flows()
    f.background(1)
    for k in range(4):
        f.add(10 + k * 30, "10.1.0.7", "203.0.113.66", 443)  # beacons to a C2
    f.add(12, "10.1.0.8", "203.0.113.66", 80)  # same address, another port
    f.add(13, "198.51.100.20", "10.1.0.30", 3389)  # inbound from a listed block
    f.add(14, "10.1.0.9", "192.0.2.44", 443)  # not listed
    store.append("network_flow", pa.Table.from_pylist(f.rows, schema=EVENT_CLASSES["network_flow"]))
    dns = [
        {"time": T0, "src_ip": "10.1.0.11", "dst_ip": "10.9.0.53", "record_kind": "dns",
         "dns_query": "cdn.update.evil-c2.top", **_prov(1, "dns")},
        {"time": T0, "src_ip": "10.1.0.12", "dst_ip": "10.9.0.53", "record_kind": "dns",
         "dns_query": "notevil-c2.top", **_prov(2, "dns")},
    ]  # fmt: skip
    store.append("network_flow", _rows("network_flow", dns))
    mails = [
        {"time": T0, "message_id": "<m1@biosud-labos.fr>", "subject": "Facture",
         "from_addr": "facturation@biosud-labos.fr", "to_addrs": ["a@chu.fr", "b@chu.fr"],
         "cc_addrs": [], "urls": ["http://docs-facture-partage.top/fa/x.zip"],
         "attachments": [{"name": "Facture.zip", "content_type": "application/zip",
                          "size": 10, "sha256": SHA}], **_prov(1, "mbox")},
        {"time": T0, "message_id": "<m2@ok.fr>", "subject": "Menu", "from_addr": "chef@ok.fr",
         "to_addrs": ["c@chu.fr"], "cc_addrs": [], "urls": ["https://ok.fr/menu"],
         "attachments": [], **_prov(2, "mbox")},
    ]  # fmt: skip
    store.append("email", _rows("email", mails))
    procs = [
        {"time": T0, "host": "PC-7", "image": "C:\\Users\\a\\AppData\\loader.dll",
         "command_line": "rundll32.exe loader.dll,Start", **_prov(1, "evtx"),
         "fields": [("Hashes", f"SHA1=AB,MD5=44D88612FEA8A8F36DE82E1278ABB02F,SHA256={SHA}")]},
        {"time": T0, "host": "PC-8", "image": "C:\\Windows\\System32\\cmd.exe",
         "command_line": "cmd.exe /c VSSADMIN delete shadows /all /quiet", **_prov(2, "evtx"),
         "fields": []},
        {"time": T0, "host": "PC-9", "image": "C:\\Windows\\notepad.exe",
         "command_line": "notepad.exe", **_prov(3, "evtx"), "fields": []},
    ]  # fmt: skip
    store.append("process", _rows("process", procs))
    auth = [
        {"time": T0 + timedelta(hours=1), "user": "dr.x", "src_ip": "198.51.100.21",
         "service": "owa", "status": "success", **_prov(1, "iis")},
        {"time": T0, "user": "dr.y", "src_ip": "192.0.2.9", "service": "owa",
         "status": "success", **_prov(2, "iis")},
    ]  # fmt: skip
    store.append("authentication", _rows("authentication", auth))
    return store


ALL = (
    ("ip", "203.0.113.66:443"),
    ("cidr", "198.51.100.0/27"),
    ("domain", "evil-c2.top"),
    ("domain", "biosud-labos.fr"),
    ("url", "http://docs-facture-partage.top/fa/x.zip"),
    ("sha256", SHA),
    ("md5", "44d88612fea8a8f36de82e1278abb02f"),
    ("filename", "loader.dll"),
    ("command_line", "vssadmin delete shadows"),
)


def _hunt(store: Store, table: pa.Table) -> list[tuple[str, str, str, int]]:
    ioc_store.merge_indicators(store, table)
    engine = Engine.for_store(store)
    found = hunt(engine, ioc_store.hunt_table(store, T0), [
        "network_flow", "email", "process", "authentication"])  # fmt: skip
    return sorted((f.related[0], f.entity, f.evidence_class, f.evidence_count) for f in found)


def test_every_table_positive_and_negative() -> None:
    with store_with_events() as store:
        got = _hunt(store, indicators(*ALL))
    assert got == sorted(
        [
            ("198.51.100.0/27", "10.1.0.30", "network_flow", 1),  # inbound from the block
            ("198.51.100.0/27", "dr.x", "authentication", 1),  # a login from the block
            ("203.0.113.66", "10.1.0.7", "network_flow", 4),  # port 443 only: not 10.1.0.8's :80
            (SHA, "<m1@biosud-labos.fr>", "email", 1),  # attachment hash
            (SHA, "PC-7", "process", 1),  # Sysmon Hashes
            ("44d88612fea8a8f36de82e1278abb02f", "PC-7", "process", 1),
            ("biosud-labos.fr", "<m1@biosud-labos.fr>", "email", 1),  # sender's domain
            ("evil-c2.top", "10.1.0.11", "network_flow", 1),  # a subdomain, not notevil-c2.top
            ("http://docs-facture-partage.top/fa/x.zip", "<m1@biosud-labos.fr>", "email", 1),
            ("loader.dll", "PC-7", "process", 1),  # image name
            ("vssadmin delete shadows", "PC-8", "process", 1),  # command-line substring
        ]
    )


def test_findings_carry_evidence_and_recipients() -> None:
    with store_with_events() as store:
        ioc_store.merge_indicators(store, indicators(("domain", "biosud-labos.fr"),
                                                     ("ip", "203.0.113.66")))  # fmt: skip
        runs = run_detectors(DetectContext(store), ["intel_hunt"])
        assert runs[0].findings == 3 and runs[0].error is None
        rows = store.sql("SELECT * FROM finding ORDER BY entity").to_pylist()
    mail = next(r for r in rows if r["evidence_class"] == "email")
    assert mail["related"] == ["biosud-labos.fr", "a@chu.fr", "b@chu.fr"]
    assert mail["evidence"] == ["mbox:1"] and mail["severity"] == "high"
    beacon = next(r for r in rows if r["entity"] == "10.1.0.7")
    assert beacon["evidence_count"] == 4 and "CERT Santé" in beacon["reason"]
    assert "T1071" in beacon["attack"]


def test_detector_is_registered_and_idle_without_indicators() -> None:
    assert "intel_hunt" in DETECTORS.names()
    with store_with_events() as store:
        assert run_detectors(DetectContext(store), ["intel_hunt"])[0].findings == 0


def test_allowlist_stops_a_partner_and_shows_why() -> None:
    hospital = Hospital(
        hospital=HospitalInfo(name="CHU", domains=("chu.fr",)),
        partners=(
            Partner(
                id="labo", name="Labo", domains=("biosud-labo.fr",), addresses=("203.0.113.64/30",)
            ),
        ),
    )
    with store_with_events() as store:
        ioc_store.merge_indicators(store, indicators(
            ("ip", "203.0.113.66"), ("domain", "mail.biosud-labo.fr"),
            ("url", "https://intranet.chu.fr/x"), ("domain", "biosud-labos.fr")))  # fmt: skip
        marked = ioc_store.apply_allowlist(store, allowlist_rows(hospital, None))
        assert marked == 3
        why = {r["value"]: r["allowlisted"] for r in ioc_store.conflicts(store).to_pylist()}
        assert why == {
            "203.0.113.66": "hospital.yaml: partenaire labo",
            "mail.biosud-labo.fr": "hospital.yaml: partenaire labo",
            "https://intranet.chu.fr/x": "hospital.yaml: CHU",
        }
        live = ioc_store.hunt_table(store, T0).column("value").to_pylist()
        assert live == ["biosud-labos.fr"]  # the lookalike is still hunted


def test_duplicates_merge_with_all_sources() -> None:
    one = IntelBatch(Path("a"), "test", "ANSSI")
    one.add("ip", "203.0.113.66", tlp="green", confidence=60,
            first_seen=T0, last_seen=T0)  # fmt: skip
    two = IntelBatch(Path("b"), "test", "CERT Santé")
    two.add("ip", "203.0.113[.]66", tlp="amber", confidence=90,
            first_seen=T0 - timedelta(days=3), last_seen=T0 + timedelta(days=1))  # fmt: skip
    with Store.memory() as store:
        first = ioc_store.merge_indicators(store, indicator_rows([one], T0))
        second = ioc_store.merge_indicators(store, indicator_rows([two, one], T0))
        [row] = ioc_store.indicators(store).to_pylist()
    assert (first.new, first.merged, second.new, second.merged) == (1, 0, 0, 1)
    assert row["sources"] == ["ANSSI", "CERT Santé"]
    assert (row["tlp"], row["confidence"]) == ("amber", 90)
    assert row["first_seen"] == T0 - timedelta(days=3)
    assert row["last_seen"] == T0 + timedelta(days=1)


def test_expire() -> None:
    batch = IntelBatch(Path("a"), "test", "feed")
    batch.add("domain", "old.top", expiry=T0 - timedelta(days=1))
    batch.add("domain", "new.top", expiry=T0 + timedelta(days=1))
    batch.add("domain", "forever.top")
    with Store.memory() as store:
        ioc_store.merge_indicators(store, indicator_rows([batch], T0))
        assert ioc_store.hunt_table(store, T0).num_rows == 2  # expired: not hunted
        assert ioc_store.expire(store, T0) == 1
        assert sorted(ioc_store.counts(store).items()) == [("domain", 2)]


def test_hunt_over_new_files_only() -> None:
    with store_with_events() as store:
        ioc_store.merge_indicators(store, indicators(("domain", "biosud-labos.fr")))
        store.con.execute(
            "INSERT INTO ingest_log BY NAME SELECT 'd-mbox' AS file_sha256, 'mbox' AS path, "
            "'src' AS source, '1' AS source_version, 'email' AS event_class, 2 AS records, "
            "0 AS rejected, now() AS ingested_at"
        )
        assert hunt_new_files(store, None, ["d-mbox"], clock=FixedClock(T0)) == 1
        assert hunt_new_files(store, None, ["unknown"], clock=FixedClock(T0)) == 0
        # a second run over the same file replaces its finding instead of doubling it
        assert hunt_new_files(store, None, ["d-mbox"], clock=FixedClock(T0)) == 1
        assert store.count("finding") == 1


def test_indicator_value_checks() -> None:
    with pytest.raises(ValueError, match="bad_type"):
        Indicator(value="x", type="nonsense", source="s")
    with pytest.raises(ValueError, match="bad_tlp"):
        Indicator(value="x", type="ip", source="s", tlp="purple")


def test_address_bounds_are_stored_on_import_and_computed_when_missing() -> None:
    with Store.memory() as store:
        ioc_store.merge_indicators(
            store, indicators(("cidr", "198.51.100.0/27"), ("ip", "203.0.113.66"))
        )
        rows = store.sql("SELECT value, ip_lo, ip_hi FROM indicator ORDER BY value").to_pylist()
        base = (198 << 24) + (51 << 16) + (100 << 8)
        assert rows == [
            {"value": "198.51.100.0/27", "ip_lo": base, "ip_hi": base + 31},
            {"value": "203.0.113.66", "ip_lo": (203 << 24) + (113 << 8) + 66,
             "ip_hi": (203 << 24) + (113 << 8) + 66},
        ]  # fmt: skip
        stored = ioc_store.hunt_table(store, T0).sort_by("value")
        # a workspace made before the bounds were stored: the hunt computes the same
        store.con.execute("UPDATE indicator SET ip_lo = NULL, ip_hi = NULL")
        computed = ioc_store.hunt_table(store, T0).sort_by("value")
        assert stored.select(["lo", "hi"]).equals(computed.select(["lo", "hi"]))
        assert stored["lo"].to_pylist() == [base, (203 << 24) + (113 << 8) + 66]
