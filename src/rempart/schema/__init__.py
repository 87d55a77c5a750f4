"""Normalised event classes as Arrow schemas: the one source of truth for every table.

Names follow OCSF where it has one (flattened: `src_endpoint.ip` -> `src_ip`). Every event
row carries the same provenance columns so any alert can point back to the exact record:
`event_uid` (stable: file digest + record number, so re-ingesting yields the same ids; for
a Zeek conn.log row, Zeek's own `uid`), `source_file`, `source_line` (line or record number,
1-based; NULL for conn.log rows, which their uid identifies) and `source_format`.
"""

from __future__ import annotations

import pyarrow as pa

from rempart.schema.classes import (
    AUTHENTICATION,
    EMAIL,
    FINDING,
    MAIL_TRANSFER,
    MAILBOX_ACTIVITY,
    NETWORK_EVENT,
    NETWORK_FLOW,
    PROCESS,
    PROVENANCE,
)
from rempart.schema.intel import INDICATOR

EVENT_CLASSES: dict[str, pa.Schema] = {
    "email": EMAIL,
    "network_flow": NETWORK_FLOW,
    "authentication": AUTHENTICATION,
    "process": PROCESS,
    "mailbox_activity": MAILBOX_ACTIVITY,
    "mail_transfer": MAIL_TRANSFER,
    "network_event": NETWORK_EVENT,
}
"""Event tables filled by sources. `finding` is produced by detectors, not sources."""

ALL_TABLES: dict[str, pa.Schema] = {**EVENT_CLASSES, "finding": FINDING, "indicator": INDICATOR}

__all__ = [
    "ALL_TABLES",
    "AUTHENTICATION",
    "EMAIL",
    "EVENT_CLASSES",
    "FINDING",
    "INDICATOR",
    "MAILBOX_ACTIVITY",
    "MAIL_TRANSFER",
    "NETWORK_EVENT",
    "NETWORK_FLOW",
    "PROCESS",
    "PROVENANCE",
]
