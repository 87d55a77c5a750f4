"""Exim's main log (`/var/log/exim4/mainlog`, or Exim lines in syslog): deliveries as
`mail_transfer` rows, like Postfix's (`rempart.sources.mail_transfer`).

Exim writes one line per event of a message, all naming its id (`1rjXkA-0004Vd-2B`; since
Exim 4.97 `1rjXkA-00000004Vd-2Bxy`): `<=` its arrival (sender, client `H=... [ip]`,
`A=authenticator:user`, `S=` size, `id=` Message-ID, `T="subject"` with
`log_selector = +subject`), then one line per recipient: `=>` delivered (`->` a further
address of the same delivery, `>>` a cutthrough delivery), `**` failed, `==` deferred.
Each recipient line is a row, joined to its message's arrival within the file; a refused
recipient (`H=... [ip] F=<sender> rejected RCPT <rcpt>: reason`) is a row with status
`rejected`. Its logins (`A=` on arrivals, `authenticator failed`) are
`mail_auth_syslog`'s: both sources read the file (`SHARES_LINES`).

Times: Exim's own stamp (`2024-03-11 08:00:01`, with `+0100` when `log_timezone` is set;
read as UTC without it, as Exim's default is local time: set the workstation's zone to the
server's when they differ), or a syslog prefix.
"""

from __future__ import annotations

import re
from pathlib import Path

from rempart.sources.base import ParseContext, Source
from rempart.sources.mail_auth import EXIM_FLAGS, EXIM_ID, syslog_time_sql
from rempart.sources.mailsql import address_sql, emit_select, numbered_lines, transfer_select

_SNIFF = re.compile(
    rb"(?m)(?:^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?: [+-]\d{4})?|exim\w*\[\d+\]:) (?:\[\d+\] )?"
    + EXIM_ID.encode()
    + rb" (?:<=|=>|->|>>|\*\*|==) "
)
# the id, the flag and the rest of an event line of a message
_EVENT = rf"(?:^|\s)({EXIM_ID}) ({EXIM_FLAGS}) (.*)$"
# `=> local <bob@x>` (a local delivery names the local part, then the address) or `=> a@b`
_RCPT = r"^(\S+)(?: <([^>]*)>)?"
# `H=name [ip]`, `H=(helo) [ip]`, `H=name (helo) [ip]`
_HOST = r"\bH=(?:([^\s(\[]\S*) )?(?:\(([^)]*)\) )?\[([0-9A-Fa-f.:]+)\]"
_REFUSED = rf"{_HOST}(?::[0-9]+)?.*? F=<([^>]*)> rejected RCPT <([^>]*)>: ?(.*)$"
# Exim's stamp with its optional zone: `2024-03-11 08:00:01 +0100`
_OWN_TIME = r"^([0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2})(?: ([+-][0-9]{4}))?\s"


class EximDeliverySource(Source):
    """Exim main log: one row per recipient line, with its message's arrival joined."""

    NAME = "exim_delivery"
    SHARES_LINES = True
    VERSION = "1.0"
    EVENT_CLASS = "mail_transfer"
    DESCRIPTION = "Exim deliveries (mainlog or syslog): <= arrivals joined to =>, **, == lines"

    def sniff(self, head: bytes, path: Path) -> bool:
        return bool(_SNIFF.search(head))

    def parse(self, path: Path, ctx: ParseContext) -> None:
        own = f"regexp_extract(j.line, '{_OWN_TIME}', ['t', 'z'])"
        time = (
            f"coalesce(TRY_CAST({own}['t'] || coalesce(nullif({own}['z'], ''), '+0000') "
            f"AS TIMESTAMPTZ), {syslog_time_sql(ctx.reference_time, 'j.line')})"
        )
        scan, gaps = numbered_lines(path, ctx)
        sql = f"""
        WITH p AS (
            SELECT _n, line,
                   regexp_extract(line, '(\\S+) exim\\w*\\[[0-9]+\\]:', 1) AS host,
                   regexp_extract(line, '{_EVENT}', ['id', 'flag', 'rest']) AS m
            FROM ({scan}) _l
            WHERE regexp_matches(line, '{_EVENT}') OR contains(line, ' rejected RCPT <')),
        k AS (
            SELECT _n, line, host, nullif(m.id, '') AS id, m.flag AS flag, m.rest AS rest,
                   CASE WHEN m.flag = '<=' THEN 'arrival'
                        WHEN m.flag IN ('=>', '->', '>>', '*>', '**', '==') THEN 'rcpt'
                        WHEN regexp_matches(line, '{_REFUSED}') THEN 'reject' END AS kind
            FROM p),
        x AS (  -- each line's own values; NULL where the line is of another kind
            SELECT *,
                   CASE WHEN kind = 'arrival' THEN struct_pack(
                       snd := regexp_extract(rest, '^(\\S+)', 1),
                       ip := regexp_extract(rest, '{_HOST}', 3),
                       name := coalesce(nullif(regexp_extract(rest, '{_HOST}', 1), ''),
                                        regexp_extract(rest, '{_HOST}', 2)),
                       size := regexp_extract(rest, '\\bS=([0-9]+)', 1),
                       mid := regexp_extract(rest, '\\bid=(\\S+)', 1),
                       subject := regexp_extract(rest, '\\bT="((?:[^"\\\\]|\\\\.)*)"', 1))
                   END AS _a,
                   CASE WHEN kind = 'rcpt' THEN regexp_extract(rest, '{_RCPT}', ['addr', 'orig'])
                   END AS _d,
                   CASE WHEN kind = 'reject' THEN regexp_extract(
                       line, '{_REFUSED}', ['name', 'helo', 'ip', 'snd', 'rcpt', 'why'])
                   END AS _r
            FROM k WHERE kind IS NOT NULL),
        j AS (  -- the arrival of the line's message (the latest before it)
            SELECT *, last_value(_a IGNORE NULLS) OVER w AS ja
            FROM x
            WINDOW w AS (PARTITION BY host, id ORDER BY _n
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW))
        SELECT {{select}} FROM j WHERE kind IN ('rcpt', 'reject')"""
        rej = "j.kind = 'reject'"
        remote = "regexp_matches(j.rest, '\\bH=\\S+ \\[')"
        status = (
            f"CASE WHEN {rej} THEN 'rejected' "
            "WHEN j.flag = '**' THEN 'bounced' WHEN j.flag = '==' THEN 'deferred' "
            "WHEN j.flag = '*>' THEN 'suppressed' "
            f"WHEN {remote} THEN 'relayed' ELSE 'delivered' END"
        )
        # `=> bob <bob@x>`: a local part, then the address; `=> real@x <alias@x>`: the
        # final address, then the one the message was sent to
        local = "NOT contains(j._d['addr'], '@')"
        rcpt = f"CASE WHEN {local} THEN nullif(j._d['orig'], '') ELSE j._d['addr'] END"
        exprs = {
            "time": time,
            "sender": address_sql(f"CASE WHEN {rej} THEN j._r['snd'] ELSE j.ja.snd END"),
            "recipient": address_sql(f"CASE WHEN {rej} THEN j._r['rcpt'] ELSE {rcpt} END"),
            "orig_recipient": address_sql(
                f"CASE WHEN NOT {local} AND j._d['orig'] <> j._d['addr'] THEN j._d['orig'] END"
            ),
            "message_id": "nullif(trim(j.ja.mid, ' <>'), '')",
            "queue_id": "j.id",
            "subject": "replace(j.ja.subject, '\\\"', '\"')",
            "src_ip": f"nullif(CASE WHEN {rej} THEN j._r['ip'] ELSE j.ja.ip END, '')",
            "client_host": f"nullif(CASE WHEN {rej} THEN coalesce(nullif(j._r['name'], ''), "
            "j._r['helo']) ELSE j.ja.name END, '')",
            "server": "nullif(j.host, '')",
            "relay": "nullif(regexp_extract(j.rest, '\\bH=(\\S+)', 1), '')",
            "status": status,
            "status_detail": f"CASE WHEN {rej} THEN j._r['why'] ELSE concat_ws(' ', j.flag, "
            "nullif(regexp_extract(j.rest, '\\bT=(\\S+)', 1), ''), "
            "nullif(regexp_extract(j.rest, '\\bC=\"([^\"]*)\"', 1), ''), "
            "CASE WHEN j.flag IN ('**', '==') THEN "
            "nullif(regexp_extract(j.rest, ': (.*)$', 1), '') END) END",
            "size": "j.ja.size",
            "raw": "j.line",
        }
        reject = (
            "WHEN j.kind = 'rcpt' AND j._d['addr'] = '' THEN 'recipient line without an address' "
        )
        select = transfer_select(self.NAME, exprs, reject, "j._n", "CAST(j._n AS VARCHAR)")
        emit_select(path, ctx, sql.replace("{select}", select), self.schema(), gaps)


__all__ = ["EximDeliverySource"]
