"""The Cahors case on the twin: internet cut for the whole hospital except the vital flows."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from rempart.contain import Plan, care_impact, egress_cut, review_egress
from rempart.contain.export import render_plan
from rempart.ingest.files import ingest_file
from rempart.store import Store
from rempart.twin.hospital import generate_hospital
from rempart.twin.traffic import write_conn_log


def test_egress_cut_keeps_labs_treasury_hds_and_lists_what_it_stops(tmp_path: Path) -> None:
    hospital = generate_hospital(machines=400, seed=5)
    conn = tmp_path / "conn.log"
    write_conn_log(
        hospital, conn, start=datetime(2022, 3, 1, tzinfo=UTC), hours=48, rows=60_000, seed=5
    )
    store = Store.memory()
    assert ingest_file(store, conn).rejected == 0
    cut = egress_cut(hospital, "Cahors : internet coupé sauf flux vitaux")
    kinds = {hospital.partner(p).kind for p in cut.allow_partners}
    assert {"biology_lab", "treasury", "health_data_host"} <= {k.value for k in kinds}
    assert all(hospital.partner(p).kind.value != "vendor" for p in cut.allow_partners)

    review = review_egress(store, hospital, cut)
    kept = {k.partner: k for k in review.kept}
    for partner in hospital.partners:
        if partner.kind.value in ("biology_lab", "treasury", "health_data_host"):
            assert partner.id in kept
    assert review.stopped, "the cut must list the flows it would stop"
    allowed_ips = {
        a.split("/")[0] for p in cut.allow_partners for a in hospital.partner(p).addresses
    }
    assert not any(f.dst_ip in allowed_ips and f.dst_port == 443 for f in review.stopped)

    plan = Plan(id="cahors", title="Cahors", actions=(cut,))
    assert not care_impact(plan, hospital).vital_services_cut
    rendered = render_plan(plan, hospital, "nftables")
    for p in cut.allow_partners:
        for addr in hospital.partner(p).addresses:
            assert addr.split("/")[0] in rendered.text
