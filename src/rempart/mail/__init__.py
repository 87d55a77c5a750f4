"""Email defence: phishing scoring with reasons, and campaigns of related messages.

`score_message(raw, hospital)` is the one call the rest of Rempart needs for a message;
`campaigns(store)` groups the ingested mail that shares a sender, link, attachment or
subject pattern, and `campaign_of(store, message_id)` / `purge_csv(...)` serve the
incident team.
"""

from __future__ import annotations

from rempart.detect.mail.campaigns import Campaign, campaign_of, campaigns, purge_csv
from rempart.mail.score import MailVerdict, Verdict, score_message

__all__ = [
    "Campaign",
    "MailVerdict",
    "Verdict",
    "campaign_of",
    "campaigns",
    "purge_csv",
    "score_message",
]
