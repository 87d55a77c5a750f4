"""Mailbox intrusion: password guessing, a login that finally works, logins from new places,
mass reading or export, forwarding and inbox rules, and an account phishing from inside.

All are set-based DuckDB queries over `authentication` (mail services only),
`mailbox_activity` (Microsoft 365 / Entra audit) and `email`; Python only sees the small
grouped results (and checks client addresses against the hospital's ranges).
"""

from __future__ import annotations

import fnmatch
from typing import Any

from rempart.core.i18n import joined, msg
from rempart.detect.base import DetectContext, Detector, Finding, Severity, internal_checker

MAIL_SERVICES = (
    *("imap", "pop3", "smtp", "submission", "managesieve", "lmtp", "owa", "ews", "mapi"),
    *("microsoft-server-activesync", "autodiscover", "rpc", "oab", "m365", "webmail"),
)
BRUTE_MIN_FAILURES = 10
SPRAY_MIN_USERS = 5
AFTER_FAILURES_MIN = 5
MASS_READ_ITEMS = 200
INTERNAL_BURST_RECIPIENTS = 30
# earlier days with a burst after which a sender is a known broadcaster
LEARNT_BROADCAST_DAYS = 2

_SERVICES_SQL = ", ".join(f"'{s}'" for s in MAIL_SERVICES)


def _not_loopback(col: str) -> str:
    """SQL: `col` is not a loopback address. A login from 127.0.0.1 is a webmail or proxy on
    the mail server itself speaking for all its users (Roundcube and SOGo in front of
    Dovecot): grouped by that address, every user's typos became one "brute force", and
    another user's login after them a "login after failures". The webmail's own log, which
    Rempart also reads, names the real client."""
    return (
        f"NOT ({col} LIKE '127.%' OR {col} LIKE '::ffff:127.%' OR {col} = '::1' "
        f"OR {col} = 'localhost')"
    )


LOGINS = f"""
logins AS (
    SELECT event_uid, 'authentication' AS cls, time, lower(user) AS user, src_ip, service, status
    FROM authentication WHERE lower(service) IN ({_SERVICES_SQL})
    UNION ALL
    SELECT event_uid, 'mailbox_activity', time, lower(user), src_ip, 'm365', status
    FROM mailbox_activity WHERE operation IN ('UserLoggedIn', 'UserLoginFailed')
)"""


def _rows(ctx: DetectContext, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    return list(ctx.engine.query(sql, params).to_pylist())


class MailBruteForce(Detector):
    NAME = "mail_bruteforce"
    VERSION = "1.0"
    INPUTS = ("authentication", "mailbox_activity")
    ATTACK = ("T1110.001", "T1110.003")
    DESCRIPTION = "Many failed mail logins from one address in an hour: guessing or spraying."

    def run(self, ctx: DetectContext) -> list[Finding]:
        sql = f"""WITH {LOGINS}
        SELECT src_ip, time_bucket(INTERVAL 1 HOUR, time) AS hour, count(*) AS failures,
               count(DISTINCT user) AS users, min(time) AS first, max(time) AS last,
               list(event_uid ORDER BY time)[1:50] AS ids, list(DISTINCT user)[1:20] AS names,
               any_value(cls) AS cls
        FROM logins WHERE status = 'failure' AND src_ip IS NOT NULL
          AND {_not_loopback("src_ip")}
        GROUP BY src_ip, hour HAVING count(*) >= {BRUTE_MIN_FAILURES} ORDER BY first"""
        out: list[Finding] = []
        for r in _rows(ctx, sql):
            spray = r["users"] >= SPRAY_MIN_USERS
            kind = msg("mail.brute.spray" if spray else "mail.brute.force")
            out.append(
                self.finding(
                    severity=Severity.HIGH,
                    title_key="mail.brute.title",
                    reason_key="mail.brute.reason",
                    params={
                        "kind": kind,
                        "src": r["src_ip"],
                        "failures": r["failures"],
                        "users": r["users"],
                    },
                    entity=r["src_ip"],
                    entity_type="host",
                    first_seen=r["first"],
                    last_seen=r["last"],
                    evidence_class=r["cls"],
                    evidence=tuple(r["ids"]),
                    evidence_count=r["failures"],
                    score=min(100.0, 50.0 + r["failures"]),
                    attack=("T1110.003",) if spray else ("T1110.001",),
                    related=tuple(n for n in r["names"] if n),
                )
            )
        return out


class MailLoginAfterFailures(Detector):
    NAME = "mail_login_after_failures"
    VERSION = "1.0"
    INPUTS = ("authentication", "mailbox_activity")
    ATTACK = ("T1110", "T1078")
    DESCRIPTION = "A successful mail login right after many failures (same account or address)."

    def run(self, ctx: DetectContext) -> list[Finding]:
        sql = f"""WITH {LOGINS},
        ok AS (SELECT * FROM logins WHERE status = 'success'),
        ko AS (SELECT * FROM logins WHERE status = 'failure')
        SELECT ok.event_uid, ok.cls, ok.time, ok.user, ok.src_ip, count(ko.event_uid) AS failures,
               min(ko.time) AS first, list(ko.event_uid ORDER BY ko.time)[1:49] AS ids
        FROM ok JOIN ko ON (ko.user = ok.user
                            OR (ko.src_ip = ok.src_ip AND {_not_loopback("ok.src_ip")}))
             AND ko.time < ok.time AND ko.time >= ok.time - INTERVAL 1 HOUR
        GROUP BY ALL HAVING count(ko.event_uid) >= {AFTER_FAILURES_MIN} ORDER BY ok.time"""
        out = []
        for r in _rows(ctx, sql):
            out.append(
                self.finding(
                    severity=Severity.CRITICAL,
                    title_key="mail.after_failures.title",
                    reason_key="mail.after_failures.reason",
                    params={"user": r["user"], "src": r["src_ip"], "failures": r["failures"]},
                    entity=r["user"] or r["src_ip"] or "?",
                    entity_type="account",
                    first_seen=r["first"],
                    last_seen=r["time"],
                    evidence_class=r["cls"],
                    evidence=(r["event_uid"], *r["ids"]),
                    evidence_count=r["failures"] + 1,
                    score=90.0,
                    related=(r["src_ip"],) if r["src_ip"] else (),
                )
            )
        return out


class MailNewSource(Detector):
    NAME = "mail_new_source"
    VERSION = "1.0"
    INPUTS = ("authentication", "mailbox_activity")
    ATTACK = ("T1078",)
    DESCRIPTION = "A mail account used from an outside address never seen for it before."

    def run(self, ctx: DetectContext) -> list[Finding]:
        internal = internal_checker(ctx)
        sql = f"""WITH {LOGINS},
        firsts AS (
            SELECT user, src_ip, min(time) AS first, arg_min(event_uid, time) AS uid,
                   arg_min(cls, time) AS cls, count(*) AS n
            FROM logins WHERE status = 'success' AND user IS NOT NULL AND src_ip IS NOT NULL
            GROUP BY user, src_ip),
        users AS (SELECT user, min(first) AS since FROM firsts GROUP BY user)
        SELECT f.* FROM firsts f JOIN users u USING (user) WHERE f.first > u.since
        ORDER BY f.first"""
        out = []
        for r in _rows(ctx, sql):
            if internal(r["src_ip"]):
                continue
            out.append(
                self.finding(
                    severity=Severity.MEDIUM,
                    title_key="mail.new_source.title",
                    reason_key="mail.new_source.reason",
                    params={"user": r["user"], "src": r["src_ip"], "n": r["n"]},
                    entity=r["user"],
                    entity_type="account",
                    first_seen=r["first"],
                    last_seen=r["first"],
                    evidence_class=r["cls"],
                    evidence=(r["uid"],),
                    evidence_count=r["n"],
                    score=50.0,
                    related=(r["src_ip"],),
                )
            )
        return out


RULE_OPERATIONS = ("New-InboxRule", "Set-InboxRule", "UpdateInboxRules", "New-TransportRule",
                   "Set-TransportRule", "Add-MailboxPermission", "Add-RecipientPermission",
                   "Add-MailboxFolderPermission", "Set-MailboxJunkEmailConfiguration")  # fmt: skip


class MailboxRules(Detector):
    NAME = "mailbox_rules"
    VERSION = "1.0"
    INPUTS = ("mailbox_activity",)
    ATTACK = ("T1114.003", "T1564.008", "T1098.002")
    DESCRIPTION = "New forwarding, inbox rules, mailbox permissions or app mail permissions."

    def run(self, ctx: DetectContext) -> list[Finding]:
        ops = ", ".join(f"'{o}'" for o in RULE_OPERATIONS)
        sql = f"""SELECT event_uid, time, user, src_ip, operation, parameters, mailbox
        FROM mailbox_activity WHERE status = 'success' AND (
            operation IN ({ops})
            OR (operation = 'Set-Mailbox' AND parameters ILIKE '%Forward%')
            OR ((operation ILIKE '%permission grant%' OR operation ILIKE 'Consent to application%'
                 OR operation ILIKE 'Add app role assignment%')
                AND (parameters ILIKE '%Mail.%' OR parameters ILIKE '%EWS.%'
                     OR parameters ILIKE '%full_access_as_app%')))
        ORDER BY time"""
        out = []
        for r in _rows(ctx, sql):
            params = r["parameters"] or ""
            forwarding = any(
                k in params for k in ("ForwardTo", "RedirectTo", "Forwarding", "ForwardAs")
            )
            grant = "permission" in r["operation"].lower() or "consent" in r["operation"].lower()
            what = msg(
                "mail.rules.forwarding"
                if forwarding
                else ("mail.rules.grant" if grant else "mail.rules.rule")
            )
            out.append(
                self.finding(
                    severity=Severity.HIGH if forwarding or grant else Severity.MEDIUM,
                    title_key="mail.rules.title",
                    reason_key="mail.rules.reason",
                    params={
                        "what": what,
                        "operation": r["operation"],
                        "user": r["user"],
                        "src": r["src_ip"] or msg("mail.rules.unknown_address"),
                        "parameters": params[:300] or msg("mail.rules.no_detail"),
                    },
                    entity=r["user"] or r["mailbox"] or "?",
                    entity_type="account",
                    first_seen=r["time"],
                    last_seen=r["time"],
                    evidence_class="mailbox_activity",
                    evidence=(r["event_uid"],),
                    evidence_count=1,
                    score=80.0 if forwarding or grant else 60.0,
                    attack=("T1114.003",)
                    if forwarding
                    else (("T1098.002",) if grant else ("T1564.008",)),
                    related=tuple(x for x in (r["src_ip"], r["mailbox"]) if x),
                )
            )
        return out


EXPORT_OPERATIONS = ("New-MailboxExportRequest", "New-ComplianceSearchAction", "SearchExported",
                     "ExportReport", "New-ComplianceSearch")  # fmt: skip


class MailboxMassAccess(Detector):
    NAME = "mailbox_mass_access"
    VERSION = "1.0"
    INPUTS = ("mailbox_activity",)
    ATTACK = ("T1114.002",)
    DESCRIPTION = (
        "Mass reading or export of mailboxes, or mail read by an application via API from outside."
    )

    def run(self, ctx: DetectContext) -> list[Finding]:
        internal = internal_checker(ctx)
        exports = ", ".join(f"'{o}'" for o in EXPORT_OPERATIONS)
        sql = f"""SELECT user, time_bucket(INTERVAL 1 HOUR, time) AS hour,
                  sum(coalesce(item_count, 0)) AS items, count(*) AS n,
                  count(*) FILTER (WHERE operation IN ({exports})) AS exports,
                  list(event_uid ORDER BY time)[1:50] AS ids, min(time) AS first, max(time) AS last,
                  list(DISTINCT src_ip) AS ips, list(DISTINCT app_id) AS apps,
                  list(DISTINCT client) AS clients, list(DISTINCT mailbox) AS mailboxes
            FROM mailbox_activity
            WHERE status = 'success'
              AND (operation = 'MailItemsAccessed' OR operation IN ({exports}))
            GROUP BY ALL ORDER BY first"""
        out = []
        for r in _rows(ctx, sql):
            ips = [ip for ip in r["ips"] if ip]
            outside = [ip for ip in ips if not internal(ip)]
            apps = [a for a in r["apps"] if a]
            api = any(c and ("REST" in c or "EWS" in c) for c in r["clients"])
            reasons: list[object] = []
            if r["exports"]:
                reasons.append(msg("mail.mass.exports", n=r["exports"]))
            if r["items"] >= MASS_READ_ITEMS:
                reasons.append(msg("mail.mass.items", n=r["items"]))
            if apps and api and outside:
                reasons.append(msg("mail.mass.api", app=apps[0], ips=", ".join(outside[:3])))
            if not reasons:
                continue
            out.append(
                self.finding(
                    severity=Severity.HIGH,
                    title_key="mail.mass.title",
                    reason_key="mail.mass.reason",
                    params={"user": r["user"], "reasons": reasons},
                    entity=r["user"] or "?",
                    entity_type="account",
                    first_seen=r["first"],
                    last_seen=r["last"],
                    evidence_class="mailbox_activity",
                    evidence=tuple(r["ids"]),
                    evidence_count=r["n"],
                    score=75.0,
                    related=tuple(ips + [m for m in r["mailboxes"] if m])[:50],
                )
            )
        return out


# statuses of a `mail_transfer` row that mean the message went (or was going) to that
# recipient; refusals, list expansions and notifications are not the sender's writing
_SENT = ("received", "submitted", "delivered", "relayed", "deferred", "bounced")
# the delivery logs with a label in the catalogue (mail.log.<name>)
_LOG_LABELS = frozenset(
    ("postfix_delivery", "exchange_tracking", "m365_message_trace", "exim_delivery")
)


class InternalMassMail(Detector):
    NAME = "internal_mass_mail"
    VERSION = "1.2"
    INPUTS = ("email", "mail_transfer")
    ATTACK = ("T1534",)
    DESCRIPTION = (
        "An internal account suddenly mailing many internal recipients (phishing from inside)."
    )

    def run(self, ctx: DetectContext) -> list[Finding]:
        """Ingested messages and the mail servers' delivery logs, as one set of (sender,
        recipient, message) rows: a message seen in both (same Message-ID) counts once.

        A delivery log may list a message several times (received, then delivered to each
        mailbox, a list expanded into its members): the recipients counted are the ones the
        sender wrote, i.e. the `received` rows of a message when the log has them, and a
        list's own address rather than its members when the log names it."""
        if ctx.hospital is None or not ctx.hospital.hospital.domains:
            return []
        domains = [d.lower() for d in ctx.hospital.hospital.domains]
        sent = ", ".join(f"'{s}'" for s in _SENT)
        sql = f"""
        WITH em AS (
            SELECT 'email' AS cls, event_uid, time, lower(from_addr) AS sender,
                   lower(unnest(list_concat(to_addrs, coalesce(cc_addrs, [])))) AS rcpt,
                   coalesce(nullif(lower(trim(message_id, ' <>')), ''), event_uid) AS msg,
                   subject, NULL AS src_ip, 'email' AS log
            FROM email WHERE time IS NOT NULL AND from_addr IS NOT NULL),
        tr AS (
            SELECT 'mail_transfer' AS cls, event_uid, time, lower(sender) AS sender,
                   lower(coalesce(orig_recipient, recipient)) AS rcpt,
                   coalesce(nullif(lower(trim(message_id, ' <>')), ''),
                            coalesce(server, source_file) || ':' || queue_id, event_uid) AS msg,
                   subject, src_ip, source_format AS log, status
            FROM mail_transfer
            WHERE sender IS NOT NULL AND recipient IS NOT NULL AND status IN ({sent})),
        addressed AS (
            SELECT * EXCLUDE (status) FROM tr
            QUALIFY status = 'received'
                 OR NOT bool_or(status = 'received') OVER (PARTITION BY msg)),
        m AS (SELECT * FROM em UNION ALL BY NAME SELECT * FROM addressed),
        internal AS (
            SELECT * FROM m
            WHERE list_contains($domains, split_part(sender, '@', 2))
              AND list_contains($domains, split_part(rcpt, '@', 2))),
        hourly AS (
            SELECT sender AS from_addr, time_bucket(INTERVAL 1 HOUR, time) AS hour,
                   count(DISTINCT rcpt) AS rcpts, count(DISTINCT msg) AS msgs,
                   list(DISTINCT event_uid) FILTER (WHERE cls = 'email') AS email_ids,
                   list(DISTINCT event_uid) FILTER (WHERE cls = 'mail_transfer')
                       AS transfer_ids,
                   list(DISTINCT log ORDER BY log) AS logs,
                   list(DISTINCT src_ip ORDER BY src_ip) FILTER (WHERE src_ip IS NOT NULL)
                       AS clients,
                   list(DISTINCT subject)[1:5] AS subjects,
                   min(time) AS first, max(time) AS last
            FROM internal GROUP BY ALL),
        base AS (
            SELECT h.*, (SELECT avg(o.rcpts) FROM hourly o WHERE o.from_addr = h.from_addr
                         AND o.hour <> h.hour) AS usual
            FROM hourly h),
        burst AS (SELECT * FROM base WHERE rcpts >= $min AND (usual IS NULL OR rcpts >= 5 * usual))
        SELECT b.*,
               -- earlier days (a day or more before) with a burst of the same size: a sender
               -- who does this regularly is a broadcaster (a campaign within one day is not)
               (SELECT count(DISTINCT CAST(o.hour AS DATE)) FROM hourly o
                WHERE o.from_addr = b.from_addr AND o.rcpts >= $min
                  AND o.hour <= b.hour - INTERVAL 1 DAY) AS burst_days,
               (SELECT list(DISTINCT c) FROM (
                    SELECT unnest(o.clients) AS c FROM hourly o
                    WHERE o.from_addr = b.from_addr AND o.hour < b.hour)) AS known_clients
        FROM burst b ORDER BY first"""
        params = {"domains": domains, "min": INTERNAL_BURST_RECIPIENTS}
        declared = ctx.hospital.hospital.broadcast_senders
        out = []
        for r in list(ctx.engine.query(sql, params).to_pylist()):
            clients = r["clients"] or []
            why = self._broadcaster(r, declared)
            if why is not None:
                known = set(r["known_clients"] or [])
                new = [c for c in clients if c not in known]
                if not known or not new:  # its usual mailing, or nothing to compare with
                    continue
                pre = msg(
                    "mail.burst.broadcaster",
                    sender=r["from_addr"],
                    why=why,
                    rcpts=r["rcpts"],
                    msgs=r["msgs"],
                    clients=", ".join(new[:3]),
                )
            else:
                usual = f"{r['usual']:.0f}" if r["usual"] is not None else msg("mail.burst.none")
                seen_from = (
                    msg("mail.burst.from", clients=", ".join(clients[:3])) if clients else ""
                )
                pre = msg(
                    "mail.burst.plain",
                    sender=r["from_addr"],
                    rcpts=r["rcpts"],
                    msgs=r["msgs"],
                    usual=usual,
                    seen_from=seen_from,
                )
            logs: list[object] = [
                msg(f"mail.log.{log}") if log == "email" or log in _LOG_LABELS else log
                for log in dict.fromkeys(r["logs"])
            ]
            # full messages are the better evidence when the burst has some
            cls, ids = (
                ("email", r["email_ids"])
                if r["email_ids"]
                else ("mail_transfer", r["transfer_ids"])
            )
            out.append(
                self.finding(
                    severity=Severity.HIGH,
                    title_key="mail.burst.title",
                    reason_key="mail.burst.reason",
                    params={"sender": r["from_addr"], "pre": pre, "logs": joined(logs, ", ")},
                    entity=r["from_addr"],
                    entity_type="account",
                    first_seen=r["first"],
                    last_seen=r["last"],
                    evidence_class=cls,
                    evidence=tuple(sorted(ids)[:50]),
                    evidence_count=r["msgs"],
                    score=70.0,
                    related=tuple(s for s in r["subjects"] if s),
                )
            )
        return out

    @staticmethod
    def _broadcaster(row: dict[str, Any], declared: tuple[str, ...]) -> dict[str, Any] | None:
        """Why this sender's mass mailings are expected (declared in hospital.yaml, or seen
        on earlier days), or None."""
        sender = str(row["from_addr"])
        if any(fnmatch.fnmatchcase(sender, pattern) for pattern in declared):
            return msg("mail.burst.declared")
        if row["burst_days"] >= LEARNT_BROADCAST_DAYS:
            return msg("mail.burst.seen_days", days=row["burst_days"])
        return None
