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

One machine, one finding: a dual-stack PC sends its lookups over IPv4 and IPv6 and would be
flagged under both addresses. Two flagged addresses are merged (the IPv4 address named, the
others listed) when the hospital model says they are one machine (the same asset hostname or
MAC address, or an IPv6 address whose EUI-64 interface id carries the MAC of an asset), or,
with nothing to link them, when one is IPv4 and the other IPv6 and their bursts are one
burst: they start within `SAME_BURST_SECONDS` (a minute) of each other, or overlap in time and
share at least half of their failing names. A dual-stack PC spreads one list of generated
names over both transports (Simda in Stratosphere's CTU-355: 16 names over IPv4 and 113
others over IPv6, starting one second apart), so shared names are no requirement; a DGA
gives every infected machine the same names on a given day, so two IPv4 (or two IPv6)
addresses, even sharing names and minutes, stay two findings (two machines). Two machines
of which one speaks only IPv4 and the other only IPv6, infected and starting their bursts
in the same minute, would be reported as one finding naming both addresses: no address is
lost from the incident, and this is much rarer than one dual-stack PC.

Reads Zeek dns.log (`network_flow`, `record_kind` = dns) and Suricata `dns` events
(`network_event`); the names' look (label length, character entropy: generated names are
long and near-uniform) is reported and raises the severity, it does not decide.
"""

from __future__ import annotations

import ipaddress
import math
import statistics
from collections import Counter
from collections.abc import Mapping
from typing import Any, ClassVar

from rempart.core.i18n import msg
from rempart.detect.base import DetectContext, Finding, Severity
from rempart.detect.network import NetworkDetector
from rempart.detect.network.common import engine_for, utc
from rempart.detect.network.fanout import parent_domain_sql
from rempart.detect.network.nets import RELAY_ROLES, NetParams, hosts_sql, sql_list
from rempart.model import Hospital
from rempart.store.engine import Engine

FAILURES = "_rempart_dns_failures"
DNS_HOSTS = "_rempart_dns_hosts"
LOCAL_SUFFIXES = ("local", "lan", "home", "arpa", "internal", "localdomain", "corp",
                  "intranet", "localhost", "invalid", "test", "example", "lab")  # fmt: skip
# Generated-looking labels: at least this long, and this many bits of entropy per character.
RANDOM_LABEL_LEN = 8
RANDOM_LABEL_BITS = 2.8
# An IPv4 and an IPv6 burst starting this close (seconds) are one machine's (dual stack).
SAME_BURST_SECONDS = 60


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


def mac_key(mac: str | None) -> str | None:
    """A MAC address as 12 lower-case hex digits, whatever its separators; None if not one."""
    digits = "".join(c for c in (mac or "").lower() if c in "0123456789abcdef")
    return digits if len(digits) == 12 else None


def eui64_mac(address: str) -> str | None:
    """The MAC an IPv6 address's EUI-64 interface id carries (`...:0211:22ff:fe33:4455`
    -> `001122334455`), else None (IPv4, privacy or static interface ids)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if ip.version != 6:
        return None
    iid = ip.packed[8:]
    if iid[3:5] != b"\xff\xfe":
        return None
    return bytes([iid[0] ^ 0x02, *iid[1:3], *iid[5:8]]).hex()


def machine_keys(hospital: Hospital | None) -> dict[str, set[str]]:
    """address -> what names its machine in the model (`host:<name>`, `mac:<hex>`)."""
    out: dict[str, set[str]] = {}
    for a in hospital.assets if hospital else ():
        if not a.ip:
            continue
        keys = out.setdefault(a.ip, set())
        keys.add(f"host:{a.hostname.lower().split('.')[0]}")
        mac = mac_key(a.mac)
        if mac:
            keys.add(f"mac:{mac}")
    return out


def _family(address: str) -> int:
    try:
        return ipaddress.ip_address(address).version
    except ValueError:
        return 0


def same_machine(
    a: dict[str, Any], b: dict[str, Any], keys: Mapping[str, set[str]], window: float
) -> bool:
    """Whether two flagged clients are one machine (see the module's docstring)."""
    ka = set(keys.get(a["client"], ()))
    kb = set(keys.get(b["client"], ()))
    for row, ks in ((a, ka), (b, kb)):
        mac = eui64_mac(str(row["client"]))
        if mac:
            ks.add(f"mac:{mac}")
    if ka & kb:
        return True
    for kind in ("host:", "mac:"):  # the model names two different machines
        if any(k.startswith(kind) for k in ka) and any(k.startswith(kind) for k in kb):
            return False
    fa, fb = _family(str(a["client"])), _family(str(b["client"]))
    if fa == fb or 0 in (fa, fb):
        return False
    if abs((utc(a["first"]) - utc(b["first"])).total_seconds()) <= SAME_BURST_SECONDS:
        return True
    apart = max(utc(a["first"]), utc(b["first"])) - min(utc(a["last"]), utc(b["last"]))
    if apart.total_seconds() > window:
        return False
    na, nb = set(a["names"]), set(b["names"])
    return len(na & nb) >= 0.5 * min(len(na), len(nb))


def merge_machines(
    rows: list[dict[str, Any]], keys: Mapping[str, set[str]], window: float
) -> list[list[dict[str, Any]]]:
    """Flagged clients grouped per machine, the IPv4 address (then the most failures)
    first in each group."""
    parent = list(range(len(rows)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(rows)):
        for j in range(i + 1, len(rows)):
            if root(i) != root(j) and same_machine(rows[i], rows[j], keys, window):
                parent[root(j)] = root(i)
    groups: dict[int, list[dict[str, Any]]] = {}
    for i, r in enumerate(rows):
        groups.setdefault(root(i), []).append(r)

    def order(r: dict[str, Any]) -> tuple[bool, int, str]:
        return _family(str(r["client"])) != 4, -int(r["failures"]), str(r["client"])

    return sorted((sorted(g, key=order) for g in groups.values()), key=lambda g: g[0]["client"])


def _merged(group: list[dict[str, Any]]) -> dict[str, Any]:
    """One row for a machine's addresses: its counts as seen under any of them."""
    head = group[0]
    if len(group) == 1:
        return head
    names = [str(n) for r in sorted(group, key=lambda r: utc(r["first"])) for n in r["names"]]
    return {
        **head,
        "domains": max(int(r["domains"]) for r in group),
        "peak": max(int(r["peak"]) for r in group),
        "failures": sum(int(r["failures"]) for r in group),
        "servfail": sum(int(r["servfail"]) for r in group),
        "first": min(utc(r["first"]) for r in group),
        "last": max(utc(r["last"]) for r in group),
        "detected": min(utc(r["detected"]) for r in group),
        "names": list(dict.fromkeys(names))[:50],
        "ids": [str(u) for r in group for u in r["ids"]][:50],
    }


def detect_dns_failures(
    engine: Engine,
    own_domains: tuple[str, ...],
    params: NetParams | None = None,
    hospital: Hospital | None = None,
) -> list[Finding]:
    """One finding per internal machine with a burst of failing domains (its addresses
    merged, see the module's docstring); `engine` prepared."""
    p = params or NetParams()
    engine.materialize(FAILURES, _failures_sql())
    engine.materialize(DNS_HOSTS, hosts_sql(f"SELECT DISTINCT client AS ip FROM {FAILURES}"))
    own = [d.lower().strip(".") for d in own_domains]
    flagged: list[dict[str, Any]] = engine.query(_flagged_sql(p), {"own": own}).to_pylist()
    groups = merge_machines(
        sorted(flagged, key=lambda r: r["client"]), machine_keys(hospital), p.burst_seconds
    )
    det = DnsFailuresDetector()
    out: list[Finding] = []
    for group in groups:
        r = _merged(group)
        aliases = [str(x["client"]) for x in group[1:]]
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
                    "aliases": (
                        msg("net.dns_failures.aliases", addresses=", ".join(aliases))
                        if aliases
                        else ""
                    ),
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
                related=(*aliases, *(str(n) for n in r["names"][:10])),
            )
        )
    return out


class DnsFailuresDetector(NetworkDetector):
    NAME: ClassVar[str] = "dns_failures"
    VERSION: ClassVar[str] = "1.1"
    INPUTS: ClassVar[tuple[str, ...]] = ("network_flow", "network_event")
    ATTACK: ClassVar[tuple[str, ...]] = ("T1568.002",)
    DESCRIPTION: ClassVar[str] = (
        "Many domains that do not resolve, from one host within minutes (DGA)"
    )

    def run(self, ctx: DetectContext) -> list[Finding]:
        engine = engine_for(ctx, self.params)
        own = ctx.hospital.hospital.domains if ctx.hospital else ()
        try:
            return detect_dns_failures(engine, tuple(own), self.params, ctx.hospital)
        finally:
            engine.close()
