"""The conn.logs summed at ingest (`flow_pairs`) give the detectors what the flows give.

Three detector aggregates (the scan detector's first contacts, the conversations of
interest, the border table) read `{pairs}`: on a store, `flow_pairs` (summed per file at
ingest) plus the other sources' rows summed at once; without it, the same sum over the
flows. Both must agree row for row and type for type, with a conn.log of every protocol
and outcome, firewall rows beside it, and a workspace from before the table.
"""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow as pa
from tests.sources.zeekfields import CONN_FIELDS

from rempart.detect.network import convs, edges, nets, scan
from rempart.detect.network.nets import NetParams
from rempart.ingest.files import ingest_file
from rempart.schema import EVENT_CLASSES
from rempart.store import Store
from rempart.store.engine import Engine

_FIELDS = [*CONN_FIELDS[: CONN_FIELDS.index("conn_state") + 1], "orig_pkts", "resp_pkts"]
_HEADER = (
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n"
    "#fields\t" + "\t".join(_FIELDS) + "\n"
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\t"
    "string\tcount\tcount\n"
)
_HOSTS = ["10.1.0.1", "10.1.0.2", "10.1.0.3", "10.2.0.9", "93.184.216.34", "198.51.100.7"]


def _conn_log(path: Path, rows: int = 600) -> Path:
    """Flows of every kind over two UTC days: TCP in every state, UDP answered or not,
    ICMP requests and answers (Zeek's type in the originator port), a few without ports."""
    rnd = random.Random(7)
    lines = []
    for n in range(rows):
        proto = rnd.choice(["tcp", "tcp", "udp", "icmp"])
        state = rnd.choice(["SF", "S0", "REJ", "RSTO", "OTH", "SH"]) if proto == "tcp" else "SF"
        src, dst = rnd.sample(_HOSTS, 2)
        sport = rnd.choice([8, 0, 3]) if proto == "icmp" else 40000 + n
        dport = rnd.choice([445, 3389, 443, 53, 5353, 1177]) if proto != "icmp" else 0
        pkts_in = rnd.choice([0, 0, 3]) if proto != "tcp" else rnd.choice([0, 5])
        ts = 1552262400 + rnd.randrange(0, 2 * 86400)
        port = "-" if n % 97 == 0 else str(dport)
        lines.append(
            f"{ts}.{n:06d}\tC{n:017d}\t{src}\t{sport}\t{dst}\t{port}\t{proto}\t-\t0.1\t"
            f"{rnd.randrange(0, 900)}\t{pkts_in * 40}\t{state}\t{rnd.choice([0, 2])}\t{pkts_in}"
        )
    path.write_text(_HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def _firewall_rows() -> pa.Table:
    """A few firewall records (denied and allowed) in `flow_rows`, beside the conn.log."""
    rows = []
    for n in range(40):
        rows.append(
            {
                "time": None if n == 39 else pa.scalar(1552262400 + n * 600, pa.timestamp("s")),
                "src_ip": _HOSTS[n % 3],
                "dst_ip": _HOSTS[4 + n % 2],
                "dst_port": 3389 if n % 2 else 22,
                "protocol": "tcp" if n % 3 else "gre",
                "action": "denied" if n % 4 == 0 else "allowed",
                "status": "failure" if n % 4 == 0 else "success",
                "record_kind": "firewall",
                "event_uid": f"fw:{n}",
            }
        )
    schema = EVENT_CLASSES["network_flow"]
    cols = {f.name: [r.get(f.name) for r in rows] for f in schema}
    cols["time"] = [None if r["time"] is None else r["time"].as_py() for r in rows]
    return pa.table({f.name: pa.array(cols[f.name], f.type) for f in schema})


def _aggregates(engine: Engine) -> list[tuple[str, list[dict[str, object]], pa.Schema]]:
    nets._CACHE.clear()  # (the host table is cached per connection and data)
    params = NetParams()
    nets.prepare(engine, None, params)
    out = []
    for name, sql in (
        ("contacts", scan._sql(params)[0]),
        ("convs", convs.convs_sql(params)),
        ("edges", edges.edges_sql()),
    ):
        table = engine.query(sql)
        rows = sorted(table.to_pylist(), key=repr)
        out.append((name, rows, table.schema))
    return out


def test_pairs_give_what_the_flows_give(tmp_path: Path) -> None:
    db = tmp_path / "p.duckdb"
    with Store(db) as store:
        assert ingest_file(store, _conn_log(tmp_path / "conn.log")).records == 600
        ingest_file(store, _conn_log(tmp_path / "conn2.log", rows=150))
        store.append("network_flow", _firewall_rows())
        assert store.count("flow_pairs") > 0
        summed = Engine.for_store(store)
        assert summed.pairs is not None
        plain = Engine(store.con, "duckdb")  # no summary: `{pairs}` sums the flows
        got, want = _aggregates(summed), _aggregates(plain)
        for (name, rows, schema), (_, rows2, schema2) in zip(got, want, strict=True):
            assert rows, name  # (each aggregate has rows to compare)
            assert rows == rows2, name
            assert schema == schema2, name
        # a workspace from before the summary: read-only, the flows are summed at each run;
        # opened for writing, every file's summary is written once
        store.execute("DROP TABLE flow_pairs")
    with Store(db, read_only=True) as store:
        engine = Engine.for_store(store)
        assert engine.pairs is None
        assert _aggregates(engine) == want
    with Store(db) as store:
        assert store.count("flow_pairs") > 0
        assert _aggregates(Engine.for_store(store)) == want
