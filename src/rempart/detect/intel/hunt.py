"""The retro-hunt's queries: set-based joins of the indicators with everything stored.

Each query joins `_rempart_ioc` (the indicators, registered on the engine as a flat table)
with one kind of event and yields sightings in one shape (`uid, entity, entity_type,
evidence_class, time, event_uid, matched, related`), aggregated per (indicator, entity) in
the engine. The flows are never scanned per indicator: the addresses are matched first on
the distinct addresses the store keeps (exact, then IPv4 ranges as number intervals), and
only the matched ones are joined back with the flows (a hash join on two columns). Domains
match their subdomains through each distinct name's parent suffixes (equality joins, no
pattern per row). Command lines are matched once per distinct lower-cased line with
`contains()`. Only DuckDB-dialect SQL that Ibis/sqlglot carries to Spark is used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa

from rempart.store.engine import Engine
from rempart.store.intel import ip_number_sql

IOC = "_rempart_ioc"
FILES = "_rempart_ioc_files"  # paths of the files a hunt over new data is limited to
RELAYS = "_rempart_ioc_relays"  # addresses of the proxies (beacons go through them)
HITS = "_rempart_ioc_hits"  # the flows' addresses an indicator names (see address_hits)
FLOW_KINDS = "coalesce(record_kind, 'flow') IN ('flow', 'firewall')"
MAX_EVIDENCE = 50
MAX_SUFFIX = 8  # labels of the longest parent domain matched


@dataclass(frozen=True)
class Sighting:
    """One indicator seen by one entity (host, message, account), with its evidence."""

    uid: str
    entity: str
    entity_type: str
    evidence_class: str
    first_seen: datetime
    last_seen: datetime
    count: int
    evidence: tuple[str, ...]
    matched: str  # what was seen (the address and port, the DNS name, the URL...)
    related: tuple[str, ...]
    via: str = ""  # "relay" for a host named behind a proxy by time correlation


def _suffixes() -> str:
    """Rows (n, s) for every parent domain s of each name n of `names` (itself included)."""
    parts = ["SELECT n, n AS s FROM names"]
    for k in range(1, MAX_SUFFIX):
        pattern = "'([^.]+(\\.[^.]+){" + str(k) + "})$'"
        parts.append(f"SELECT n, regexp_extract(n, {pattern}, 1) AS s FROM names")
    return " UNION ALL ".join(parts)


def _file_filter(alias: str, limited: bool) -> str:
    return f" AND {alias}.source_file IN (SELECT path FROM {FILES})" if limited else ""


def _addresses(engine: Engine) -> str:
    if engine.addresses is not None:
        return engine.addresses(FLOW_KINDS)
    return (
        f"SELECT DISTINCT src_ip AS ip FROM {{flows}} WHERE {FLOW_KINDS} "
        f"UNION SELECT DISTINCT dst_ip AS ip FROM {{flows}} WHERE {FLOW_KINDS}"
    )


def _address_hits(source: str) -> str:
    """(ip, uid, port) of the addresses of `source` (a query with column `ip`) that an ip or
    cidr indicator names."""
    return f"""
        SELECT a.ip, i.uid, i.port FROM ({source}) a JOIN {IOC} i
            ON i.type = 'ip' AND a.ip = i.value
        UNION ALL
        SELECT a.ip, i.uid, i.port
        FROM (SELECT ip, {ip_number_sql("ip")} AS n FROM ({source}) s) a
        JOIN {IOC} i ON i.type = 'cidr' AND a.n BETWEEN i.lo AND i.hi"""


def address_hits(engine: Engine) -> str:
    """The flows' addresses that an ip or cidr indicator names, computed once per hunt
    (`HITS`: ip, uid, port) and read by every flow query."""
    return _address_hits(_addresses(engine))


def flow_queries(engine: Engine, limited: bool) -> list[str]:
    """Flows to or from a listed address: one hash join each way on the few addresses
    matched (`HITS`), the port, when the indicator has one, as a second join key."""
    ff = _file_filter("f", limited)
    out = []
    for side, other, port_col, arrow in (
        ("dst_ip", "src_ip", "dst_port", "':'"),
        ("src_ip", "dst_ip", "src_port", "' -> '"),
    ):
        for with_port in (False, True):
            cond = f"f.{side} = h.ip" + (f" AND f.{port_col} = h.port" if with_port else "")
            which = "h.port IS NOT NULL" if with_port else "h.port IS NULL"
            out.append(
                f"""SELECT h.uid, f.{other} AS entity, 'host' AS entity_type,
                       'network_flow' AS evidence_class, f.time, f.event_uid,
                       f.{side} || {arrow} || CAST(f.dst_port AS VARCHAR) AS matched,
                       f.{side} AS related
                FROM {{flows}} f JOIN (SELECT * FROM {HITS} h WHERE {which}) h ON {cond}
                WHERE {FLOW_KINDS}{ff}"""
            )
    names = (
        "SELECT DISTINCT lower(rtrim(dns_query, '.')) AS n FROM {flows} "
        "WHERE record_kind = 'dns' AND dns_query IS NOT NULL"
    )
    out.append(
        f"""WITH names AS ({names}), sfx AS ({_suffixes()}),
        hit AS (SELECT DISTINCT sfx.n, i.uid FROM sfx JOIN {IOC} i
                ON i.type = 'domain' AND sfx.s = i.value)
        SELECT h.uid, f.src_ip AS entity, 'host' AS entity_type, 'network_flow' AS evidence_class,
               f.time, f.event_uid, f.dns_query AS matched, f.dns_query AS related
        FROM {{flows}} f JOIN hit h ON lower(rtrim(f.dns_query, '.')) = h.n
        WHERE f.record_kind = 'dns'{ff}"""
    )
    out.append(
        f"""SELECT i.uid, f.src_ip AS entity, 'host' AS entity_type,
               'network_flow' AS evidence_class, f.time, f.event_uid, f.smb_path AS matched,
               f.dst_ip AS related
        FROM {{flows}} f JOIN {IOC} i ON i.type = 'filename'
            AND lower(regexp_extract(f.smb_path, '([^\\\\/]+)$', 1)) = i.value
        WHERE f.record_kind = 'smb' AND f.smb_path IS NOT NULL{ff}"""
    )
    return out


EVENT_KINDS = "('http', 'tls', 'ssl', 'dns', 'proxy')"  # what names a host, a URL, a JA3
# Suricata logs a DNS answer as an event from the server: only the client's query names it.
_NOT_ANSWER = (
    "NOT (e.kind = 'dns' AND e.raw IS NOT NULL "
    'AND regexp_matches(e.raw, \'"type"\\s*:\\s*"(answer|response)"\'))'
)
_SCHEME = "'^[A-Za-z][A-Za-z0-9+.-]*://'"


def _url_norm(col: str) -> str:
    """A URL without its scheme and trailing slash, lower-cased: `host[:port]/path?query`
    (a proxy logs `http://`, an alert may say `https://`; the host and path are the sign)."""
    return f"lower(rtrim(regexp_replace({col}, {_SCHEME}, ''), '/'))"


def _key_host(col: str) -> str:
    return f"split_part(split_part(split_part({col}, '/', 1), '?', 1), '#', 1)"


def event_queries(limited: bool) -> list[str]:
    """HTTP, TLS, DNS and proxy records (`network_event`): the host, SNI or query name
    (domains with their subdomains, addresses), the URL (whole or as a prefix, joined on its
    host), the path alone, the JA3/JA3S fingerprints, the user agent, and the address a
    proxy forwarded to. The entity is the client (`src_ip`): behind a proxy, the machine."""
    fe = _file_filter("e", limited)
    head = (
        "SELECT {uid} AS uid, e.src_ip AS entity, 'host' AS entity_type, "
        "'network_event' AS evidence_class, e.time, e.event_uid"
    )
    named = f"""SELECT e.*, lower(rtrim(regexp_replace(e.name, ':[0-9]+$', ''), '.')) AS n0
        FROM network_event e WHERE e.kind IN {EVENT_KINDS} AND e.name IS NOT NULL
        AND e.src_ip IS NOT NULL AND {_NOT_ANSWER}{fe}"""
    urls = f"""SELECT x.*, {_key_host("x.k")} AS h FROM (
            SELECT e.*, {_url_norm("e.url")} AS k FROM network_event e
            WHERE e.url IS NOT NULL AND e.src_ip IS NOT NULL{fe}) x"""
    iurls = f"""SELECT y.uid, y.k, {_key_host("y.k")} AS h FROM (
            SELECT uid, {_url_norm("value")} AS k FROM {IOC} WHERE type = 'url') y"""
    out = [
        f"""WITH ev AS ({named}), names AS (SELECT DISTINCT n0 AS n FROM ev),
        sfx AS ({_suffixes()}),
        hit AS (SELECT DISTINCT sfx.n, i.uid, CAST(NULL AS BIGINT) AS port FROM sfx
                JOIN {IOC} i ON i.type = 'domain' AND sfx.s = i.value
                UNION ALL
                SELECT names.n, i.uid, i.port FROM names
                JOIN {IOC} i ON i.type = 'ip' AND names.n = i.value)
        {head.format(uid="h.uid")}, e.name AS matched, coalesce(e.dst_ip, e.name) AS related
        FROM ev e JOIN hit h ON e.n0 = h.n
        WHERE h.port IS NULL OR e.dst_port = h.port""",
        f"""WITH ev AS ({urls}), iu AS ({iurls})
        {head.format(uid="i.uid")}, e.url AS matched, coalesce(e.dst_ip, e.name) AS related
        FROM ev e JOIN iu i ON e.h = i.h AND (e.k = i.k OR starts_with(e.k, i.k || '/')
            OR starts_with(e.k, i.k || '?') OR starts_with(e.k, i.k || '#'))""",
        f"""WITH ev AS (SELECT x.*, split_part(split_part(substr(x.k, length(x.h) + 1), '?', 1),
                '#', 1) AS path FROM ({urls}) x)
        {head.format(uid="i.uid")}, e.url AS matched, coalesce(e.dst_ip, e.name) AS related
        FROM ev e JOIN {IOC} i ON i.type = 'uri' AND e.path = lower(i.value)""",
    ]
    for col, kind in (("ja3", "ja3"), ("ja3s", "ja3s"), ("user_agent", "user_agent")):
        out.append(
            f"""{head.format(uid="i.uid")}, e.{col} AS matched,
            coalesce(e.name, e.dst_ip) AS related
            FROM network_event e JOIN {IOC} i ON i.type = '{kind}' AND e.{col} = i.value
            WHERE e.src_ip IS NOT NULL{fe}"""
        )
    # the address a proxy reached for a named host (a request to the address itself is
    # the names query's)
    proxied = """SELECT DISTINCT dst_ip AS ip FROM network_event
        WHERE kind = 'proxy' AND dst_ip IS NOT NULL"""
    out.append(
        f"""WITH hit AS ({_address_hits(proxied)})
        {head.format(uid="h.uid")}, coalesce(e.url, e.name, e.dst_ip) AS matched,
        e.dst_ip AS related
        FROM network_event e JOIN hit h ON e.dst_ip = h.ip
        WHERE e.kind = 'proxy' AND e.src_ip IS NOT NULL
          AND (h.port IS NULL OR e.dst_port = h.port){fe}
          AND coalesce(regexp_replace(e.name, ':[0-9]+$', ''), '') <> e.dst_ip"""
    )
    return out


def relay_query(limited: bool) -> str:
    """Hosts behind a proxy: those that reached it in the two seconds before its sighted
    connections, at least three times and for at least a fifth of all their connections to
    it (a beacon repeats and is most of what an idle infected machine sends; a user who
    browsed at that moment does not, and browses at other moments too)."""
    ff = _file_filter("f", limited)
    return f"""
    WITH s AS (SELECT h.uid, f.src_ip AS relay, f.time, f.dst_ip
          FROM {{flows}} f JOIN {HITS} h ON f.dst_ip = h.ip
          WHERE (h.port IS NULL OR f.dst_port = h.port) AND {FLOW_KINDS}{ff}
            AND f.src_ip IN (SELECT ip FROM {RELAYS})),
    c AS (SELECT s.uid, c.src_ip AS entity, c.time, c.event_uid, s.dst_ip, s.relay
          FROM s JOIN {{flows}} c ON c.dst_ip = s.relay
           AND c.time BETWEEN s.time - INTERVAL 2 SECOND AND s.time
          WHERE c.src_ip <> s.relay),
    co AS (SELECT entity, relay, count(DISTINCT event_uid) AS n FROM c GROUP BY entity, relay),
    total AS (SELECT f.src_ip AS entity, f.dst_ip AS relay, count(*) AS n FROM {{flows}} f
              WHERE f.dst_ip IN (SELECT ip FROM {RELAYS})
                AND f.src_ip IN (SELECT entity FROM co) GROUP BY f.src_ip, f.dst_ip),
    kept AS (SELECT co.entity FROM co JOIN total t
             ON t.entity = co.entity AND t.relay = co.relay
             WHERE co.n >= 3 AND co.n * 5 >= t.n)
    SELECT uid, entity, 'host' AS entity_type, 'network_flow' AS evidence_class, time,
           event_uid, relay || ' -> ' || dst_ip AS matched, dst_ip AS related
    FROM c WHERE entity IN (SELECT entity FROM kept)"""


def mail_queries(limited: bool) -> list[str]:
    fe = _file_filter("e", limited)
    recipients = "array_to_string(list_concat(e.to_addrs, e.cc_addrs), ',')"
    head = (
        "SELECT i.uid, coalesce(e.message_id, e.event_uid) AS entity, 'email' AS entity_type, "
        "'email' AS evidence_class, e.time, e.event_uid"
    )
    senders = f"""SELECT e.*, lower(trim(a, '<> ')) AS addr FROM (
            SELECT *, unnest([from_addr, reply_to, return_path]) AS a FROM email) e
            WHERE a IS NOT NULL AND a <> ''{fe}"""
    out = [
        f"""{head.replace("e.", "s.")}, s.addr AS matched,
        array_to_string(list_concat(s.to_addrs, s.cc_addrs), ',') AS related
        FROM ({senders}) s JOIN {IOC} i ON i.type = 'email' AND s.addr = i.value""",
        f"""WITH names AS (SELECT DISTINCT split_part(lower(trim(a, '<> ')), '@', 2) AS n FROM (
                SELECT unnest([from_addr, reply_to, return_path]) AS a FROM email) x
                WHERE a LIKE '%@%'),
        sfx AS ({_suffixes()}),
        hit AS (SELECT DISTINCT sfx.n, i.uid FROM sfx JOIN {IOC} i
                ON i.type = 'domain' AND sfx.s = i.value)
        {head.replace("e.", "s.")}, s.addr AS matched,
        array_to_string(list_concat(s.to_addrs, s.cc_addrs), ',') AS related
        FROM ({senders}) s JOIN hit h ON split_part(s.addr, '@', 2) = h.n
        JOIN {IOC} i ON i.uid = h.uid""",
    ]
    urls = f"""SELECT e.*, u, lower(rtrim(u, '/')) AS lu,
            lower(regexp_extract(u, '^[A-Za-z0-9+.-]+://([^/:?#]+)', 1)) AS host
        FROM (SELECT *, unnest(urls) AS u FROM email) e WHERE u IS NOT NULL{fe}"""
    uhead = head.replace("e.", "s.")
    out.append(
        f"""{uhead}, s.u AS matched, {recipients.replace("e.", "s.")} AS related
        FROM ({urls}) s JOIN {IOC} i ON i.type = 'url' AND s.lu = rtrim(i.value, '/')"""
    )
    out.append(
        f"""{uhead}, s.u AS matched, {recipients.replace("e.", "s.")} AS related
        FROM ({urls}) s JOIN {IOC} i ON i.type = 'ip' AND s.host = i.value"""
    )
    out.append(
        f"""WITH names AS (SELECT DISTINCT host AS n FROM ({urls}) x WHERE host <> ''),
        sfx AS ({_suffixes()}),
        hit AS (SELECT DISTINCT sfx.n, i.uid FROM sfx JOIN {IOC} i
                ON i.type = 'domain' AND sfx.s = i.value)
        {uhead}, s.u AS matched, {recipients.replace("e.", "s.")} AS related
        FROM ({urls}) s JOIN hit h ON s.host = h.n JOIN {IOC} i ON i.uid = h.uid"""
    )
    out.append(
        f"""{uhead}, s.u AS matched, {recipients.replace("e.", "s.")} AS related
        FROM ({urls}) s JOIN {IOC} i ON i.type = 'uri' AND contains(s.u, i.value)"""
    )
    att = f"""SELECT e.*, att.sha256 AS sha, lower(att.name) AS fname FROM (
            SELECT *, unnest(attachments) AS att FROM email) e WHERE true{fe}"""
    out.append(
        f"""{uhead}, coalesce(s.fname, s.sha) AS matched,
        {recipients.replace("e.", "s.")} AS related
        FROM ({att}) s JOIN {IOC} i ON (i.type = 'sha256' AND lower(s.sha) = i.value)
            OR (i.type = 'filename' AND s.fname = i.value)"""
    )
    return out


def transfer_queries(limited: bool) -> list[str]:
    fm = _file_filter("m", limited)
    head = (
        "SELECT i.uid, coalesce(m.message_id, m.queue_id, m.event_uid) AS entity, "
        "'email' AS entity_type, 'mail_transfer' AS evidence_class, m.time, m.event_uid"
    )
    return [
        f"""{head}, m.sender AS matched, m.recipient AS related
        FROM mail_transfer m JOIN {IOC} i
            ON (i.type = 'email' AND lower(m.sender) = i.value)
            OR (i.type = 'domain' AND split_part(lower(m.sender), '@', 2) = i.value)
        WHERE m.sender IS NOT NULL{fm}""",
        f"""WITH hit AS ({_address_hits("SELECT DISTINCT src_ip AS ip FROM mail_transfer")})
        {head}, m.src_ip AS matched, m.recipient AS related
        FROM mail_transfer m JOIN hit h ON m.src_ip = h.ip JOIN {IOC} i ON i.uid = h.uid
        WHERE true{fm}""",
    ]


def host_queries(limited: bool) -> list[str]:
    fp = _file_filter("p", limited)
    head = (
        "SELECT i.uid, p.host AS entity, 'host' AS entity_type, 'process' AS evidence_class, "
        "p.time, p.event_uid"
    )
    hash_rows = " UNION ALL ".join(
        f"SELECT p.*, '{kind}' AS kind, "
        f"lower(regexp_extract(p.fields['Hashes'], '{label}=([0-9A-Fa-f]{{{n}}})', 1)) AS hv "
        f"FROM process p WHERE p.fields['Hashes'] IS NOT NULL{fp}"
        for kind, label, n in (("md5", "MD5", 32), ("sha1", "SHA1", 40), ("sha256", "SHA256", 64))
    )
    return [
        f"""{head}, p.hv AS matched, p.image AS related
        FROM ({hash_rows}) p JOIN {IOC} i ON i.type = p.kind AND p.hv = i.value""",
        f"""{head}, p.image AS matched, p.command_line AS related
        FROM process p JOIN {IOC} i ON i.type = 'filename'
            AND lower(regexp_extract(p.image, '([^\\\\/]+)$', 1)) = i.value
        WHERE p.image IS NOT NULL{fp}""",
        f"""WITH lines AS (SELECT DISTINCT lower(command_line) AS l FROM process p
                WHERE command_line IS NOT NULL{fp}),
        hit AS (SELECT l.l, i.uid FROM lines l JOIN {IOC} i
                ON i.type = 'command_line' AND contains(l.l, lower(i.value)))
        {head}, p.command_line AS matched, p.image AS related
        FROM process p JOIN hit h ON lower(p.command_line) = h.l JOIN {IOC} i ON i.uid = h.uid
        WHERE true{fp}""",
    ]


def auth_queries(limited: bool) -> list[str]:
    out = []
    for table, extra in (("authentication", "a.dst_host"), ("mailbox_activity", "a.mailbox")):
        fa = _file_filter("a", limited)
        out.append(
            f"""WITH hit AS ({_address_hits(f"SELECT DISTINCT src_ip AS ip FROM {table}")})
            SELECT i.uid, coalesce(a.user, {extra}, a.src_ip) AS entity, 'account' AS entity_type,
                   '{table}' AS evidence_class, a.time, a.event_uid, a.src_ip AS matched,
                   {extra} AS related
            FROM {table} a JOIN hit h ON a.src_ip = h.ip JOIN {IOC} i ON i.uid = h.uid
            WHERE true{fa}"""
        )
    fa = _file_filter("a", limited)
    out.append(
        f"""SELECT i.uid, coalesce(a.user, a.src_ip) AS entity, 'account' AS entity_type,
               'mailbox_activity' AS evidence_class, a.time, a.event_uid, a.client AS matched,
               a.src_ip AS related
        FROM mailbox_activity a JOIN {IOC} i ON i.type = 'user_agent' AND a.client = i.value
        WHERE true{fa}"""
    )
    return out


def aggregate(inner: str) -> str:
    """Per (indicator, entity, table): times, count, the first evidence ids, the peers."""
    return f"""
    WITH s AS ({inner}),
    r AS (SELECT *, row_number() OVER (PARTITION BY uid, entity, evidence_class
                                       ORDER BY time, event_uid) AS rk FROM s)
    SELECT uid, entity, any_value(entity_type) AS entity_type, evidence_class,
           min(time) AS first_seen, max(time) AS last_seen, count(*) AS n,
           list(event_uid) FILTER (WHERE rk <= {MAX_EVIDENCE}) AS evidence,
           min(matched) AS matched,
           list(DISTINCT related) FILTER (WHERE rk <= 200) AS related
    FROM r WHERE entity IS NOT NULL GROUP BY uid, entity, evidence_class"""


def has_proxy_log(engine: Engine, tables: set[str]) -> bool:
    """Whether a proxy's own log is stored: it names the machines behind the proxy, so the
    time correlation (a guess, which a busy proxy and many beacons make noisy) is not run."""
    if "network_event" not in tables:
        return False
    found = engine.query("SELECT count(*) AS n FROM (SELECT 1 FROM network_event "
                         "WHERE kind = 'proxy' LIMIT 1) x")  # fmt: skip
    return bool(found.column("n")[0].as_py())


def run_hunt(
    engine: Engine,
    tables: set[str],
    *,
    limited: bool = False,
    relays: bool = False,
    on_query: Callable[[str], None] | None = None,
) -> list[Sighting]:
    """Every sighting of the registered indicators in the tables that have rows."""
    groups: list[tuple[str, list[str]]] = []
    if "network_flow" in tables:
        engine.materialize(HITS, address_hits(engine))
        groups.append(("flows", flow_queries(engine, limited)))
    if "network_event" in tables:
        groups.append(("network_event", event_queries(limited)))
    if "email" in tables:
        groups.append(("email", mail_queries(limited)))
    if "mail_transfer" in tables:
        groups.append(("mail_transfer", transfer_queries(limited)))
    if "process" in tables:
        groups.append(("process", host_queries(limited)))
    if "authentication" in tables or "mailbox_activity" in tables:
        queries = auth_queries(limited)
        if "authentication" not in tables:
            queries = queries[1:]
        if "mailbox_activity" not in tables:
            queries = queries[:1]
        groups.append(("auth", queries))
    out: list[Sighting] = []
    for _name, queries in groups:
        for sql in queries:
            if on_query is not None:
                on_query(sql)
            out.extend(_sightings(engine.query(aggregate(sql))))
    if relays and "network_flow" in tables and not has_proxy_log(engine, tables):
        out.extend(_sightings(engine.query(aggregate(relay_query(limited))), via="relay"))
    return out


def _utc(t: datetime) -> datetime:
    """Spark returns naive UTC times; DuckDB aware ones."""
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def _sightings(table: pa.Table, via: str = "") -> list[Sighting]:
    out = []
    for r in table.to_pylist():
        related: list[str] = []
        for item in r["related"] or []:
            for part in str(item).split(","):
                if part and part not in related:
                    related.append(part)
        out.append(
            Sighting(
                uid=str(r["uid"]),
                entity=str(r["entity"]),
                entity_type=str(r["entity_type"]),
                evidence_class=str(r["evidence_class"]),
                first_seen=_utc(r["first_seen"]),
                last_seen=_utc(r["last_seen"]),
                count=int(r["n"]),
                evidence=tuple(sorted(str(e) for e in r["evidence"] or [])),
                matched=str(r["matched"] or ""),
                related=tuple(related[:50]),
                via=via,
            )
        )
    return out
