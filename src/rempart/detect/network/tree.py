"""Spread tree: who probably infected whom, patient zero, and the infected set per zone.

Hosts "behave alike" when they start reaching new internal peers over the same admin
protocols (at least `alike_peers` within the window). For each such host, the candidate
parents are the alike hosts that successfully contacted it after their own spread began
and before it began its own; the earliest such contact is the likely infection (edge
confidence = 1 / number of distinct candidate parents). Only trees that hold at least one
host past the lateral-spread threshold are kept, so a few busy workstations do not make an
epidemic. Patient zero is the root of the largest tree (earliest on a tie); its confidence
is the share of the infected set its tree explains times the mean confidence of the edges in it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from rempart.detect.network.common import utc
from rempart.detect.network.nets import NetParams, prepare
from rempart.detect.network.pairs import PAIRS_CTE, pair_uids_sql, use_pairs
from rempart.model import Hospital
from rempart.store import Store
from rempart.store.engine import Engine


@dataclass(frozen=True)
class SpreadEdge:
    src: str
    dst: str
    time: datetime
    confidence: float
    evidence: str  # event_uid of the contact


@dataclass(frozen=True)
class InfectedHost:
    ip: str
    first_seen: datetime  # estimated infection time (contact by the parent, else spread start)
    spread_start: datetime  # first new admin peer of its own spread
    zone: str | None
    parent: str | None
    peers: int  # new admin peers it reached


@dataclass(frozen=True)
class SpreadTree:
    edges: tuple[SpreadEdge, ...]
    patient_zero: str | None
    first_time: datetime | None
    infected: tuple[InfectedHost, ...]
    confidence: float

    def by_zone(self) -> dict[str, tuple[InfectedHost, ...]]:
        """Zone (declared, else /24) -> infected hosts, in infection order."""
        out: dict[str, list[InfectedHost]] = defaultdict(list)
        for h in sorted(self.infected, key=lambda h: (h.first_seen, h.ip)):
            out[h.zone or "?"].append(h)
        return {z: tuple(v) for z, v in sorted(out.items())}


EMPTY = SpreadTree((), None, None, (), 0.0)


def _sql(p: NetParams) -> tuple[str, str, str]:
    base = (
        PAIRS_CTE
        + f""",
    act AS (
        SELECT src_ip, min(t) AS t_act,
               max(CASE WHEN n_win >= threshold THEN 1 ELSE 0 END) AS strong
        FROM pairs
        WHERE n_win >= threshold OR (baselined = 0 AND n_win >= {p.alike_peers})
        GROUP BY src_ip
    ), st AS (
        SELECT pairs.src_ip, act.t_act, act.strong, min(pairs.t) AS t_start,
               count(*) AS peers, max(pairs.src_zone) AS zone
        FROM pairs JOIN act ON act.src_ip = pairs.src_ip
        WHERE epoch(pairs.t) >= epoch(act.t_act) - {p.window_seconds}
        GROUP BY pairs.src_ip, act.t_act, act.strong
    )"""
    )
    hosts = base + " SELECT src_ip AS ip, t_act, strong, t_start, peers, zone FROM st"
    cands = """
    SELECT pr.src_ip AS parent, pr.dst_ip AS child, pr.t AS time
    FROM pairs pr
    JOIN st sp ON sp.src_ip = pr.src_ip
    JOIN st sc ON sc.src_ip = pr.dst_ip
    WHERE pr.ok = 1 AND pr.t >= sp.t_start AND pr.t < sc.t_act AND sp.t_start < sc.t_start"""
    uids = pair_uids_sql(
        p,
        base,
        f"SELECT child AS entity, parent AS src_ip, child AS dst_ip, time FROM ({cands}) c",
        limit=False,
    )
    return hosts, base + cands, uids


def spread_from_engine(
    engine: Engine, hospital: Hospital | None = None, params: NetParams | None = None
) -> SpreadTree:
    """The spread tree over a prepared engine (DuckDB or Spark)."""
    del hospital
    p = params or NetParams()
    use_pairs(engine, p)
    hosts_sql, cands_sql, uids_sql = _sql(p)
    hosts = {r["ip"]: r for r in engine.query(hosts_sql).to_pylist()}
    if not hosts:
        return EMPTY
    cands: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for r in engine.query(cands_sql).to_pylist():
        cands[r["child"]].append((utc(r["time"]), r["parent"]))
    uids: dict[tuple[str, str, datetime], str] = {}
    if cands:
        for r in engine.query(uids_sql).to_pylist():
            uids[(r["src_ip"], r["dst_ip"], utc(r["time"]))] = r["uid"]
    parent: dict[str, SpreadEdge] = {}
    for child, options in cands.items():
        options.sort()
        t, par = options[0]
        n_par = len({o[1] for o in options})
        uid = uids.get((par, child, t), "")
        parent[child] = SpreadEdge(par, child, t, round(1.0 / n_par, 4), uid)

    def root(ip: str) -> str:
        seen = set()
        while ip in parent and ip not in seen:
            seen.add(ip)
            ip = parent[ip].src
        return ip

    trees: dict[str, list[str]] = defaultdict(list)
    for ip in hosts:
        trees[root(ip)].append(ip)
    kept = {r: m for r, m in trees.items() if any(hosts[x]["strong"] for x in m)}
    if not kept:
        return EMPTY
    members = sorted(ip for m in kept.values() for ip in m)
    infected = tuple(
        sorted(
            (
                InfectedHost(
                    ip=ip,
                    first_seen=parent[ip].time if ip in parent else utc(hosts[ip]["t_start"]),
                    spread_start=utc(hosts[ip]["t_start"]),
                    zone=hosts[ip]["zone"],
                    parent=parent[ip].src if ip in parent else None,
                    peers=int(hosts[ip]["peers"]),
                )
                for ip in members
            ),
            key=lambda h: (h.first_seen, h.ip),
        )
    )
    edges = tuple(sorted((parent[ip] for ip in members if ip in parent), key=lambda e: e.time))
    p0 = min(kept, key=lambda r: (-len(kept[r]), utc(hosts[r]["t_start"]), r))
    tree_edges = [parent[ip] for ip in kept[p0] if ip in parent]
    mean_conf = sum(e.confidence for e in tree_edges) / len(tree_edges) if tree_edges else 0.5
    confidence = round(len(kept[p0]) / len(members) * mean_conf, 4)
    return SpreadTree(edges, p0, utc(hosts[p0]["t_start"]), infected, confidence)


def reconstruct_spread(
    store: Store | Engine, hospital: Hospital | None = None, params: NetParams | None = None
) -> SpreadTree:
    """Who probably infected whom in the store's flows (a `Store`, or an `Engine` on Spark)."""
    p = params or NetParams()
    own = not isinstance(store, Engine)
    engine = Engine.for_store(store) if isinstance(store, Store) else store
    prepare(engine, hospital, p)
    try:
        return spread_from_engine(engine, hospital, p)
    finally:
        if own:
            engine.close()
