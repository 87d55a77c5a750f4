"""The hospital proxy's `access.log` (Squid, native format): the machines behind it.

A flow log sees the proxy reach the command servers; only the proxy's own log says which
machine asked. The twin writes it with the workstations' ordinary browsing (a sample, not
every connection of the conn.log) and whatever a scenario adds (the worm's beacons, the
lure's download), in the format `rempart.sources.squid` reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from rempart.model.hospital import AssetKind, Hospital

__all__ = ["ProxyRequest", "browsing", "squid_line", "write_squid_log"]

# Sites staff reach through the proxy (HTTPS tunnels, a few plain HTTP fetches).
SITES = (
    "www.ameli.fr", "www.has-sante.fr", "www.service-public.fr", "www.legifrance.gouv.fr",
    "login.microsoftonline.com", "outlook.office365.com", "www.google.com", "fr.wikipedia.org",
    "www.vidal.fr", "www.lemonde.fr", "meteofrance.com", "www.santepubliquefrance.fr",
)  # fmt: skip
UPDATES = ("download.windowsupdate.com", "ctldl.windowsupdate.com")
CAB = "/msdownload/update/v3/static/trustedr/en/authrootstl.cab"
CAB_TYPE = "application/vnd.ms-cab-compressed"


@dataclass(frozen=True)
class ProxyRequest:
    """One request the proxy answered (what one access.log line says)."""

    time: float  # epoch seconds, when the request ended
    client: str
    method: str
    url: str  # `host:port` for a CONNECT
    result: str  # Squid's code and HTTP status, `TCP_TUNNEL/200`
    size: int
    peer: str  # hierarchy and peer address, `HIER_DIRECT/203.0.113.66`
    elapsed_ms: int = 0
    content_type: str = "-"


def squid_line(r: ProxyRequest) -> str:
    """The request as Squid's native `logformat squid` writes it."""
    return (
        f"{r.time:.3f} {r.elapsed_ms:6d} {r.client} {r.result} {r.size} {r.method} {r.url} "
        f"- {r.peer} {r.content_type}"
    )


def browsing(
    hospital: Hospital, start: datetime, hours: float, count: int, seed: int
) -> list[ProxyRequest]:
    """`count` ordinary requests of the workstations over the window, mostly in the day."""
    rng = np.random.default_rng([seed, 31])
    clients = sorted(
        str(a.ip)
        for a in hospital.assets
        if a.ip and a.kind in (AssetKind.WORKSTATION, AssetKind.LAPTOP)
    )
    if not clients or count <= 0:
        return []
    t0 = start.timestamp()
    hour = rng.normal(11.0, 3.5, count) % hours
    when = t0 + hour * 3600.0 + rng.random(count) * 60.0
    who = rng.integers(0, len(clients), count)
    site = rng.integers(0, len(SITES), count)
    plain = rng.random(count) < 0.08
    size = rng.integers(2_000, 400_000, count)
    elapsed = rng.integers(20, 90_000, count)
    out = []
    for k in range(count):
        s = int(site[k])
        if plain[k]:
            url = f"http://{UPDATES[s % len(UPDATES)]}{CAB}"
            method, result, peer, kind = "GET", "TCP_MISS/200", "192.0.2.200", CAB_TYPE
        else:
            url, method, result = f"{SITES[s]}:443", "CONNECT", "TCP_TUNNEL/200"
            peer, kind = f"192.0.2.{10 + s}", "-"
        out.append(
            ProxyRequest(float(when[k]), clients[int(who[k])], method, url, result,
                         int(size[k]), f"HIER_DIRECT/{peer}", int(elapsed[k]), kind)
        )  # fmt: skip
    return out


def write_squid_log(path: Path, requests: Iterable[ProxyRequest]) -> Path:
    """Write the requests in time order, one native-format line each."""
    ordered = sorted(requests, key=lambda r: (r.time, r.client, r.url))
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for r in ordered:
            fh.write(squid_line(r) + "\n")
    return path
