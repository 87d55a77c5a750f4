"""Campaigns: ingested messages tied by a shared sender, link, attachment or subject pattern.

The keys of each message are extracted in DuckDB (columnar); messages are then joined by
union-find over the keys that at least two messages share. Keys shared by very many
different senders (a common link host) are ignored so unrelated mail is not chained.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rempart.core.safe import CsvOut
from rempart.store import Store
from rempart.store.engine import Engine

Source = Store | Engine  # the store (its DuckDB engine is used) or an engine

MAX_KEY_FANOUT = 500  # a key carried by more messages than this is too common to tie them
_SUBJECT_NOISE = re.compile(r"(?i)^((re|fw|fwd|tr|aw|wg)\s*:\s*)+")
_DIGITS = re.compile(r"\d+")

_KEYS_SQL = """
WITH m AS (
    SELECT event_uid, message_id, time, from_addr, subject, urls, attachments FROM email
)
SELECT event_uid, 'sender' AS kind, from_addr AS key FROM m WHERE from_addr IS NOT NULL
UNION ALL
SELECT event_uid, 'link', regexp_replace(lower(u), '[?#].*$', '') FROM
    (SELECT event_uid, unnest(urls) AS u FROM m)
UNION ALL
SELECT event_uid, 'attachment', a.sha256 FROM
    (SELECT event_uid, unnest(attachments) AS a FROM m) WHERE a.size > 0
UNION ALL
SELECT event_uid, 'subject', subject FROM m WHERE length(subject) >= 12
"""

_MESSAGES_SQL = """
SELECT event_uid, message_id, time, from_addr, subject, to_addrs, cc_addrs, source_file
FROM email WHERE event_uid IN (SELECT unnest(?))
ORDER BY time NULLS LAST, event_uid
"""


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    event_uids: tuple[str, ...]
    message_ids: tuple[str, ...]
    senders: tuple[str, ...]
    recipients: tuple[str, ...]
    subjects: tuple[str, ...]
    shared: tuple[str, ...]  # "kind:key" values that tie the messages
    first_seen: datetime | None
    last_seen: datetime | None

    @property
    def size(self) -> int:
        return len(self.event_uids)


def subject_pattern(subject: str) -> str:
    """Subject with reply prefixes dropped, digits folded and case ignored."""
    text = _SUBJECT_NOISE.sub("", subject.strip())
    return " ".join(_DIGITS.sub("#", text.lower()).split())


class _Union:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        root = self.parent.setdefault(x, x)
        while root != self.parent[root]:
            root = self.parent[root]
        while x != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def join(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


_INFRA_LINKS = (
    *("http://www.w3.org/", "https://www.w3.org/", "http://schemas.", "https://schemas."),
    *("http://purl.org/", "http://ns.adobe.com/"),
)


def _engine(source: Source) -> Engine:
    return source.engine() if isinstance(source, Store) else source


def _flagged(db: Engine) -> set[str] | None:
    """event_uids the `phishing` detector flagged, or None when detection has not run."""
    rows = db.query(
        "SELECT DISTINCT unnest(evidence) AS uid FROM finding WHERE detector = 'phishing'"
    ).to_pylist()
    return {r["uid"] for r in rows} or None


def campaigns(store: Source, *, min_size: int = 2, seeds: set[str] | None = None) -> list[Campaign]:
    """Campaigns of at least `min_size` messages, largest first.

    When the `phishing` detector has run (or `seeds` are given), a campaign grows from the
    flagged messages: a key ties messages only if a flagged message carries it, so ordinary
    mail sharing a newsletter link is not chained in, but every copy of the phish is, even
    a copy that scored clean. Without findings, every shared key ties messages.
    """
    db = _engine(store)
    seeds = seeds if seeds is not None else _flagged(db)
    rows = db.query(_KEYS_SQL).to_pylist()
    by_key: dict[str, list[str]] = {}
    for row in rows:
        key = row["key"]
        if not key or (row["kind"] == "link" and key.startswith(_INFRA_LINKS)):
            continue
        if row["kind"] == "subject":
            key = subject_pattern(key)
        by_key.setdefault(f"{row['kind']}:{key}", []).append(row["event_uid"])
    uf = _Union()
    ties: dict[str, list[str]] = {}
    for key, uids in by_key.items():
        unique = sorted(set(uids))
        if len(unique) < 2 or len(unique) > MAX_KEY_FANOUT:
            continue
        if seeds is not None and not seeds.intersection(unique):
            continue
        for uid in unique[1:]:
            uf.join(unique[0], uid)
        ties.setdefault(unique[0], []).append(key)
    groups: dict[str, list[str]] = {}
    for uid in {u for uids in by_key.values() for u in uids}:
        groups.setdefault(uf.find(uid), []).append(uid)
    shared: dict[str, set[str]] = {}
    for first, keys in ties.items():
        shared.setdefault(uf.find(first), set()).update(keys)
    out = [
        _build(db, sorted(uids), sorted(shared.get(root, ())))
        for root, uids in groups.items()
        if len(uids) >= min_size and (seeds is None or seeds.intersection(uids))
    ]
    out.sort(key=lambda c: (-c.size, c.campaign_id))
    return out


def _build(db: Engine, uids: list[str], shared: list[str]) -> Campaign:
    rows = db.query(_MESSAGES_SQL, [uids]).to_pylist()
    recipients = sorted({a for r in rows for a in (r["to_addrs"] or []) + (r["cc_addrs"] or [])})
    times = [r["time"] for r in rows if r["time"] is not None]
    return Campaign(
        campaign_id=hashlib.sha256("|".join(uids).encode()).hexdigest()[:12],
        event_uids=tuple(r["event_uid"] for r in rows),
        message_ids=tuple(r["message_id"] or "" for r in rows),
        senders=tuple(sorted({r["from_addr"] for r in rows if r["from_addr"]})),
        recipients=tuple(recipients),
        subjects=tuple(sorted({r["subject"] for r in rows if r["subject"]})),
        shared=tuple(shared[:20]),
        first_seen=min(times) if times else None,
        last_seen=max(times) if times else None,
    )


def campaign_of(store: Source, message_id: str) -> Campaign | None:
    """The campaign holding the message (by Message-ID or event_uid), if it is in one."""
    wanted = message_id.strip()
    for camp in campaigns(store):
        if (
            wanted in camp.event_uids
            or wanted in camp.message_ids
            or f"<{wanted.strip('<>')}>" in camp.message_ids
        ):
            return camp
    return None


PURGE_COLUMNS = (
    "campaign_id",
    "message_id",
    "time",
    "from",
    "recipient",
    "subject",
    "source_file",
    "event_uid",
)


def purge_csv(store: Source, campaign: Campaign, out: Path | None = None) -> str:
    """One CSV row per (message, recipient) to purge from the mailboxes; written to `out`."""
    rows = _engine(store).query(_MESSAGES_SQL, [list(campaign.event_uids)]).to_pylist()
    buf = io.StringIO()
    writer = CsvOut(buf, PURGE_COLUMNS)  # every cell visible, no formula (`rempart.core.safe`)
    for r in rows:
        recipients = (r["to_addrs"] or []) + (r["cc_addrs"] or []) or [""]
        for rcpt in recipients:
            writer.writerow(
                [
                    campaign.campaign_id,
                    r["message_id"] or "",
                    r["time"].isoformat() if r["time"] else "",
                    r["from_addr"] or "",
                    rcpt,
                    _csv_safe(r["subject"] or ""),
                    r["source_file"],
                    r["event_uid"],
                ]
            )
    text = buf.getvalue()
    if out is not None:
        out.write_text(text, encoding="utf-8")
    return text


def _csv_safe(value: str) -> str:
    """Neutralise spreadsheet formulas in attacker-chosen text (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
