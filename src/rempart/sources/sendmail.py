"""Sendmail's syslog lines: deliveries as `mail_transfer` rows, like Postfix's and Exim's.

Sendmail logs each message under its queue id (`s1GNXHYB005133`): one `from=<s>, size=N,
..., msgid=<...>, ..., relay=host [ip]` line when it arrives, then `to=<a>,<b>, ...,
mailer=M, ..., [relay=host [ip],] dsn=X.Y.Z, stat=Sent (...)` lines (several recipients on
one line give one row each). A `ruleset=check_rcpt, arg1=<r>, relay=host [ip], reject=...`
line is a refused recipient (status `rejected`). The rows are joined in SQL to their
message's `from=` line on (host, queue id). Its logins (`AUTH failure`, `possible SMTP
attack: command=AUTH`) are `mail_auth_syslog`'s: both read the file (`SHARES_LINES`).

`stat=Sent` through an SMTP mailer (`esmtp`, `smtp`, `relay`, `dsmtp`, `smtp8`) is
`relayed`, through another (`local`, `lmtp`, `cyrus`…) `delivered`; `stat=Deferred` is
`deferred`; any other status (`User unknown`, `Service unavailable`) is `bounced`.
"""

from __future__ import annotations

import re
from pathlib import Path

from rempart.sources.base import ParseContext, Source
from rempart.sources.mail_auth import (
    SENDMAIL_KINDS,
    SENDMAIL_PROGRAM,
    SENDMAIL_QID,
    syslog_time_sql,
)
from rempart.sources.mailsql import address_sql, emit_select, numbered_lines, transfer_select

_LINE = rf"(\S+) {SENDMAIL_PROGRAM}({SENDMAIL_QID}): ({SENDMAIL_KINDS})(.*)$"
_SNIFF = re.compile(f"{SENDMAIL_PROGRAM}{SENDMAIL_QID}: (?:{SENDMAIL_KINDS})".encode())
_SMTP_MAILERS = ("esmtp", "smtp", "relay", "dsmtp", "smtp8")
_RELAY = r"relay=(?:([^\s\[,]+) )?\[([0-9A-Fa-f.:]+)\]"
# the recipients of a `to=` line: `<a>,<b>` or `a,b` up to the next field
_TO_LIST = r"^([^ ]*?),? (?:ctladdr|delay)="


class SendmailDeliverySource(Source):
    """Sendmail delivery lines in syslog, joined on the queue id to their `from=` line."""

    NAME = "sendmail_delivery"
    SHARES_LINES = True
    VERSION = "1.0"
    EVENT_CLASS = "mail_transfer"
    DESCRIPTION = "Sendmail deliveries (from=/to=/check_rcpt lines) from syslog"

    def sniff(self, head: bytes, path: Path) -> bool:
        return bool(_SNIFF.search(head))

    def parse(self, path: Path, ctx: ParseContext) -> None:
        time = syslog_time_sql(ctx.reference_time, "j.line")
        scan, gaps = numbered_lines(path, ctx)
        smtp = ", ".join(f"'{m}'" for m in _SMTP_MAILERS)
        sql = f"""
        WITH p AS (
            SELECT _n, line, regexp_extract(line, '{_LINE}', ['host', 'qid', 'kind', 'rest']) AS m
            FROM ({scan}) _l
            WHERE regexp_matches(line, '{_LINE}')),
        x AS (
            SELECT _n, line, m.host AS host, m.qid AS qid, m.rest AS rest,
                   CASE m.kind WHEN 'from=' THEN 'from' WHEN 'to=' THEN 'to' ELSE 'reject' END
                       AS kind,
                   CASE WHEN m.kind = 'from=' THEN struct_pack(
                       snd := regexp_extract(m.rest, '^<?([^>,]*)>?', 1),
                       size := regexp_extract(m.rest, '\\bsize=([0-9]+)', 1),
                       mid := regexp_extract(m.rest, '\\bmsgid=<?([^>,]*)>?', 1),
                       name := regexp_extract(m.rest, '{_RELAY}', 1),
                       ip := regexp_extract(m.rest, '{_RELAY}', 2)) END AS _f
            FROM p),
        j AS (
            SELECT *, last_value(_f IGNORE NULLS) OVER (
                PARTITION BY host, qid ORDER BY _n
                ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS jf
            FROM x),
        r AS (  -- one row per recipient of a `to=` line (a bad line stays one row)
            SELECT *,
                unnest(CASE WHEN kind = 'to' AND regexp_matches(rest, '\\bstat=')
                    THEN string_split(regexp_extract(rest, '{_TO_LIST}', 1), ',')
                    ELSE [NULL] END) AS _rcpt,
                regexp_extract(rest, '\\bmailer=([^,\\s]+)', 1) AS mailer,
                regexp_extract(rest, '\\bstat=(.*)$', 1) AS stat
            FROM j WHERE kind IN ('to', 'reject'))
        SELECT {{select}} FROM r j"""
        rej = "j.kind = 'reject'"
        status = (
            f"CASE WHEN {rej} THEN 'rejected' "
            "WHEN starts_with(j.stat, 'Sent') AND j.mailer IN (" + smtp + ") THEN 'relayed' "
            "WHEN starts_with(j.stat, 'Sent') THEN 'delivered' "
            "WHEN starts_with(j.stat, 'Deferred') THEN 'deferred' ELSE 'bounced' END"
        )
        exprs = {
            "time": time,
            "sender": address_sql("j.jf.snd"),
            "recipient": address_sql(
                f"CASE WHEN {rej} THEN regexp_extract(j.rest, 'arg1=<?([^>,]*)>?', 1) "
                "ELSE j._rcpt END"
            ),
            "message_id": "nullif(trim(j.jf.mid, ' <>'), '')",
            "queue_id": "j.qid",
            "src_ip": f"nullif(CASE WHEN {rej} THEN regexp_extract(j.rest, '{_RELAY}', 2) "
            "ELSE j.jf.ip END, '')",
            "client_host": f"nullif(CASE WHEN {rej} THEN regexp_extract(j.rest, '{_RELAY}', 1) "
            "ELSE j.jf.name END, '')",
            "server": "CASE WHEN regexp_matches(j.host, '^[0-9:.]+$') THEN NULL ELSE j.host END",
            "relay": f"CASE WHEN {rej} THEN NULL "
            f"ELSE nullif(regexp_extract(j.rest, '{_RELAY}', 1), '') END",
            "status": status,
            "status_detail": f"CASE WHEN {rej} THEN regexp_extract(j.rest, 'reject=(.*)$', 1) "
            "ELSE concat_ws(' ', nullif(j.mailer, ''), 'dsn=' || nullif(regexp_extract("
            "j.rest, '\\bdsn=([0-9.]+)', 1), ''), j.stat) END",
            "size": "j.jf.size",
            "raw": "j.line",
        }
        reject = (
            "WHEN j.kind = 'to' AND NOT regexp_matches(j.rest, '\\bstat=') "
            "THEN 'malformed delivery line (no stat=)' "
        )
        uid = "CAST(j._n AS VARCHAR) || '/' || coalesce(j._rcpt, '')"
        select = transfer_select(self.NAME, exprs, reject, "j._n", uid)
        emit_select(path, ctx, sql.replace("{select}", select), self.schema(), gaps)


__all__ = ["SendmailDeliverySource"]
