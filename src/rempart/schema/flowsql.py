"""The flow SQL vocabulary that sources and the store share.

Sources write SELECTs that yield the store's compact flow columns; the store names each
row's status from its outcome. Both speak these few expressions, so they live below both
(sources never import the store).
"""

from __future__ import annotations

import re

# Failure: the originator's SYN got no answer or a reset (S0, REJ, RSTOS0, SH). OTH, SHR and
# RSTRH mean no SYN was seen from the originator (mid-stream at capture start, backscatter):
# the outcome is unknown, and counting them as failures made busy clients look like scanners.
FAILED_STATES = ("S0", "REJ", "RSTOS0", "SH")
OK_STATES = ("SF", "S1", "S2", "S3", "RSTO", "RSTR")


def status_sql(conn_state: str) -> str:
    """SQL for the normalised outcome (success / failure / unknown) of a Zeek conn_state.

    A simple CASE, not `IN (...)`: DuckDB plans an IN list as a join, which the `network_flow`
    view then ran on every row of every query, even those that never read `status`."""
    whens = " ".join(
        [f"WHEN '{s}' THEN 'success'" for s in OK_STATES]
        + [f"WHEN '{s}' THEN 'failure'" for s in FAILED_STATES]
    )
    return f"CASE {conn_state} {whens} ELSE 'unknown' END"


# `flow_conn.outcome` -> status (0 is unknown)
OUTCOMES = {1: "success", 2: "failure", 0: "unknown"}


def outcome_sql(conn_state: str) -> str:
    """SQL for `flow_conn.outcome`: `status_sql` as a number."""
    # (SF, by far the most common state, first: a row leaves the CASE at its first match)
    whens = " ".join(
        [f"WHEN '{s}' THEN 1" for s in OK_STATES] + [f"WHEN '{s}' THEN 2" for s in FAILED_STATES]
    )
    return f"CAST(CASE {conn_state} {whens} ELSE 0 END AS UTINYINT)"


# What an address field may hold (IPv4 or IPv6 text); anything else rejects its row.
ADDRESS_RE = "'^[0-9A-Fa-f.:]{2,45}$'"
ADDRESS_PATTERN = re.compile(ADDRESS_RE.strip("'"))


def used(sql: str, params: dict[str, object]) -> dict[str, object]:
    """The parameters a statement names (DuckDB refuses unused ones)."""
    return {k: v for k, v in params.items() if f"${k}" in sql}


__all__ = [
    "ADDRESS_PATTERN",
    "ADDRESS_RE",
    "FAILED_STATES",
    "OK_STATES",
    "OUTCOMES",
    "outcome_sql",
    "status_sql",
    "used",
]
