"""Mail servers' delivery logs: who sent to whom, when, through which server (`mail_transfer`).

A hospital does not ingest the content of its internal mail, but its mail servers log every
delivery. Each source here turns one such log into one `mail_transfer` row per (message,
recipient) event, with DuckDB reading the file as numbered lines and regular expressions
in SQL (CSV fields too: DuckDB's CSV reader would drop a line it cannot decode and shift
the line numbers after it): no Python loop touches a row.

- `postfix_delivery`: Postfix's syslog lines. The delivery agents' `QID: to=<...>, relay=...,
  status=...` lines are the rows; qmgr's `QID: from=<...>, size=N`, cleanup's `QID:
  message-id=<...>` (and `QID: info|warning: header Subject: ...` when header_checks log
  the subject), smtpd's `QID: client=host[ip]` are joined to them on (host, queue id)
  within the file, the latest such line before the delivery (queue ids are reused).
  `NOQUEUE: reject: RCPT from ...` lines are rows with status `rejected`. Login lines are
  `mail_auth_syslog`'s, other programs' lines are left alone (a central syslog is read by
  both, see `Source.SHARES_LINES`).
- `exchange_tracking`: Exchange Server message tracking logs (`MSGTRK*.LOG`), columns named
  by the `#Fields:` header; a line with several recipients (`;`-separated) gives one row
  per recipient.
- `m365_message_trace`: Exchange Online message trace exported with PowerShell
  (`Get-MessageTrace | Export-Csv`), one row per line.
"""

from __future__ import annotations

import re
from pathlib import Path

from rempart.core.errors import SourceError
from rempart.sources.base import ParseContext, Source, read_head
from rempart.sources.mail_auth import POSTFIX_QID, POSTFIX_QUEUE_LINE, syslog_time_sql
from rempart.sources.mailsql import (
    address_sql,
    emit_select,
    numbered_lines,
    transfer_select,
)

# --- Postfix --------------------------------------------------------------------------------

_POSTFIX_SNIFF = re.compile(
    rb"postfix[\w.-]*/[\w/.-]+\[\d+\]: (?:(?:"
    + POSTFIX_QID.encode()
    + rb"): (?:to|from|message-id)=|NOQUEUE: reject: RCPT from )"
)
_DELIVERY_AGENTS = ("smtp", "lmtp", "local", "virtual", "pipe", "error", "retry", "discard")
_TO = (
    r"^to=<([^>]*)>,(?: orig_to=<([^>]*)>,)? relay=([^,]*),.*? dsn=([0-9.]+), "
    r"status=([a-z]+)(?: \((.*)\))?$"
)
_REJECT = (
    r"^(?:reject|milter-reject): RCPT from ([^\[ ]*)\[([^\]]*)\](?::[0-9]+)?: (.*?); "
    r"from=<([^>]*)>,? to=<([^>]*)>"
)
_CLIENT = r"^client=([^\[ ,]*)\[([^\]]*)\]"
_SUBJECT = r"^[a-z]+: header Subject: (.*) from [^ ;]*\[[0-9a-fA-F.:]*\](?::[0-9]+)?; from=<"


class PostfixDeliverySource(Source):
    """Postfix delivery lines in syslog, joined on the queue id to their sender and id."""

    NAME = "postfix_delivery"
    SHARES_LINES = True
    VERSION = "1.0"
    EVENT_CLASS = "mail_transfer"
    DESCRIPTION = "Postfix deliveries (qmgr/cleanup/smtp/lmtp/local lines) from syslog"

    def sniff(self, head: bytes, path: Path) -> bool:
        return bool(_POSTFIX_SNIFF.search(head))

    def parse(self, path: Path, ctx: ParseContext) -> None:
        # the time of the rows kept only (a delivery or refusal is one line in four to seven)
        time = syslog_time_sql(ctx.reference_time, "j.line")
        scan, gaps = numbered_lines(path, ctx)
        agents = ", ".join(f"'{a}'" for a in _DELIVERY_AGENTS)
        sql = f"""
        WITH p AS (
            SELECT _n, line,
                   regexp_extract(line, '(\\S+) postfix[\\w.-]*/', 1) AS host,
                   regexp_extract(line, '{POSTFIX_QUEUE_LINE}(.*)$',
                                  ['path', 'qid', 'msg']) AS m
            FROM ({scan}) _l
            WHERE line LIKE '%postfix%' AND regexp_matches(line, '{POSTFIX_QUEUE_LINE}')),
        q AS (
            SELECT _n, line, host, m.qid AS qid, m.msg AS msg,
                   regexp_extract(m.path, '([^/]+)$', 1) AS agent
            FROM p),
        k AS (
            SELECT *, CASE
                WHEN agent IN ({agents}) AND starts_with(msg, 'to=<') THEN 'to'
                WHEN regexp_matches(msg, '^(?:reject|milter-reject): RCPT from ') THEN 'reject'
                WHEN agent = 'qmgr' AND regexp_matches(msg, '^from=<[^>]*>, size=')
                    THEN 'from'
                WHEN agent = 'cleanup' AND starts_with(msg, 'message-id=') THEN 'mid'
                WHEN agent = 'cleanup' AND regexp_matches(msg, '{_SUBJECT}') THEN 'subject'
                WHEN ends_with(agent, 'smtpd') AND regexp_matches(msg, '{_CLIENT}')
                    THEN 'client'
                END AS kind
            FROM q),
        x AS (  -- each line's own values; NULL where the line is of another kind
            SELECT _n, line, host, qid, agent, kind,
                   CASE WHEN kind = 'from' THEN regexp_extract(
                       msg, '^from=<([^>]*)>, size=([0-9]+)', ['snd', 'size']) END AS _f,
                   CASE WHEN kind = 'mid' THEN regexp_extract(
                       msg, '^message-id=<?([^>]*)>?', 1) END AS _mid,
                   CASE WHEN kind = 'subject' THEN regexp_extract(msg, '{_SUBJECT}', 1)
                       END AS _subject,
                   CASE WHEN kind = 'client' THEN regexp_extract(
                       msg, '{_CLIENT}', ['name', 'ip']) END AS _c,
                   CASE WHEN kind = 'to' THEN regexp_extract(
                       msg, '{_TO}', ['rcpt', 'orig', 'relay', 'dsn', 'st', 'text']) END AS _d,
                   kind <> 'to' OR regexp_matches(msg, '{_TO}') AS ok_to,
                   CASE WHEN kind = 'reject' THEN regexp_extract(
                       msg, '{_REJECT}', ['name', 'ip', 'reply', 'snd', 'rcpt']) END AS _r,
                   kind <> 'reject' OR regexp_matches(msg, '{_REJECT}') AS ok_reject
            FROM k WHERE kind IS NOT NULL),
        j AS (  -- the latest of each before the line, for its host and queue id
            SELECT *, last_value(_f IGNORE NULLS) OVER w AS jf,
                   last_value(_mid IGNORE NULLS) OVER w AS jmid,
                   last_value(_subject IGNORE NULLS) OVER w AS jsubject,
                   last_value(_c IGNORE NULLS) OVER w AS jc
            FROM x
            WINDOW w AS (PARTITION BY host, qid ORDER BY _n
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW))
        SELECT {{select}} FROM j WHERE kind IN ('to', 'reject')"""
        rej = "j.kind = 'reject'"
        status = (
            f"CASE WHEN {rej} THEN 'rejected' "
            "WHEN j._d['st'] = 'sent' AND j.agent = 'smtp' THEN 'relayed' "
            "WHEN j._d['st'] = 'sent' THEN 'delivered' "
            "WHEN j._d['st'] IN ('bounced', 'expired') THEN 'bounced' "
            "ELSE j._d['st'] END"
        )
        exprs = {
            "time": time,
            "sender": address_sql(f"CASE WHEN {rej} THEN j._r['snd'] ELSE j.jf['snd'] END"),
            "recipient": address_sql(f"CASE WHEN {rej} THEN j._r['rcpt'] ELSE j._d['rcpt'] END"),
            "orig_recipient": address_sql("j._d['orig']"),
            "message_id": "nullif(trim(j.jmid), '')",
            "queue_id": "nullif(j.qid, 'NOQUEUE')",
            "subject": "j.jsubject",
            "src_ip": f"CASE WHEN {rej} THEN j._r['ip'] ELSE j.jc['ip'] END",
            "client_host": f"CASE WHEN {rej} THEN j._r['name'] ELSE j.jc['name'] END",
            "server": "CASE WHEN regexp_matches(j.host, '^[0-9:.]+$') THEN NULL ELSE j.host END",
            "relay": "j._d['relay']",
            "status": status,
            "status_detail": f"CASE WHEN {rej} THEN j._r['reply'] ELSE concat_ws(' ', j.agent, "
            "'dsn=' || nullif(j._d['dsn'], ''), nullif(j._d['text'], '')) END",
            "size": "j.jf['size']",
            "raw": "j.line",
        }
        reject = (
            "WHEN NOT j.ok_to THEN 'malformed delivery line (no relay, dsn or status)' "
            "WHEN NOT j.ok_reject THEN 'malformed reject line (no from=, to=)' "
        )
        select = transfer_select(self.NAME, exprs, reject, "j._n", "CAST(j._n AS VARCHAR)")
        emit_select(path, ctx, sql.replace("{select}", select), self.schema(), gaps)


# --- Exchange message tracking ----------------------------------------------------------------

_EXCHANGE_NEEDED = ("date-time", "event-id", "recipient-address", "sender-address")
_EXCHANGE_STATUS = {
    "RECEIVE": "received",
    "HARECEIVE": "received",
    "SUBMIT": "submitted",
    "DELIVER": "delivered",
    "DUPLICATEDELIVER": "delivered",
    "SEND": "relayed",
    "TRANSFER": "relayed",
    "DEFER": "deferred",
    "SUBMITDEFER": "deferred",
    "RESUBMITDEFER": "deferred",
    "FAIL": "bounced",
    "DELIVERFAIL": "bounced",
    "SUBMITFAIL": "bounced",
    "RESUBMITFAIL": "bounced",
    "BADMAIL": "bounced",
    "POISONMESSAGE": "bounced",
    "DROP": "rejected",
    "EXPAND": "expanded",
    "DUPLICATEEXPAND": "expanded",
    "REDIRECT": "resolved",
    "RESOLVE": "resolved",
    "DSN": "dsn",
}


_CSV_FIELD = r'(?:^|,)("(?:[^"]|"")*"|[^,]*)'


def _unquote(field: str) -> str:
    """A CSV field as SQL: quotes removed, `""` made `"`, empty as NULL."""
    return (
        f"nullif(CASE WHEN starts_with({field}, '\"') "
        f"THEN replace({field}[2:-2], '\"\"', '\"') ELSE {field} END, '')"
    )


def _exchange_header(path: Path) -> tuple[list[str], int]:
    """(field names, header lines) from the `#` lines that open a message tracking log."""
    head = read_head(path, 1 << 16).decode("utf-8-sig", errors="replace")
    fields: list[str] = []
    lines = 0
    for line in head.splitlines():
        if not line.startswith("#"):
            break
        lines += 1
        if line.startswith("#Fields:"):
            fields = [f.strip() for f in line[len("#Fields:") :].split(",")]
    missing = [f for f in _EXCHANGE_NEEDED if f not in fields]
    if missing:
        raise SourceError(path, f"no #Fields header naming {', '.join(missing)}")
    return fields, lines


class ExchangeTrackingSource(Source):
    """Exchange Server message tracking log (MSGTRK*.LOG): one row per event and recipient."""

    NAME = "exchange_tracking"
    VERSION = "1.0"
    EVENT_CLASS = "mail_transfer"
    DESCRIPTION = "Exchange Server message tracking logs (MSGTRK*.LOG, #Fields header)"

    def sniff(self, head: bytes, path: Path) -> bool:
        return (
            b"#Log-type: Message Tracking Log" in head
            or (b"#Software: Microsoft Exchange" in head and b"event-id" in head)
        ) and b"#Fields:" in head

    def parse(self, path: Path, ctx: ParseContext) -> None:
        fields, _ = _exchange_header(path)
        scan, gaps = numbered_lines(path, ctx)
        # each line's CSV fields by a regular expression (quoted fields may hold commas,
        # `""` is a quote): the lines reader numbers every line exactly, where DuckDB's CSV
        # reader would drop a line it cannot decode and shift the numbers after it
        named = [
            f'{_unquote(f"_f[{i}]")} AS "{name}"'
            for i, name in enumerate(fields, start=1)
            if re.fullmatch(r"[a-z0-9-]+", name)
        ]

        def col(name: str) -> str:
            return f'e."{name}"' if name in fields else "NULL"

        status = "CASE upper(e.\"event-id\") " + " ".join(
            f"WHEN '{k}' THEN '{v}'" for k, v in _EXCHANGE_STATUS.items()
        ) + " ELSE lower(e.\"event-id\") END"  # fmt: skip
        rstat = '"recipient-status"' if "recipient-status" in fields else "NULL"
        sql = f"""
        WITH s AS (
            SELECT _n, line, regexp_extract_all(line, '{_CSV_FIELD}', 1) AS _f
            FROM ({scan}) _l
            WHERE line <> '' AND NOT starts_with(line, '#')),
        e AS (SELECT _n, line, {", ".join(named)} FROM s),
        ok AS (
            SELECT *, TRY_CAST("date-time" AS TIMESTAMPTZ) IS NOT NULL
                      AND regexp_matches(coalesce("event-id", ''), '^[A-Za-z]+$') AS _ok,
                   string_split(coalesce("recipient-address", ''), ';') AS _r,
                   string_split(coalesce({rstat}, ''), ';') AS _s
            FROM e),
        x AS (  -- a bad line is one reject, not one per recipient
            SELECT *,
                   unnest(CASE WHEN _ok THEN _r ELSE [NULL] END) AS _rcpt,
                   unnest(CASE WHEN _ok THEN _s ELSE [NULL] END) AS _rstat,
                   unnest(range(1, CASE WHEN _ok THEN len(_r) ELSE 1 END + 1)) AS _k
            FROM ok)
        SELECT {{select}} FROM x e"""
        orig = (
            "CASE WHEN upper(e.\"event-id\") IN ('EXPAND', 'REDIRECT', 'RESOLVE') "
            f"THEN {col('related-recipient-address')} END"
        )
        exprs = {
            "time": 'TRY_CAST(e."date-time" AS TIMESTAMPTZ)',
            "sender": address_sql('e."sender-address"'),
            "recipient": address_sql("e._rcpt"),
            "orig_recipient": address_sql(orig),
            "message_id": f"nullif(trim({col('message-id')}, ' <>'), '')",
            "queue_id": col("internal-message-id"),
            "subject": col("message-subject"),
            "src_ip": f"coalesce(nullif({col('original-client-ip')}, ''), {col('client-ip')})",
            "client_host": col("client-hostname"),
            "server": col("server-hostname"),
            "relay": col("connector-id"),
            "status": status,
            "status_detail": f"concat_ws(' ', e.\"event-id\", {col('source')}, "
            "nullif(e._rstat, ''))",
            "size": col("total-bytes"),
            "raw": "e.line",
        }
        reject = (
            "WHEN NOT regexp_matches(coalesce(e.\"event-id\", ''), '^[A-Za-z]+$') "
            "THEN 'missing or bad event-id' "
        )
        uid = "CAST(e._n AS VARCHAR) || '/' || CAST(e._k AS VARCHAR)"
        select = transfer_select(self.NAME, exprs, reject, "e._n", uid)
        emit_select(path, ctx, sql.replace("{select}", select), self.schema(), gaps)


# --- Microsoft 365 message trace --------------------------------------------------------------

_TRACE_NEEDED = ("Received", "SenderAddress", "RecipientAddress")
_TRACE_STATUS = {
    "delivered": "delivered",
    "failed": "bounced",
    "pending": "deferred",
    "expanded": "expanded",
    "resolved": "resolved",
    "quarantined": "quarantined",
    "filteredasspam": "filtered",
    "gettingstatus": "pending",
}


def _trace_header(path: Path) -> tuple[list[str], int]:
    """(column names, line of the header) of an `Export-Csv` message trace: the first line
    that is not PowerShell's `#TYPE` comment."""
    head = read_head(path, 1 << 16).decode("utf-8-sig", errors="replace")
    for number, line in enumerate(head.splitlines(), start=1):
        if line.startswith("#") or not line.strip():
            continue
        names = [n.strip().strip('"') for n in line.split(",")]
        missing = [n for n in _TRACE_NEEDED if n not in names]
        if missing:
            raise SourceError(path, f"no message trace header naming {', '.join(missing)}")
        return names, number
    raise SourceError(path, "no message trace header")


class M365MessageTraceSource(Source):
    """Exchange Online message trace exported as CSV (`Get-MessageTrace[V2] | Export-Csv`)."""

    NAME = "m365_message_trace"
    VERSION = "1.0"
    EVENT_CLASS = "mail_transfer"
    DESCRIPTION = "Microsoft 365 message trace CSV (Get-MessageTrace | Export-Csv)"

    def sniff(self, head: bytes, path: Path) -> bool:
        first = [ln for ln in head.split(b"\n")[:3] if not ln.startswith(b"#")][:1]
        return bool(first) and all(
            n in first[0] for n in (b"Received", b"SenderAddress", b"RecipientAddress")
        )

    def parse(self, path: Path, ctx: ParseContext) -> None:
        names, header_line = _trace_header(path)
        scan, gaps = numbered_lines(path, ctx)
        index = {n: i for i, n in enumerate(names, start=1) if re.fullmatch(r"\w+", n)}

        def col(name: str) -> str:
            return _unquote(f"_f[{index[name]}]") if name in index else "NULL"

        received = col("Received")
        # PowerShell writes dates in the exporting machine's culture: ISO 8601, US
        # (`3/11/2026 9:00:00 AM`), or day first with a 24-hour clock (`11/03/2026 09:00:00`,
        # fr-FR; `11.03.2026 09:00:00`, de-DE). Message trace times are UTC.
        time = (
            f"coalesce(TRY_CAST({received} AS TIMESTAMPTZ), "
            f"try_strptime({received}, '%m/%d/%Y %I:%M:%S %p') AT TIME ZONE 'UTC', "
            f"try_strptime({received}, '%d/%m/%Y %H:%M:%S') AT TIME ZONE 'UTC', "
            f"try_strptime({received}, '%d.%m.%Y %H:%M:%S') AT TIME ZONE 'UTC')"
        )
        status = (
            f"coalesce(CASE lower({col('Status')}) "
            + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in _TRACE_STATUS.items())
            + f" END, lower({col('Status')}))"
        )
        sql = f"""
        WITH s AS (
            SELECT _n, line, regexp_extract_all(line, '{_CSV_FIELD}', 1) AS _f
            FROM ({scan}) _l
            WHERE _n > {header_line} AND line <> '' AND NOT starts_with(line, '#'))
        SELECT {{select}} FROM s"""
        exprs = {
            "time": time,
            "sender": address_sql(col("SenderAddress")),
            "recipient": address_sql(col("RecipientAddress")),
            "message_id": f"nullif(trim({col('MessageId')}, ' <>'), '')",
            "queue_id": col("MessageTraceId"),
            "subject": col("Subject"),
            "src_ip": col("FromIP"),
            "relay": col("ToIP"),
            "server": "'Exchange Online'",
            "status": status,
            "status_detail": col("Status"),
            "size": col("Size"),
            "raw": "s.line",
        }
        reject = f"WHEN {address_sql(col('RecipientAddress'))} IS NULL THEN 'no recipient address' "
        select = transfer_select(self.NAME, exprs, reject, "s._n", "CAST(s._n AS VARCHAR)")
        emit_select(path, ctx, sql.replace("{select}", select), self.schema(), gaps)
