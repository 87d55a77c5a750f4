"""Email defence: phishing scoring with reasons (the scorer library).

`score_message(raw, hospital)` is the one call the rest of Rempart needs for a message.
Campaigns of related stored messages are a detection over the store:
`rempart.detect.mail.campaigns`.
"""

from __future__ import annotations

from rempart.mail.score import MailVerdict, Verdict, score_message

__all__ = ["MailVerdict", "Verdict", "score_message"]
