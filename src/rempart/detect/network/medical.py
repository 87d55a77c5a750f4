"""Medical-device exposure: devices that talk to the internet or to new peers.

A medical device (asset kind `medical_device`, or any host in a zone of kind `medical`)
should talk to a short, stable list of peers: its server, its vendor's declared address.
`device_connections` lists every (device, peer, port) with its volume and a verdict, the
"connections that may not be needed" report (think of Wi-Fi beds); the detector raises an
alert per device that reaches the internet outside declared partners (high), a partner on an
undeclared port (medium) or a new peer (low): a peer first seen after the learning period
that no device of the same zone used while learning (a peer-group baseline, so a quiet pump
talking to the same interface engine as its neighbours is not "new"). Without a
hospital.yaml no device is known.
"""

from __future__ import annotations

from typing import ClassVar

import pyarrow as pa

from rempart.core.i18n import joined, msg
from rempart.detect.base import Finding, Severity
from rempart.detect.network import NetworkDetector
from rempart.detect.network.common import evidence_by, lookup_sql, utc
from rempart.detect.network.convs import CONVS, medical_source, use_convs
from rempart.detect.network.nets import NetParams, prepare
from rempart.model import Hospital
from rempart.store.engine import Engine

NAME = "medical_exposure"
VERSION = "1.0"
ATTACK = ("T1041", "T1071", "T1133")


def _conn_sql(p: NetParams) -> str:
    return f"""
WITH bounds AS (
    SELECT epoch(min(time)) + least({p.learn_seconds},
           0.1 * (epoch(max(time)) - epoch(min(time)))) AS t_learn
    FROM {{flows}}
), c AS (
    SELECT cv.src_ip AS device, s.hostname, s.zone AS device_zone, cv.dst_ip AS peer,
           d.zone AS peer_zone, d.partner, cv.dst_port AS port, cv.protocol,
           CASE WHEN d.internal THEN 'internal' WHEN d.partner IS NOT NULL THEN 'partner'
                ELSE 'internet' END AS peer_class,
           CASE WHEN pp.port IS NOT NULL THEN 1 ELSE 0 END AS declared,
           cv.n AS flows, cv.bytes, cv.t0 AS first_seen, cv.t1 AS last_seen, cv.n_ok AS ok
    FROM {CONVS} cv
    JOIN _rempart_hosts s ON s.ip = cv.src_ip
    JOIN _rempart_hosts d ON d.ip = cv.dst_ip
    LEFT JOIN _rempart_partner_ports pp ON pp.partner = d.partner AND pp.port = cv.dst_port
    WHERE NOT d.special AND {medical_source("s")}
), usual AS (
    SELECT DISTINCT c.device_zone, c.peer FROM c, bounds
    WHERE epoch(c.first_seen) < bounds.t_learn
), v AS (
    SELECT c.*,
        CASE WHEN epoch(c.first_seen) >= bounds.t_learn AND u.peer IS NULL
             THEN 1 ELSE 0 END AS is_new,
        CASE WHEN c.peer_class = 'internet' THEN 'internet'
             WHEN c.peer_class = 'partner' AND c.declared = 0 THEN 'partner, undeclared port'
             WHEN epoch(c.first_seen) >= bounds.t_learn AND u.peer IS NULL THEN 'new peer'
             ELSE NULL END AS concern
    FROM c CROSS JOIN bounds
    LEFT JOIN usual u ON u.device_zone = c.device_zone AND u.peer = c.peer
)"""


def device_connections(
    engine: Engine, hospital: Hospital, params: NetParams | None = None
) -> pa.Table:
    """Every (device, peer, port) with flows, bytes, first/last seen and a `concern`
    (internet / partner, undeclared port / new peer, or NULL when expected)."""
    p = params or NetParams()
    prepare(engine, hospital, p)
    use_convs(engine, p)
    return engine.query(_conn_sql(p) + " SELECT * FROM v ORDER BY concern NULLS LAST, device, peer")


def detect_medical(
    engine: Engine, hospital: Hospital | None = None, params: NetParams | None = None
) -> list[Finding]:
    """One alert per device with connections that may not be needed."""
    if hospital is None:
        return []
    p = params or NetParams()
    use_convs(engine, p)
    base = _conn_sql(p)
    rows = engine.query(
        base
        + """
        SELECT device, max(hostname) AS hostname, max(device_zone) AS zone,
            min(first_seen) AS first_seen, max(last_seen) AS last_seen, sum(flows) AS flows,
            sum(bytes) AS bytes,
            count(DISTINCT CASE WHEN concern = 'internet' THEN peer END) AS internet,
            count(DISTINCT CASE WHEN concern = 'new peer' THEN peer END) AS new_peers,
            count(DISTINCT CASE WHEN concern = 'partner, undeclared port' THEN peer END)
                AS partner_odd,
            min(CASE WHEN concern = 'internet' THEN peer END) AS a_internet
        FROM v WHERE concern IS NOT NULL GROUP BY device"""
    ).to_pylist()
    if not rows:
        return []
    evidence = evidence_by(
        engine.query(
            lookup_sql(
                base,
                "SELECT device AS entity, device AS src_ip, peer AS dst_ip, port AS dst_port, "
                "first_seen AS time FROM v WHERE concern IS NOT NULL",
                port=True,
            )
        )
    )
    det = MedicalExposureDetector()
    out: list[Finding] = []
    for r in sorted(rows, key=lambda r: r["device"]):
        parts: list[object] = []
        if r["internet"]:
            parts.append(msg("net.medical.internet", n=r["internet"], example=r["a_internet"]))
        if r["partner_odd"]:
            parts.append(msg("net.medical.partner_odd", n=r["partner_odd"]))
        if r["new_peers"]:
            parts.append(msg("net.medical.new_peers", n=r["new_peers"]))
        name = f"{r['hostname']} ({r['device']})" if r["hostname"] else r["device"]
        out.append(
            det.finding(
                severity=(
                    Severity.HIGH
                    if r["internet"]
                    else Severity.MEDIUM
                    if r["partner_odd"]
                    else Severity.LOW
                ),
                title_key="net.medical.title",
                reason_key="net.medical.reason",
                params={
                    "device": name,
                    "zone": r["zone"],
                    "parts": joined(parts, "; "),
                    "flows": int(r["flows"]),
                },
                entity=r["device"],
                entity_type="host",
                first_seen=utc(r["first_seen"]),
                last_seen=utc(r["last_seen"]),
                evidence_class="network_flow",
                evidence=evidence.get(r["device"], ()),
                evidence_count=int(r["flows"]),
                related=(r["a_internet"],) if r["a_internet"] else (),
            )
        )
    return out


class MedicalExposureDetector(NetworkDetector):
    NAME: ClassVar[str] = NAME
    VERSION: ClassVar[str] = VERSION
    INCIDENT: ClassVar[bool] = False  # a posture report, not attack activity
    ATTACK: ClassVar[tuple[str, ...]] = ATTACK
    DESCRIPTION: ClassVar[str] = "Medical devices reaching the internet or new peers"
    NEEDS_MODEL: ClassVar[bool] = True
    detect = staticmethod(detect_medical)
