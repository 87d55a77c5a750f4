"""Zone policy breaches: flows the hospital model says should not exist.

Three rules, each a set-based query over the flows joined to the host table:
- `smb_between_buildings`: SMB (445/139) from one building's user zones to another's
  (server, DMZ and admin zones are where shared files legitimately live);
- `medical_to_internet`: a medical device (asset kind or medical zone) reaching an external
  address that is not a declared partner on a declared port;
- `partner_undeclared_port`: a flow to a partner's addresses on a port the model does not
  declare for it.
Without a hospital.yaml there is no policy to breach, so the detector returns nothing.
"""

from __future__ import annotations

from typing import ClassVar

from rempart.detect.base import Finding, Severity
from rempart.detect.network import NetworkDetector
from rempart.detect.network.common import evidence_by, lookup_sql, utc
from rempart.detect.network.convs import CONVS_CTE, use_convs
from rempart.detect.network.nets import NetParams
from rempart.model import Hospital
from rempart.store.engine import Engine

NAME = "zone_policy"
VERSION = "1.0"
ATTACK = ("T1021.002", "T1041", "T1133")

_USER_ZONES = "('building', 'segment', 'wifi', 'medical')"

_BREACHES = f"""
{CONVS_CTE}, f AS (
    SELECT c.src_ip, c.dst_ip, c.dst_port, c.n, c.n_ok, c.t0, c.t1,
           s.zone AS s_zone, s.building AS s_building, s.zone_kind AS s_kind,
           s.asset_kind AS s_asset, d.zone AS d_zone, d.building AS d_building,
           d.zone_kind AS d_kind, d.internal AS d_internal, d.special AS d_special,
           d.partner AS d_partner,
           CASE WHEN pp.port IS NULL THEN 0 ELSE 1 END AS declared,
           CASE WHEN d.partner IN (SELECT partner FROM _rempart_partner_ports)
                THEN 1 ELSE 0 END AS has_ports
    FROM convs c
    JOIN _rempart_hosts s ON s.ip = c.src_ip
    JOIN _rempart_hosts d ON d.ip = c.dst_ip
    LEFT JOIN _rempart_partner_ports pp ON pp.partner = d.partner AND pp.port = c.dst_port
), b AS (
    SELECT 'smb_between_buildings' AS breach, f.* FROM f
    WHERE f.dst_port IN (445, 139) AND f.s_kind IN {_USER_ZONES} AND f.d_kind IN {_USER_ZONES}
      AND f.s_building <> f.d_building
    UNION ALL
    SELECT 'medical_to_internet' AS breach, f.* FROM f
    WHERE (f.s_asset = 'medical_device' OR f.s_kind = 'medical')
      AND NOT f.d_internal AND NOT f.d_special AND f.declared = 0
    UNION ALL
    SELECT 'partner_undeclared_port' AS breach, f.* FROM f
    WHERE f.d_partner IS NOT NULL AND f.has_ports = 1 AND f.declared = 0
)"""

_SUMMARY = (
    _BREACHES
    + """
SELECT breach, src_ip, min(t0) AS first_seen, max(t1) AS last_seen, sum(n) AS flows,
       sum(n_ok) AS ok, count(DISTINCT dst_ip) AS peers, min(dst_ip) AS a_peer,
       min(dst_port) AS a_port, max(dst_port) AS b_port, max(s_zone) AS s_zone,
       min(d_zone) AS d_zone, min(d_partner) AS partner
FROM b GROUP BY breach, src_ip"""
)

# The first flow of each breaching conversation.
_EVIDENCE = lookup_sql(
    _BREACHES,
    "SELECT breach || '|' || src_ip AS entity, src_ip, dst_ip, dst_port, t0 AS time FROM b",
    port=True,
)

_TEXT = {  # severity and the reason's catalogue key (core/locale/detect.yaml)
    "smb_between_buildings": (Severity.HIGH, "smb_between_buildings"),
    "medical_to_internet": (Severity.HIGH, "medical_to_internet"),
    "partner_undeclared_port": (Severity.MEDIUM, "partner_undeclared_port"),
}


def detect_policy(
    engine: Engine, hospital: Hospital | None = None, params: NetParams | None = None
) -> list[Finding]:
    """Breaches of the hospital model's zone policy; nothing without a model."""
    if hospital is None:
        return []
    use_convs(engine, params or NetParams())
    rows = engine.query(_SUMMARY).to_pylist()
    if not rows:
        return []
    evidence = evidence_by(engine.query(_EVIDENCE))
    det = ZonePolicyDetector()
    out: list[Finding] = []
    for r in sorted(rows, key=lambda r: (r["breach"], r["src_ip"])):
        severity, text = _TEXT[r["breach"]]
        ports = str(r["a_port"]) if r["a_port"] == r["b_port"] else f"{r['a_port']}–{r['b_port']}"
        values = {
            "breach": r["breach"], "src": r["src_ip"], "s_zone": r["s_zone"],
            "d_zone": r["d_zone"], "peers": r["peers"], "a_peer": r["a_peer"],
            "flows": r["flows"], "ok": r["ok"], "ports": ports, "partner": r["partner"],
        }  # fmt: skip
        if r["breach"] == "smb_between_buildings" and not r["ok"]:
            severity = Severity.MEDIUM  # attempts the inter-building filtering stopped
        out.append(
            det.finding(
                severity=severity,
                title_key="net.policy.title",
                reason_key=f"net.policy.{text}",
                params=values,
                entity=r["src_ip"],
                entity_type="host",
                first_seen=utc(r["first_seen"]),
                last_seen=utc(r["last_seen"]),
                evidence_class="network_flow",
                evidence=evidence.get(f"{r['breach']}|{r['src_ip']}", ()),
                evidence_count=int(r["flows"]),
                related=tuple(x for x in (r["d_zone"], r["partner"]) if x),
            )
        )
    return out


class ZonePolicyDetector(NetworkDetector):
    NAME: ClassVar[str] = NAME
    VERSION: ClassVar[str] = VERSION
    ATTACK: ClassVar[tuple[str, ...]] = ATTACK
    DESCRIPTION: ClassVar[str] = "Flows the hospital model forbids (SMB between buildings...)"
    NEEDS_MODEL: ClassVar[bool] = True
    detect = staticmethod(detect_policy)
