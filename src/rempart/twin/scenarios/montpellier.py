"""CHU Montpellier, March 2019, replayed on the twin: what the sensors saw over a day.

A phishing email (a Qbot-style invoice reminder from a lookalike of a partner lab's domain)
reaches a few staff; one opens it on a PC of building C. The worm spreads over SMB inside
the building (most probes hit empty addresses or refuse; sessions to vulnerable PCs succeed),
tries other buildings (mostly dropped by their separate networks, seen as S0), beacons out
through the proxy, and is contained the way it was in 2019: late detection, then each
building isolated and the internet cut. The spread follows one sampled run of the
calibrated engine, so the files and `ground_truth.json` tell the same story.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from rempart.model.hospital import AssetKind, Hospital, ZoneKind
from rempart.twin.mail import build_phishing, ordinary_mail, write_mbox
from rempart.twin.proxy import ProxyRequest, browsing, write_squid_log
from rempart.twin.spread import Controls, SpreadNetwork, SpreadParams, simulate
from rempart.twin.traffic import ATTACK_SCHEMA, write_conn_log

__all__ = [
    "HISTORICAL",
    "GroundTruth",
    "HistoricalResponse",
    "InfectedHost",
    "PhishingTruth",
    "ScenarioFiles",
    "historical_controls",
    "load_ground_truth",
    "patient_zero",
    "write_montpellier",
]

LOG_START = datetime(2019, 3, 11, 6, 0, tzinfo=UTC)
LOG_HOURS = 26.0  # from the morning before the attack to 24 h after the first infection
PHISH_SENT = datetime(2019, 3, 11, 7, 38, 12, tzinfo=UTC)
FIRST_INFECTION = datetime(2019, 3, 11, 7, 55, 0, tzinfo=UTC)  # the email is opened
PATIENT_ZERO_ZONE = "bat-c"
C2 = ("203.0.113.66", "198.51.100.99")
DOWNLOAD_HOST = "203.0.113.77"
HORIZONS = (60.0, 360.0, 1440.0)


@dataclass(frozen=True)
class HistoricalResponse:
    """What IT did in 2019, in minutes after the first infection."""

    detected_minute: float = 420.0  # odd behaviour noticed in the afternoon
    isolation_minute: float = 480.0  # every building cut from the others, internet locked
    internet_cut_minute: float = 480.0


HISTORICAL = HistoricalResponse()


@dataclass(frozen=True)
class InfectedHost:
    hostname: str
    ip: str
    zone: str
    infected_at: datetime
    user: str | None = None


@dataclass(frozen=True)
class PhishingTruth:
    message_id: str
    subject: str
    sender: str
    reply_to: str
    recipients: tuple[str, ...]
    sent_at: datetime
    url: str
    attachment: str


@dataclass(frozen=True)
class GroundTruth:
    seed: int
    hosts: int
    patient_zero: InfectedHost
    phishing: PhishingTruth
    infected: tuple[InfectedHost, ...]
    detected_at: datetime
    isolation_at: datetime
    internet_cut_at: datetime
    isolated_zones: tuple[str, ...]
    by_zone: tuple[tuple[str, int], ...]
    expected_mean_24h: float
    interval_24h: tuple[float, float]
    c2: tuple[str, ...]


@dataclass(frozen=True)
class ScenarioFiles:
    out_dir: Path
    mailbox: Path
    conn_log: Path
    ground_truth_path: Path
    ground_truth: GroundTruth
    proxy_log: Path | None = None  # the proxy's access.log (Squid): who is behind it


def patient_zero(hospital: Hospital, seed: int = 0) -> str:
    """A Windows PC with a mailbox in building C (or the biggest building of a small twin)."""
    candidates = [
        a
        for a in hospital.assets
        if a.kind is AssetKind.WORKSTATION and a.user and "windows" in (a.os or "").lower()
    ]
    in_c = [a for a in candidates if a.zone == PATIENT_ZERO_ZONE]
    if not in_c:
        sizes: dict[str, int] = {}
        for a in candidates:
            sizes[str(a.zone)] = sizes.get(str(a.zone), 0) + 1
        biggest = max(sorted(sizes), key=lambda z: sizes[z])
        in_c = [a for a in candidates if a.zone == biggest]
    rng = np.random.default_rng([seed, 11])
    return in_c[int(rng.integers(len(in_c)))].hostname


def historical_controls(hospital: Hospital, response: HistoricalResponse = HISTORICAL) -> Controls:
    """2019's response: every building isolated from the others and the internet locked."""
    buildings = tuple(z.id for z in hospital.zones if z.kind is ZoneKind.BUILDING)
    return Controls(
        isolated_zones=buildings, egress_cut=True, applied_at_minute=response.isolation_minute
    )


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(t: str) -> datetime:
    return datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _ip_int(ips: list[str]) -> npt.NDArray[np.int64]:
    return np.array([int(ipaddress.IPv4Address(ip)) for ip in ips], dtype=np.int64)


def _worm_flows(
    hospital: Hospital,
    net: SpreadNetwork,
    infections: tuple[tuple[str, str, float], ...],
    params: SpreadParams,
    seed: int,
    response: HistoricalResponse,
    proxied: list[ProxyRequest] | None = None,
    download_url: str = "",
) -> pa.Table:
    """Probes, infecting sessions, download and beacons of the sampled run, as flows; the
    requests that went through the proxy are added to `proxied` as its log has them (no
    random draw of their own: the flows stay the same with or without)."""
    rng = np.random.default_rng([seed, 23])
    t0 = FIRST_INFECTION.timestamp()
    horizon = HORIZONS[-1]
    by_name = {a.hostname: a for a in hospital.assets}
    zones = [z for z in hospital.zones if z.cidrs]
    zone_idx = {z.id: i for i, z in enumerate(zones)}
    nets = [ipaddress.ip_network(z.cidrs[0]) for z in zones]
    zone_base = np.array([int(n.network_address) for n in nets], dtype=np.int64)
    zone_span = np.array([n.num_addresses for n in nets], dtype=np.int64)
    assets = [a for a in hospital.assets if a.ip and a.zone in zone_idx]
    host_ip = _ip_int([str(a.ip) for a in assets])
    order = np.argsort(host_ip)
    host_ip = host_ip[order]
    host_windows = np.array(["windows" in (a.os or "").lower() for a in assets])[order]
    names = [i[0] for i in infections]
    inf_ip = _ip_int([str(by_name[n].ip) for n in names])
    inf_zone = np.array([zone_idx[str(by_name[n].zone)] for n in names], dtype=np.int64)
    inf_min = np.array([i[2] for i in infections], dtype=np.float64)
    active = inf_min + params.incubation_minutes
    cols: dict[str, list[Any]] = {k: [] for k in ATTACK_SCHEMA.names}

    def add(
        ts: npt.NDArray[np.float64],
        src: list[str],
        dst: list[str],
        port: npt.NDArray[np.int64] | int,
        state: list[str] | str,
        service: list[str] | str,
        orig: npt.NDArray[np.int64] | None = None,
        resp: npt.NDArray[np.int64] | None = None,
        proto: str = "tcp",
    ) -> None:
        n = len(ts)
        cols["ts"].extend((t0 + ts * 60.0).tolist())
        cols["src_ip"].extend(src)
        cols["dst_ip"].extend(dst)
        cols["dst_port"].extend(np.broadcast_to(np.asarray(port), (n,)).tolist())
        cols["proto"].extend([proto] * n)
        cols["service"].extend([service] * n if isinstance(service, str) else service)
        cols["conn_state"].extend([state] * n if isinstance(state, str) else state)
        cols["duration"].extend([None] * n)
        cols["orig_bytes"].extend([None] * n if orig is None else orig.tolist())
        cols["resp_bytes"].extend([None] * n if resp is None else resp.tolist())

    # 1. Probes: all of each host's first hour of scanning, then one in ten (the log would
    #    otherwise be mostly worm); targets drawn as the engine draws them.
    dense = rng.poisson(params.spread_rate * 60.0, len(names))
    dense_end = np.minimum(active + 60.0, horizon)
    sparse = rng.poisson(params.spread_rate / 10 * np.maximum(horizon - dense_end, 0.0))
    lo = np.concatenate([np.repeat(active, dense), np.repeat(dense_end, sparse)])
    hi = np.concatenate([np.repeat(dense_end, dense), np.full(int(sparse.sum()), horizon)])
    ids = np.arange(len(names))
    src = np.concatenate([np.repeat(ids, dense), np.repeat(ids, sparse)])
    keep = hi > lo
    src, lo, hi = src[keep], lo[keep], hi[keep]
    when = lo + rng.random(src.size) * (hi - lo)
    local = rng.random(src.size) < params.local_fraction
    other = rng.integers(0, len(zones) - 1, src.size)
    tzone = np.where(local, inf_zone[src], np.where(other >= inf_zone[src], other + 1, other))
    offset = 1 + (rng.random(src.size) * (zone_span[tzone] - 2)).astype(np.int64)
    target = zone_base[tzone] + offset
    pos = np.clip(np.searchsorted(host_ip, target), 0, host_ip.size - 1)
    exists = host_ip[pos] == target
    windows = exists & host_windows[pos]
    cross = tzone != inf_zone[src]
    before = when < response.isolation_minute
    routed = ~cross | (before & (rng.random(src.size) < params.cross_building))
    u = rng.random(src.size)
    answer = np.where(windows & (u < 0.6), "SF", np.where(u < 0.8, "REJ", "RSTO"))
    state = np.where(~routed | ~exists, "S0", answer)
    rdp = rng.random(src.size) < params.rdp_share
    port = np.where(rdp, 3389, 445)
    service = np.where(state == "SF", np.where(rdp, "rdp", "smb"), "-")
    src_ips = [str(ipaddress.IPv4Address(int(i))) for i in inf_ip[src]]
    dst_ips = [str(ipaddress.IPv4Address(int(i))) for i in target]
    add(
        when,
        src_ips,
        dst_ips,
        port.astype(np.int64),
        state.tolist(),
        service.tolist(),
        orig=rng.integers(300, 1500, src.size),
        resp=rng.integers(200, 900, src.size),
    )

    # 2. Infecting sessions: an infectious host (same zone if possible) copies the payload over
    #    SMB and starts it as a service (DCE/RPC); the victim's infection time is the session's.
    for v in range(1, len(names)):
        ready = np.flatnonzero(active[:v] <= inf_min[v])
        same = ready[inf_zone[ready] == inf_zone[v]]
        pool = same if same.size else ready
        j = int(pool[rng.integers(pool.size)]) if pool.size else 0
        s, d = str(by_name[names[j]].ip), str(by_name[names[v]].ip)
        m = np.array([inf_min[v] - 0.02, inf_min[v] - 0.01])
        add(
            m,
            [s, s],
            [d, d],
            np.array([445, 135]),
            ["SF", "SF"],
            ["smb", "dce_rpc"],
            orig=np.array([int(rng.integers(380_000, 420_000)), 2400]),
            resp=np.array([int(rng.integers(2_000, 6_000)), 900]),
        )

    # 3. Patient zero fetches the archive through the proxy as the email is opened.
    proxy = next((a.ip for a in hospital.assets if a.role == "proxy" and a.ip), None)
    pz_ip = str(by_name[names[0]].ip)
    if proxy:
        add(
            np.array([-0.4]),
            [pz_ip],
            [proxy],
            3128,
            "SF",
            "http",
            orig=np.array([640]),
            resp=np.array([391_522]),
        )
        if proxied is not None and download_url:
            proxied.append(
                ProxyRequest(t0 - 0.39 * 60.0 + 0.9, pz_ip, "GET", download_url, "TCP_MISS/200",
                             391_522, f"HIER_DIRECT/{DOWNLOAD_HOST}", 900, "application/zip")
            )  # fmt: skip
        add(
            np.array([-0.39]),
            [proxy],
            [DOWNLOAD_HOST],
            80,
            "SF",
            "http",
            orig=np.array([512]),
            resp=np.array([391_310]),
        )
        # 4. Beacons of every infected host every ~30 min through the proxy to the C2s; the
        #    internet cut turns the proxy's side into failed attempts.
        count = np.maximum(((horizon - active) / 30.0).astype(np.int64), 0)
        who = np.repeat(np.arange(len(names)), count)
        first = np.repeat(active, count)
        rank = np.arange(who.size) - np.repeat(np.cumsum(count) - count, count)
        bt = first + 30.0 * rank + rng.random(who.size) * 5.0
        c2 = [C2[int(k)] for k in rng.integers(0, len(C2), who.size)]
        srcs = [str(ipaddress.IPv4Address(int(i))) for i in inf_ip[who]]
        add(
            bt,
            srcs,
            [proxy] * who.size,
            3128,
            "SF",
            "http",
            orig=rng.integers(700, 1400, who.size),
            resp=rng.integers(300, 2000, who.size),
        )
        cut = bt >= response.internet_cut_minute
        if proxied is not None:
            for k in range(who.size):
                ok = not bool(cut[k])
                proxied.append(
                    ProxyRequest(
                        t0 + float(bt[k]) * 60.0 + 0.06 + (0.4 if ok else 0.0),
                        srcs[k],
                        "CONNECT",
                        f"{c2[k]}:443",
                        "TCP_TUNNEL/200" if ok else "NONE_NONE/503",
                        1_800 if ok else 0,
                        f"HIER_DIRECT/{c2[k]}" if ok else "HIER_NONE/-",
                        460 if ok else 60,
                        "-" if ok else "text/html",
                    )
                )
        add(
            bt + 0.001,
            [proxy] * who.size,
            c2,
            443,
            np.where(cut, "S0", "SF").tolist(),
            np.where(cut, "-", "ssl").tolist(),
            orig=rng.integers(700, 1400, who.size),
            resp=rng.integers(300, 2000, who.size),
        )
    # 5. The phishing email arriving at the mail gateway.
    mx = next((a.ip for a in hospital.assets if a.role == "mail_gateway" and a.ip), None)
    if mx:
        sent = (PHISH_SENT.timestamp() - t0) / 60.0
        add(
            np.array([sent]),
            ["203.0.113.200"],
            [mx],
            25,
            "SF",
            "smtp",
            orig=np.array([48_231]),
            resp=np.array([1_204]),
        )
    table = pa.table(cols, schema=ATTACK_SCHEMA)
    return table


def write_montpellier(
    hospital: Hospital,
    out_dir: Path | str,
    *,
    seed: int = 0,
    params: SpreadParams | None = None,
    rows: int = 1_000_000,
    mails: int = 300,
    runs: int = 200,
    response: HistoricalResponse = HISTORICAL,
    progress: Callable[[int, int], None] | None = None,
) -> ScenarioFiles:
    """Write mailbox.mbox, conn.log, proxy_access.log and ground_truth.json for the
    Montpellier day."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    params = params or SpreadParams()
    pz = patient_zero(hospital, seed)
    by_name = {a.hostname: a for a in hospital.assets}
    net = SpreadNetwork(hospital, params)
    controls = historical_controls(hospital, response)
    result = simulate(net, None, [pz], controls, HORIZONS, runs=runs, seed=seed)
    assert result.trajectory is not None
    # patient zero first, even if another host shares its minute (no incubation)
    infections = tuple(sorted(result.trajectory.infections, key=lambda i: (i[0] != pz, i[2])))

    # The campaign: patient zero's user and a few colleagues (same building first).
    rng = np.random.default_rng([seed, 5])
    pz_asset = by_name[pz]
    colleagues = sorted(
        a.user
        for a in hospital.assets
        if a.user and a.kind is AssetKind.WORKSTATION and a.hostname != pz
    )
    picks = rng.choice(len(colleagues), size=min(5, len(colleagues)), replace=False)
    recipients = [str(pz_asset.user)] + [colleagues[int(i)] for i in sorted(picks)]
    phishing, phish_msg = build_phishing(hospital, recipients, PHISH_SENT)
    messages = ordinary_mail(hospital, LOG_START.replace(hour=0), mails, seed)
    messages.append((PHISH_SENT, f"bounce-0412@{phishing.sender.split('@')[1]}", phish_msg))
    mailbox = out / "mailbox.mbox"
    write_mbox(mailbox, messages)

    proxied: list[ProxyRequest] = []
    extra = _worm_flows(hospital, net, infections, params, seed, response, proxied, phishing.url)
    conn_log = out / "conn.log"
    write_conn_log(
        hospital,
        conn_log,
        start=LOG_START,
        hours=LOG_HOURS,
        rows=rows,
        seed=seed,
        extra=extra,
        progress=progress,
    )

    def infected_at(minute: float) -> datetime:
        return FIRST_INFECTION + timedelta(minutes=minute)

    infected = tuple(
        InfectedHost(
            hostname=name,
            ip=str(by_name[name].ip),
            zone=zone,
            infected_at=infected_at(minute),
            user=by_name[name].user,
        )
        for name, zone, minute in infections
    )
    counts: dict[str, int] = {}
    for h in infected:
        counts[h.zone] = counts.get(h.zone, 0) + 1
    last = result.horizons[-1]
    truth = GroundTruth(
        seed=seed,
        hosts=len(hospital.assets),
        patient_zero=infected[0],
        phishing=PhishingTruth(
            message_id=phishing.message_id,
            subject=phishing.subject,
            sender=phishing.sender,
            reply_to=phishing.reply_to,
            recipients=phishing.recipients,
            sent_at=phishing.sent_at,
            url=phishing.url,
            attachment=phishing.attachment,
        ),
        infected=infected,
        detected_at=infected_at(response.detected_minute),
        isolation_at=infected_at(response.isolation_minute),
        internet_cut_at=infected_at(response.internet_cut_minute),
        isolated_zones=controls.isolated_zones,
        by_zone=tuple(sorted(counts.items())),
        expected_mean_24h=round(last.mean, 1),
        interval_24h=(last.p05, last.p95),
        c2=C2,
    )
    gt_path = out / "ground_truth.json"
    gt_path.write_text(_truth_json(truth, params), encoding="utf-8")
    # the proxy's own log: the staff's browsing (a sample) and the worm's requests
    ordinary = browsing(hospital, LOG_START, LOG_HOURS, max(rows // 100, 200), seed)
    proxy_log = write_squid_log(out / "proxy_access.log", [*ordinary, *proxied])
    return ScenarioFiles(out, mailbox, conn_log, gt_path, truth, proxy_log)


def _host_json(h: InfectedHost) -> dict[str, Any]:
    return {
        "hostname": h.hostname,
        "ip": h.ip,
        "zone": h.zone,
        "user": h.user,
        "infected_at": _iso(h.infected_at),
    }


def _truth_json(t: GroundTruth, params: SpreadParams) -> str:
    data = {
        "scenario": "montpellier",
        "seed": t.seed,
        "hosts": t.hosts,
        "window": {"start": _iso(LOG_START), "end": _iso(LOG_START + timedelta(hours=LOG_HOURS))},
        "patient_zero": _host_json(t.patient_zero),
        "phishing": {
            "message_id": t.phishing.message_id,
            "subject": t.phishing.subject,
            "from": t.phishing.sender,
            "reply_to": t.phishing.reply_to,
            "recipients": list(t.phishing.recipients),
            "sent_at": _iso(t.phishing.sent_at),
            "url": t.phishing.url,
            "attachment": t.phishing.attachment,
        },
        "historical_response": {
            "detected_at": _iso(t.detected_at),
            "isolation_at": _iso(t.isolation_at),
            "internet_cut_at": _iso(t.internet_cut_at),
            "isolated_zones": list(t.isolated_zones),
        },
        "c2": list(t.c2),
        "spread_params": asdict(params),
        "totals": {
            "hosts": t.hosts,
            "infected": len(t.infected),
            "by_zone": dict(t.by_zone),
            "expected_mean_24h": t.expected_mean_24h,
            "interval_24h": list(t.interval_24h),
        },
        "infected": [_host_json(h) for h in t.infected],
    }
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def load_ground_truth(path: Path | str) -> GroundTruth:
    """Read ground_truth.json back into a GroundTruth."""
    d = json.loads(Path(path).read_text(encoding="utf-8"))

    def host(x: dict[str, Any]) -> InfectedHost:
        return InfectedHost(x["hostname"], x["ip"], x["zone"], _parse(x["infected_at"]), x["user"])

    p, r, tot = d["phishing"], d["historical_response"], d["totals"]
    return GroundTruth(
        seed=d["seed"],
        hosts=d["hosts"],
        patient_zero=host(d["patient_zero"]),
        phishing=PhishingTruth(
            p["message_id"],
            p["subject"],
            p["from"],
            p["reply_to"],
            tuple(p["recipients"]),
            _parse(p["sent_at"]),
            p["url"],
            p["attachment"],
        ),
        infected=tuple(host(x) for x in d["infected"]),
        detected_at=_parse(r["detected_at"]),
        isolation_at=_parse(r["isolation_at"]),
        internet_cut_at=_parse(r["internet_cut_at"]),
        isolated_zones=tuple(r["isolated_zones"]),
        by_zone=tuple(sorted((k, int(v)) for k, v in tot["by_zone"].items())),
        expected_mean_24h=float(tot["expected_mean_24h"]),
        interval_24h=(float(tot["interval_24h"][0]), float(tot["interval_24h"][1])),
        c2=tuple(d["c2"]),
    )
