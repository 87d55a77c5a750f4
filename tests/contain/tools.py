"""Whether a firewall checker can run here: installed, and allowed (it needs root to check)."""

from __future__ import annotations

import functools

from rempart.contain.export import make_exporter

_GOOD = {
    "nftables": "table inet rempart\ndelete table inet rempart\n",
    "iptables": "*filter\n:REMPART - [0:0]\nCOMMIT\n",
    "ip6tables": "*filter\n:REMPART - [0:0]\nCOMMIT\n",
}


@functools.cache
def tool_usable(name: str) -> bool:
    result = make_exporter(name).validate_text(_GOOD[name])
    return result.ok and not result.tool.startswith("parser")


REASON = "checker not installed, or not permitted here (nft -c and iptables-restore need root)"
