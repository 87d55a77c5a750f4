"""`phishing`: every ingested message scored by `rempart.mail.score_message`, with reasons.

Messages are read in time order so a link domain can be "first seen" for this hospital;
one finding per suspicious or malicious message, its campaign peers as `related`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from rempart.detect.base import DetectContext, Detector, Finding, Severity

_SQL = """
SELECT event_uid, time, message_id, from_addr, subject, to_addrs, cc_addrs, urls, raw
FROM email ORDER BY time NULLS FIRST, event_uid
"""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class PhishingDetector(Detector):
    NAME = "phishing"
    VERSION = "1.0"
    INPUTS = ("email",)
    ATTACK = ("T1566",)
    DESCRIPTION = (
        "Phishing score of each message (authentication, identities, links, attachments, text)."
    )

    def run(self, ctx: DetectContext) -> list[Finding]:
        from rempart.mail.lookalike import registrable
        from rempart.mail.score import score_message

        findings: list[Finding] = []
        seen: set[str] = set()
        reader = ctx.engine.reader(_SQL, batch_size=256)
        for batch in reader:
            for row in batch.to_pylist():
                raw = row["raw"] or b""
                verdict = score_message(raw, ctx.hospital, seen_domains=frozenset(seen))
                for url in row["urls"] or []:
                    host = url.split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0].lower()
                    if host:
                        seen.add(".".join(p for p in registrable(host) if p))
                if not verdict.flagged:
                    continue
                when = row["time"] or _EPOCH
                recipients = tuple((row["to_addrs"] or []) + (row["cc_addrs"] or []))
                severity = (
                    Severity.HIGH if verdict.verdict.value == "malicious" else Severity.MEDIUM
                )
                subject = (row["subject"] or "")[:120]
                findings.append(
                    self.finding(
                        severity=severity,
                        title_key="mail.phishing.title",
                        reason_key="mail.phishing.reason",
                        params={
                            "verdict": verdict.verdict.value,
                            "subject": subject,
                            "score": verdict.score,
                            "reasons": list(verdict.messages),
                        },
                        entity=row["message_id"] or row["event_uid"],
                        entity_type="email",
                        first_seen=when,
                        last_seen=when,
                        evidence_class="email",
                        evidence=(row["event_uid"],),
                        evidence_count=1,
                        score=float(verdict.score),
                        related=tuple(sorted(set(recipients)))[:50]
                        + ((row["from_addr"],) if row["from_addr"] else ()),
                    )
                )
        return findings
