"""Background traffic of the twin hospital as a Zeek conn.log, written columnar and in chunks.

A day of a hospital's flows is tens of millions of rows, so nothing here loops per row: each
chunk (a time window) draws its rows as NumPy arrays (flow templates, hosts, ports, sizes,
states), turns them into Arrow string columns with vectorised kernels and hands them to
PyArrow's CSV writer. Memory is bounded by the chunk size; 20 million rows take well under a
few minutes. Attack flows (the worm, a download) are merged into the right windows and every
window is sorted by time, so the file is in time order like a real Zeek log.
"""

from __future__ import annotations

import ipaddress
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from rempart.model.hospital import AssetKind, Hospital

__all__ = ["ATTACK_SCHEMA", "CONN_FIELDS", "CONN_TYPES", "attack_flows", "write_conn_log"]

CONN_FIELDS = (
    "ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service",
    "duration", "orig_bytes", "resp_bytes", "conn_state", "local_orig", "local_resp",
    "missed_bytes", "history", "orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes",
    "tunnel_parents",
)  # fmt: skip
CONN_TYPES = (
    "time", "string", "addr", "port", "addr", "port", "enum", "string", "interval", "count",
    "count", "string", "bool", "bool", "count", "string", "count", "count", "count", "count",
    "set[string]",
)  # fmt: skip

# Attack (or any extra) flows: one row per connection; missing sizes are derived.
ATTACK_SCHEMA = pa.schema(
    [
        ("ts", pa.float64()),  # epoch seconds
        ("src_ip", pa.string()),
        ("dst_ip", pa.string()),
        ("dst_port", pa.int32()),
        ("proto", pa.string()),
        ("service", pa.string()),
        ("conn_state", pa.string()),
        ("duration", pa.float64()),
        ("orig_bytes", pa.int64()),
        ("resp_bytes", pa.int64()),
    ]
)

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

CHUNK_ROWS = 500_000
_B62 = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", np.uint8)
_STATES = ("SF", "S0", "REJ", "RSTO", "S1", "RSTR", "SH", "OTH")
_TCP_HISTORY = {
    "SF": "ShADadFf", "S0": "S", "REJ": "Sr", "RSTO": "ShADadR", "S1": "ShADad",
    "RSTR": "ShADadr", "SH": "Sh", "OTH": "D",
}  # fmt: skip
_UDP_HISTORY = {"SF": "Dd", "S0": "D", "REJ": "D", "OTH": "D"}
# Local time in France in March is UTC+1; weight of each local hour (a hospital never sleeps).
_HOURLY = np.array(
    [0.22, 0.2, 0.19, 0.19, 0.2, 0.25, 0.4, 0.7, 0.95, 1.0, 1.0, 0.97,
     0.85, 0.92, 1.0, 1.0, 0.95, 0.8, 0.6, 0.45, 0.38, 0.32, 0.28, 0.24]
)  # fmt: skip
_UTC_OFFSET_H = 1


@dataclass(frozen=True)
class _Template:
    name: str
    weight: float
    src: str  # group name
    dst: str
    port: int
    proto: str
    service: str
    fail: float  # share of failed attempts (S0 / REJ)
    orig_log: float  # log mean of bytes sent
    resp_log: float
    dur_log: float  # log mean of duration, seconds


_TABLE = """
#name      weight src                    dst              port proto service fail  orig resp dur
kerberos   0.08   pc                     dc               88   tcp   krb_tcp 0.01  7.2  7.0  -3.0
ldap       0.06   pc                     dc               389  tcp   ldap    0.01  6.5  7.5  -2.0
sysvol     0.05   pc                     dc               445  tcp   smb     0.01  7.0  9.0  -1.0
rpc        0.03   pc                     dc               135  tcp   dce_rpc 0.02  5.5  5.5  -3.5
dns        0.15   pc                     dns              53   udp   dns     0.01  4.0  4.8  -4.0
shares     0.11   pc                     file_server      445  tcp   smb     0.01  9.0  11.0 1.0
dpi        0.12   pc                     dpi              443  tcp   ssl     0.005 8.0  10.5 0.5
proxy      0.14   pc                     proxy            3128 tcp   http    0.02  7.0  10.0 0.5
mail       0.05   pc                     mail_server      443  tcp   ssl     0.005 7.5  9.0  1.0
print      0.01   pc                     print_server     445  tcp   smb     0.02  10.0 6.0  0.5
rds        0.01   pc                     remote_desktop   3389 tcp   rdp     0.01  10.0 12.0 5.0
wsus       0.02   pc                     management       8530 tcp   http    0.01  6.0  11.0 0.0
sccm_push  0.005  management             pc               445  tcp   smb     0.05  8.0  6.0  0.0
dicom      0.02   device                 pacs             104  tcp   dicom   0.01  13.0 6.0  2.0
hl7        0.02   device                 interface_engine 2575 tcp   -       0.01  7.0  5.0  -1.0
smtp_in    0.01   internet               mail_gateway     25   tcp   smtp    0.03  9.5  6.0  0.5
smtp_out   0.006  mail_gateway           internet         25   tcp   smtp    0.03  9.0  6.0  0.5
smtp_relay 0.01   mail_gateway           mail_server      25   tcp   smtp    0.0   9.5  6.0  0.3
web        0.06   proxy                  internet         443  tcp   ssl     0.03  7.0  10.0 0.5
web80      0.015  proxy                  internet         80   tcp   http    0.04  6.5  9.0  0.0
labs       0.004  lab_system             p:labo-biosud    443  tcp   ssl     0.01  8.5  8.0  0.5
labs_hl7   0.002  interface_engine       p:labo-occitanie 2575 tcp   -       0.01  7.5  6.0  0.0
labs2      0.002  interface_engine       p:labo-occitanie 443  tcp   ssl     0.01  8.0  8.0  0.5
treasury   0.002  finance                p:tresorerie     443  tcp   ssl     0.01  8.5  8.5  1.0
payroll    0.001  payroll                p:paie-externe   443  tcp   ssl     0.01  9.0  8.0  1.0
hds        0.004  dpi                    p:hds            443  tcp   ssl     0.005 11.0 8.0  2.0
backup_hds 0.001  backup                 p:hds            443  tcp   ssl     0.005 14.0 7.0  4.0
samu       0.002  samu_regulation        p:samu-lien      443  tcp   ssl     0.005 8.0  8.0  1.0
samu_sip   0.001  samu_regulation        p:samu-lien      5061 tcp   ssl     0.01  7.0  7.0  3.0
mssante    0.002  secure_messaging       p:mssante        443  tcp   ssl     0.01  9.0  7.0  0.5
isp_dns    0.01   dns                    p:fai            53   udp   dns     0.01  4.0  5.0  -4.0
ntp        0.002  dc                     p:fai            123  udp   ntp     0.0   3.8  3.8  -4.0
vendor     0.0005 p:maintenance-imagerie pacs             22   tcp   ssh     0.05  8.0  9.0  4.0
"""


def _parse_templates(text: str) -> tuple[_Template, ...]:
    out = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        n, w, src, dst, port, proto, svc, fail, orig, resp, dur = line.split()
        out.append(
            _Template(
                n,
                float(w),
                src,
                dst,
                int(port),
                proto,
                svc,
                float(fail),
                float(orig),
                float(resp),
                float(dur),
            )
        )
    return tuple(out)


# Flow templates: who talks to whom (groups: a server role, pc, device, internet, p:<partner>),
# on which port, how often (weight), how often it fails, and log-mean sizes and duration.
_TEMPLATES = _parse_templates(_TABLE)


class _Pools:
    """Every address the log may name, as one Arrow string array, and groups of indices."""

    def __init__(self, hospital: Hospital, extra_ips: list[str]) -> None:
        ips: list[str] = []
        groups: dict[str, list[int]] = {}

        def add(group: str, ip: str) -> None:
            groups.setdefault(group, []).append(len(ips))
            ips.append(ip)

        for a in hospital.assets:
            if not a.ip:
                continue
            if a.kind in (AssetKind.WORKSTATION, AssetKind.LAPTOP):
                add("pc", a.ip)
            elif a.kind is AssetKind.MEDICAL_DEVICE:
                add("device", a.ip)
            elif a.kind is AssetKind.SERVER and a.role:
                add(a.role, a.ip)
                if a.role == "domain_controller":
                    groups.setdefault("dc", []).append(len(ips) - 1)
                    groups.setdefault("dns", []).append(len(ips) - 1)
            else:
                add("other", a.ip)
        for p in hospital.partners:
            for cidr in p.addresses:
                add(f"p:{p.id}", cidr.split("/")[0])
        for k in range(128, 256):  # "the internet": documentation ranges only
            add("internet", f"203.0.113.{k}")
            add("internet", f"198.51.100.{k}")
        known = set(ips)
        for ip in extra_ips:  # unique addresses of the attack flows (a few hundred)
            if ip not in known:
                known.add(ip)
                add("extra", ip)
        nets = [ipaddress.ip_network(r) for r in hospital.hospital.internal_ranges]
        self.ips = pa.array(ips, pa.string())
        self.internal = np.array(
            [any(ipaddress.ip_address(ip) in n for n in nets) for ip in ips], dtype=bool
        )
        self.groups = {k: np.array(v, dtype=np.int64) for k, v in groups.items()}

    def group(self, name: str) -> I64:
        if name not in self.groups:  # a small twin may lack a role: fall back to DCs
            return self.groups["domain_controller"]
        return self.groups[name]

    def index(self, values: pa.Array) -> I64:
        out: I64 = pc.index_in(values, value_set=self.ips).to_numpy(zero_copy_only=False)
        return out.astype(np.int64)


def _minute_weights(start: datetime, minutes: int) -> F64:
    local_hour = (np.arange(minutes) // 60 + start.hour + _UTC_OFFSET_H) % 24
    w: F64 = _HOURLY[local_hour]
    return w


def _fixed_text(codes: npt.NDArray[np.uint8]) -> pa.StringArray:
    """(n, w) ASCII bytes → Arrow strings, zero-copy."""
    n, w = codes.shape
    offsets = np.arange(0, (n + 1) * w, w, dtype=np.int32)
    return pa.StringArray.from_buffers(
        n, pa.py_buffer(offsets.tobytes()), pa.py_buffer(np.ascontiguousarray(codes).tobytes())
    )


def _uids(rng: np.random.Generator, n: int) -> pa.StringArray:
    codes = np.empty((n, 18), dtype=np.uint8)
    codes[:, 0] = ord("C")
    codes[:, 1:] = _B62[rng.integers(0, 62, size=(n, 17), dtype=np.uint8)]
    return _fixed_text(codes)


def _decimal(micros: I64) -> pa.Array:
    """Integer microseconds → 'seconds.micro' text, as Zeek prints times and intervals."""
    sec = pc.cast(pa.array(micros // 1_000_000), pa.string())
    frac = pc.utf8_lpad(pc.cast(pa.array(micros % 1_000_000), pa.string()), width=6, padding="0")
    return pc.binary_join_element_wise(sec, frac, ".")


def _num(values: I64) -> pa.Array:
    return pc.cast(pa.array(values), pa.string())


@dataclass
class _Chunk:
    """A chunk's rows as numbers: indices into the address pool and into small vocabularies."""

    ts_us: I64
    src: I64
    dst: I64
    dport: I64
    udp: npt.NDArray[np.bool_]
    service: I64  # index into _SERVICES
    state: I64  # index into _STATES
    dur_us: I64
    orig_bytes: I64
    resp_bytes: I64

    @staticmethod
    def concat(parts: list[_Chunk]) -> _Chunk:
        names = list(_Chunk.__dataclass_fields__)
        return _Chunk(**{n: np.concatenate([getattr(p, n) for p in parts]) for n in names})

    def take(self, order: I64) -> _Chunk:
        names = list(_Chunk.__dataclass_fields__)
        return _Chunk(**{n: getattr(self, n)[order] for n in names})


_SERVICES = tuple(sorted({t.service for t in _TEMPLATES} | {"smb", "http", "ssl", "dns"}))
_SERVICE_TEXT = pa.array(_SERVICES, pa.string())
_STATE_TEXT = pa.array(_STATES, pa.string())
_HISTORY_TEXT = pa.array(
    [_TCP_HISTORY.get(st, "D") for st in _STATES] + [_UDP_HISTORY.get(st, "D") for st in _STATES],
    pa.string(),
)
_S0, _REJ = _STATES.index("S0"), _STATES.index("REJ")


def _background(pools: _Pools, rng: np.random.Generator, ts_us: I64) -> _Chunk:
    n = len(ts_us)
    weights = np.array([t.weight for t in _TEMPLATES])
    kind = rng.choice(len(_TEMPLATES), size=n, p=weights / weights.sum())
    ch = _Chunk(
        ts_us=ts_us,
        src=np.empty(n, np.int64),
        dst=np.empty(n, np.int64),
        dport=np.empty(n, np.int64),
        udp=np.zeros(n, bool),
        service=np.zeros(n, np.int64),
        state=np.zeros(n, np.int64),
        dur_us=np.empty(n, np.int64),
        orig_bytes=np.empty(n, np.int64),
        resp_bytes=np.empty(n, np.int64),
    )
    for k, t in enumerate(_TEMPLATES):
        rows = np.flatnonzero(kind == k)
        m = rows.size
        if not m:
            continue
        sg, dg = pools.group(t.src), pools.group(t.dst)
        ch.src[rows] = sg[rng.integers(0, sg.size, m)]
        ch.dst[rows] = dg[rng.integers(0, dg.size, m)]
        ch.dport[rows] = t.port
        ch.udp[rows] = t.proto == "udp"
        ch.service[rows] = _SERVICES.index(t.service)
        u = rng.random(m)
        st = np.zeros(m, dtype=np.int64)
        st[u < t.fail] = _S0
        st[(u >= t.fail) & (u < t.fail * 1.6)] = _REJ
        if t.proto == "tcp":
            st[(u >= t.fail * 1.6) & (u < t.fail * 1.6 + 0.01)] = _STATES.index("RSTO")
        ch.state[rows] = st
        ch.orig_bytes[rows] = np.exp(rng.normal(t.orig_log, 1.0, m)).astype(np.int64)
        ch.resp_bytes[rows] = np.exp(rng.normal(t.resp_log, 1.2, m)).astype(np.int64)
        ch.dur_us[rows] = (np.exp(rng.normal(t.dur_log, 1.0, m)) * 1e6).astype(np.int64)
    return ch


def _format(ch: _Chunk, pools: _Pools, rng: np.random.Generator) -> pa.Table:
    """Derive Zeek's packet counts and history from state and sizes; build the text columns."""
    n = len(ch.ts_us)
    failed = (ch.state == _S0) | (ch.state == _REJ)
    udp = ch.udp
    obytes = np.where(failed, 0, ch.orig_bytes)
    rbytes = np.where(failed, 0, ch.resp_bytes)
    s0_pkts = 1 + (rng.random(n) < 0.3)
    opkts = np.where(failed, np.where(ch.state == _S0, s0_pkts, 1), 2 + obytes // 1200 + ~udp * 2)
    rpkts = np.where(ch.state == _REJ, 1, np.where(failed, 0, 1 + rbytes // 1200 + ~udp * 2))
    hdr = np.where(udp, 28, 52)
    sport = rng.integers(49152, 65535, n)
    sport = np.where(udp & (ch.dport == 123), 123, sport)
    duration = pc.if_else(
        pa.array(ch.state == _S0), pa.scalar("-"), _decimal(np.maximum(ch.dur_us, 1))
    )
    service = pc.if_else(pa.array(failed), pa.scalar("-"), pc.take(_SERVICE_TEXT, ch.service))
    flags = pa.array(["F", "T"], pa.string())
    cols = {
        "ts": _decimal(ch.ts_us),
        "uid": _uids(rng, n),
        "id.orig_h": pc.take(pools.ips, ch.src),
        "id.orig_p": _num(sport),
        "id.resp_h": pc.take(pools.ips, ch.dst),
        "id.resp_p": _num(ch.dport),
        "proto": pc.take(pa.array(["tcp", "udp"], pa.string()), udp.astype(np.int64)),
        "service": service,
        "duration": duration,
        "orig_bytes": _num(obytes),
        "resp_bytes": _num(rbytes),
        "conn_state": pc.take(_STATE_TEXT, ch.state),
        "local_orig": pc.take(flags, pools.internal[ch.src].astype(np.int64)),
        "local_resp": pc.take(flags, pools.internal[ch.dst].astype(np.int64)),
        "missed_bytes": pa.repeat(pa.scalar("0"), n),
        "history": pc.take(_HISTORY_TEXT, ch.state + udp * len(_STATES)),
        "orig_pkts": _num(opkts),
        "orig_ip_bytes": _num(obytes + opkts * hdr),
        "resp_pkts": _num(rpkts),
        "resp_ip_bytes": _num(rbytes + rpkts * hdr),
        "tunnel_parents": pa.repeat(pa.scalar("-"), n),
    }
    return pa.table(cols)


def attack_flows(
    ts: Sequence[float] | F64,
    src_ip: Sequence[str],
    dst_ip: Sequence[str],
    dst_port: Sequence[int] | I64,
    conn_state: Sequence[str],
    *,
    proto: str = "tcp",
    service: str | Sequence[str] | None = None,
    duration: Sequence[float] | None = None,
    orig_bytes: Sequence[int] | None = None,
    resp_bytes: Sequence[int] | None = None,
) -> pa.Table:
    """An ATTACK_SCHEMA table from columns (scalars broadcast); sizes derived when absent."""
    n = len(src_ip)

    def col(value: object, default: object) -> list[object]:
        if value is None:
            return [default] * n
        if isinstance(value, str):
            return [value] * n
        return list(value)  # type: ignore[call-overload, no-any-return]

    return pa.table(
        {
            "ts": pa.array(np.asarray(ts, dtype=np.float64)),
            "src_ip": pa.array(list(src_ip), pa.string()),
            "dst_ip": pa.array(list(dst_ip), pa.string()),
            "dst_port": pa.array(np.asarray(dst_port, dtype=np.int32)),
            "proto": pa.array([proto] * n, pa.string()),
            "service": pa.array(col(service, None), pa.string()),
            "conn_state": pa.array(list(conn_state), pa.string()),
            "duration": pa.array(col(duration, None), pa.float64()),
            "orig_bytes": pa.array(col(orig_bytes, None), pa.int64()),
            "resp_bytes": pa.array(col(resp_bytes, None), pa.int64()),
        },
        schema=ATTACK_SCHEMA,
    )


def _extra_chunk(extra: pa.Table, pools: _Pools, rng: np.random.Generator) -> _Chunk:
    """Attack flows as numbers (sizes drawn where the table leaves them null)."""
    n = extra.num_rows

    def ints(name: str, log_mean: float) -> I64:
        drawn = np.exp(rng.normal(log_mean, 0.8, n)).astype(np.int64)
        given = pc.fill_null(extra.column(name), -1).to_numpy(zero_copy_only=False)
        out: I64 = np.where(given >= 0, given.astype(np.int64), drawn)
        return out

    dur = pc.fill_null(extra.column("duration"), -1.0).to_numpy(zero_copy_only=False)
    drawn_dur = np.exp(rng.normal(-1.0, 1.0, n)) * 1e6
    service = pc.index_in(pc.fill_null(extra.column("service"), "-"), value_set=_SERVICE_TEXT)
    state = pc.index_in(extra.column("conn_state"), value_set=_STATE_TEXT)
    if service.null_count or state.null_count:
        raise ValueError(f"attack flows: service must be one of {_SERVICES}, state of {_STATES}")
    return _Chunk(
        ts_us=np.round(extra.column("ts").to_numpy(zero_copy_only=False) * 1e6).astype(np.int64),
        src=pools.index(extra.column("src_ip").combine_chunks()),
        dst=pools.index(extra.column("dst_ip").combine_chunks()),
        dport=extra.column("dst_port").to_numpy(zero_copy_only=False).astype(np.int64),
        udp=pc.equal(extra.column("proto"), "udp").to_numpy(zero_copy_only=False).astype(bool),
        service=service.to_numpy(zero_copy_only=False).astype(np.int64),
        state=state.to_numpy(zero_copy_only=False).astype(np.int64),
        dur_us=np.where(dur >= 0, dur * 1e6, drawn_dur).astype(np.int64),
        orig_bytes=ints("orig_bytes", 7.0),
        resp_bytes=ints("resp_bytes", 6.0),
    )


def _zeek_time(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%d-%H-%M-%S")


def write_conn_log(
    hospital: Hospital,
    path: Path | str,
    *,
    start: datetime,
    hours: float = 24,
    rows: int,
    seed: int,
    extra: pa.Table | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write `rows` background flows (plus `extra`, ATTACK_SCHEMA) as a Zeek TSV conn.log.

    Returns the number of data rows written. `progress`, if given, is called with
    (rows done, rows total) after each chunk.
    """
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    path = Path(path)
    extra_ips: list[str] = []
    if extra is not None and extra.num_rows:
        extra = extra.select(ATTACK_SCHEMA.names).cast(ATTACK_SCHEMA)
        extra = extra.take(pc.sort_indices(extra, [("ts", "ascending")]))
        both = pa.chunked_array(extra.column("src_ip").chunks + extra.column("dst_ip").chunks)
        extra_ips = pc.unique(both).to_pylist()
    else:
        extra = None
    pools = _Pools(hospital, [ip for ip in extra_ips if ip])
    minutes = max(1, math.ceil(hours * 60))
    weights = _minute_weights(start, minutes)
    chunks = max(1, math.ceil(rows / CHUNK_ROWS))
    bounds = np.linspace(0, minutes, chunks + 1).round().astype(np.int64)
    per_chunk = _largest_remainder(
        rows, [float(weights[a:b].sum()) for a, b in itertools.pairwise(bounds)]
    )
    start_us = int(start.timestamp()) * 1_000_000
    end_us = start_us + int(hours * 3600 * 1_000_000)
    extra_ts = np.zeros(0, dtype=np.int64)
    if extra is not None:
        extra_ts = np.round(extra.column("ts").to_numpy(zero_copy_only=False) * 1e6)
    written = 0
    total = rows + (0 if extra is None else extra.num_rows)
    options = pacsv.WriteOptions(include_header=False, delimiter="\t", quoting_style="none")
    schema = pa.schema([(f, pa.string()) for f in CONN_FIELDS])
    with path.open("wb") as raw:
        raw.write(_header(start).encode())
        with pacsv.CSVWriter(raw, schema, write_options=options) as writer:
            for c in range(chunks):
                rng = np.random.default_rng([seed, c])
                a, b = int(bounds[c]), int(bounds[c + 1])
                n = per_chunk[c]
                parts: list[_Chunk] = []
                if n and b > a:
                    w = weights[a:b]
                    minute = a + rng.choice(b - a, size=n, p=w / w.sum()).astype(np.int64)
                    offset = rng.integers(0, 60_000_000, n)
                    parts.append(_background(pools, rng, start_us + minute * 60_000_000 + offset))
                if extra is not None:
                    lo = -np.inf if c == 0 else start_us + a * 60_000_000
                    hi = np.inf if c == chunks - 1 else start_us + b * 60_000_000
                    sel = np.flatnonzero((extra_ts >= lo) & (extra_ts < hi))
                    if sel.size:
                        parts.append(_extra_chunk(extra.take(pa.array(sel)), pools, rng))
                if not parts:
                    continue
                chunk = _Chunk.concat(parts) if len(parts) > 1 else parts[0]
                chunk = chunk.take(np.argsort(chunk.ts_us, kind="stable"))
                writer.write_table(_format(chunk, pools, rng))
                written += len(chunk.ts_us)
                if progress is not None:
                    progress(written, total)
        raw.write(f"#close\t{_zeek_time(datetime.fromtimestamp(end_us / 1e6, UTC))}\n".encode())
    return written


def _largest_remainder(total: int, weights: list[float]) -> list[int]:
    s = sum(weights) or 1.0
    raw = [total * w / s for w in weights]
    base = [int(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: (base[i] - raw[i], i))[: total - sum(base)]:
        base[i] += 1
    return base


def _header(start: datetime) -> str:
    return (
        "#separator \\x09\n"
        "#set_separator\t,\n"
        "#empty_field\t(empty)\n"
        "#unset_field\t-\n"
        "#path\tconn\n"
        f"#open\t{_zeek_time(start)}\n"
        "#fields\t" + "\t".join(CONN_FIELDS) + "\n"
        "#types\t" + "\t".join(CONN_TYPES) + "\n"
    )
