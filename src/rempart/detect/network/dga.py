"""DNS failures in bursts: a domain-generation algorithm (DGA) looking for its C&C.

A bot with a DGA derives hundreds of domain names a day and queries them until one resolves
(the one its operator registered): from one host, a burst of names under many *different*
registered domains that do not exist (NXDOMAIN), or whose servers fail (SERVFAIL). A person
mistypes a name now and then; ordinary failures concentrate on one domain (a DNS blocklist
lookup, a search-suffix artefact, an application retrying one dead name) and are counted
once per registered domain. `dns_failures` flags an internal host when any sliding window of
`burst_seconds` (10 minutes) holds at least `dns_fail_min_domains` = 10 distinct registered
domains that failed for it. Single-label names (WPAD, NetBIOS-style lookups, Chrome's
random-name probe, three per start), local suffixes (`.local`, `.lan`, `.home`, `.arpa`,
`.internal`...) and the hospital's own domains are no evidence: a bot needs a registrable
domain. A SERVFAIL the same resolver gave `dns_servfail_hosts` = 3 or more hosts within the
same window is the resolver's failure (an upstream outage), not theirs. A host that itself
answers DNS for others (a forwarding resolver), or whose role is to (`RELAY_ROLES`), is not
judged: it carries everybody's failures.

Reads Zeek dns.log (`network_flow`, `record_kind` = dns) and Suricata `dns` events
(`network_event`); the names' look (label length, character entropy: generated names are
long and near-uniform) is reported and raises the severity, it does not decide.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from typing import Any, ClassVar

from rempart.detect.base import DetectContext, Finding, Severity
from rempart.detect.network import NetworkDetector
from rempart.detect.network.common import engine_for, utc
from rempart.detect.network.fanout import parent_domain_sql
from rempart.detect.network.nets import RELAY_ROLES, NetParams, hosts_sql, sql_list
from rempart.store.engine import Engine

FAILURES = "_rempart_dns_failures"
DNS_HOSTS = "_rempart_dns_hosts"
LOCAL_SUFFIXES = ("local", "lan", "home", "arpa", "internal", "localdomain", "corp",
                  "intranet", "localhost", "invalid", "test", "example", "lab")  # fmt: skip
# Generated-looking labels: at least this long, and this many bits of entropy per character.
RANDOM_LABEL_LEN = 8
RANDOM_LABEL_BITS = 2.8


def _failures_sql() -> str:
    """Every failed lookup of a registrable name: client, resolver, name, answer code."""
    swap = "(src_port = 53 AND coalesce(dst_port, -1) <> 53)"  # an answer logged server-first
    name_ok = f"""qname LIKE '%.%' AND regexp_matches(qname, '\\.([a-z]{{2,}}|xn--[a-z0-9-]+)$')
        AND string_split(qname, '.')[-1] NOT IN {sql_list(LOCAL_SUFFIXES)}"""
    return f"""
    WITH q AS (
        SELECT src_ip AS client, dst_ip AS server, time, event_uid,
            lower(rtrim(dns_query, '.')) AS qname, upper(dns_rcode) AS rcode,
            'network_flow' AS tbl
        FROM {{flows}}
        WHERE record_kind = 'dns' AND upper(dns_rcode) IN ('NXDOMAIN', 'SERVFAIL')
          AND coalesce(dst_port, 53) = 53
        UNION ALL
        SELECT CASE WHEN {swap} THEN dst_ip ELSE src_ip END AS client,
            CASE WHEN {swap} THEN src_ip ELSE dst_ip END AS server, time, event_uid,
            lower(rtrim(name, '.')) AS qname, upper(status) AS rcode, 'network_event' AS tbl
        FROM network_event
        WHERE kind = 'dns' AND upper(status) IN ('NXDOMAIN', 'SERVFAIL')
          AND (src_port = 53 OR dst_port = 53 OR (src_port IS NULL AND dst_port IS NULL))
    )
    SELECT client, server, time, event_uid, qname, rcode, tbl,
        {parent_domain_sql("qname")} AS parent
    FROM q WHERE client IS NOT NULL AND qname IS NOT NULL AND {name_ok}"""


def _flagged_sql(p: NetParams) -> str:
    k = int(p.dns_fail_min_domains)
    return f"""
    WITH wide AS (
        SELECT server, CAST(floor(epoch(time) / {int(p.burst_seconds)}) AS BIGINT) AS b
        FROM {FAILURES} WHERE rcode = 'SERVFAIL' GROUP BY server, b
        HAVING count(DISTINCT client) >= {int(p.dns_servfail_hosts)}
    ), resolvers AS (
        SELECT DISTINCT server AS ip FROM {FAILURES} WHERE server IS NOT NULL
    ), f AS (
        SELECT d.* FROM {FAILURES} d
        JOIN {DNS_HOSTS} h ON h.ip = d.client
        LEFT JOIN wide w ON d.rcode = 'SERVFAIL' AND w.server = d.server
            AND w.b = CAST(floor(epoch(d.time) / {int(p.burst_seconds)}) AS BIGINT)
        LEFT JOIN resolvers r ON r.ip = d.client
        WHERE h.internal AND NOT h.special AND w.server IS NULL AND r.ip IS NULL
          AND lower(coalesce(h.role, '')) NOT IN {sql_list(RELAY_ROLES)}
          AND NOT list_contains($own, d.parent)
    ), firsts AS (
        SELECT client, parent, min(time) AS t, arg_min(qname, time) AS qname,
            arg_min(event_uid, time) AS uid, arg_min(tbl, time) AS tbl, count(*) AS n,
            max(CASE WHEN rcode = 'SERVFAIL' THEN 1 ELSE 0 END) AS servfail
        FROM f GROUP BY client, parent
    ), win AS (
        SELECT *, count(*) OVER (PARTITION BY client ORDER BY epoch(t)
            RANGE BETWEEN {int(p.burst_seconds)} PRECEDING AND CURRENT ROW) AS k
        FROM firsts
    )
    SELECT client, count(*) AS domains, max(k) AS peak, sum(n) AS failures,
        sum(servfail) AS servfail, min(t) AS first, max(t) AS last, min(tbl) AS tbl,
        min(t) FILTER (WHERE k >= {k}) AS detected,
        list(qname ORDER BY t, qname)[1:50] AS names, list(uid ORDER BY t, uid)[1:50] AS ids
    FROM win GROUP BY client HAVING max(k) >= {k}"""


def label_entropy(label: str) -> float:
    """Shannon entropy of a label's characters, in bits per character."""
    if not label:
        return 0.0
    counts = Counter(label)
    return -sum(c / len(label) * math.log2(c / len(label)) for c in counts.values())


def _registered_label(name: str) -> str:
    """The label left of the public suffix, as `parent_domain_sql` cuts it."""
    parts = name.split(".")
    if len(parts) >= 3 and len(parts[-1]) == 2 and len(parts[-2]) <= 3:
        return parts[-3]
    return parts[-2] if len(parts) >= 2 else name


def looks_generated(names: list[str]) -> tuple[float, float]:
    """(median length, median entropy) of the leftmost label of the names' registered
    domains (`vocyzit` of `vocyzit.com`): what a DGA controls."""
    labels = [_registered_label(n) for n in names]
    if not labels:
        return 0.0, 0.0
    return (
        float(statistics.median(len(x) for x in labels)),
        float(statistics.median(label_entropy(x) for x in labels)),
    )


def detect_dns_failures(
    engine: Engine, own_domains: tuple[str, ...], params: NetParams | None = None
) -> list[Finding]:
    """One finding per internal host with a burst of failing domains; `engine` prepared."""
    p = params or NetParams()
    engine.materialize(FAILURES, _failures_sql())
    engine.materialize(DNS_HOSTS, hosts_sql(f"SELECT DISTINCT client AS ip FROM {FAILURES}"))
    own = [d.lower().strip(".") for d in own_domains]
    rows: list[dict[str, Any]] = engine.query(_flagged_sql(p), {"own": own}).to_pylist()
    det = DnsFailuresDetector()
    out: list[Finding] = []
    for r in sorted(rows, key=lambda r: r["client"]):
        length, bits = looks_generated([str(n) for n in r["names"]])
        generated = length >= RANDOM_LABEL_LEN and bits >= RANDOM_LABEL_BITS
        look = "generated" if generated else "plain"
        peak = int(r["peak"])
        high = generated or peak >= 2 * p.dns_fail_min_domains
        out.append(
            det.finding(
                severity=Severity.HIGH if high else Severity.MEDIUM,
                title_key="net.dns_failures.title",
                reason_key="net.dns_failures.reason",
                params={
                    "src": r["client"],
                    "domains": int(r["domains"]),
                    "peak": peak,
                    "minutes": p.burst_seconds // 60,
                    "failures": int(r["failures"]),
                    "servfail": int(r["servfail"]),
                    "examples": ", ".join(str(n) for n in r["names"][:5]),
                    "length": round(length, 1),
                    "bits": round(bits, 2),
                    "look": {"key": f"net.dns_failures.{look}", "params": {}},
                },
                entity=str(r["client"]),
                entity_type="host",
                first_seen=utc(r["first"]),
                last_seen=utc(r["last"]),
                detected_at=utc(r["detected"]),
                evidence_class=str(r["tbl"]),
                evidence=tuple(str(u) for u in r["ids"]),
                evidence_count=int(r["failures"]),
                score=float(min(1.0, peak / (2 * p.dns_fail_min_domains))),
                related=tuple(str(n) for n in r["names"][:10]),
            )
        )
    return out


class DnsFailuresDetector(NetworkDetector):
    NAME: ClassVar[str] = "dns_failures"
    VERSION: ClassVar[str] = "1.0"
    INPUTS: ClassVar[tuple[str, ...]] = ("network_flow", "network_event")
    ATTACK: ClassVar[tuple[str, ...]] = ("T1568.002",)
    DESCRIPTION: ClassVar[str] = (
        "Many domains that do not resolve, from one host within minutes (DGA)"
    )

    def run(self, ctx: DetectContext) -> list[Finding]:
        engine = engine_for(ctx, self.params)
        own = ctx.hospital.hospital.domains if ctx.hospital else ()
        try:
            return detect_dns_failures(engine, tuple(own), self.params)
        finally:
            engine.close()
