"""The indicator table: what threat intelligence says to look for, one row per indicator.

Duplicates are merged on (type, value, port): `sources` lists every feed that named it,
`first_seen`/`last_seen` span them all, the TLP is the most restrictive and the confidence
the highest. `allowlisted` says why an indicator must not match (the hospital's own domain,
a partner's address, the workspace allowlist); NULL means it is hunted.
"""

from __future__ import annotations

import pyarrow as pa

from rempart.schema.classes import TS

INDICATOR = pa.schema(
    [
        pa.field("indicator_uid", pa.string(), nullable=False),  # sha256(type|value|port)[:20]
        pa.field("value", pa.string(), nullable=False),  # normalised (see sources.intel)
        pa.field("type", pa.string(), nullable=False),  # ip, cidr, domain, url, sha256...
        pa.field("port", pa.int32()),  # an address's port, when the feed gives one
        pa.field("sources", pa.list_(pa.string())),  # every feed / alert that named it
        pa.field("tlp", pa.string()),  # clear / green / amber / amber+strict / red
        pa.field("confidence", pa.int32()),  # 0..100
        pa.field("first_seen", TS),
        pa.field("last_seen", TS),
        pa.field("expiry", TS),  # NULL: does not expire
        pa.field("context", pa.list_(pa.string())),  # comments, references, AND-ed terms
        pa.field("imported_at", TS),
        pa.field("allowlisted", pa.string()),  # why it must not match; NULL: hunted
        # an IPv4 address's or block's first and last address as numbers, computed once on
        # import (the hunt joins on them; NULL for anything else, or not yet computed)
        pa.field("ip_lo", pa.int64()),
        pa.field("ip_hi", pa.int64()),
    ]
)

__all__ = ["INDICATOR"]
