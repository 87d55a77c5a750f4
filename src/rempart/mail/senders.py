"""Who really sent a message: brand families and authenticated senders.

Account notifications (a new sign-in, a key added, a document to sign, a refund statement)
read like the phishing that imitates them, so a text model cannot tell them apart; what
can is that the real ones come, authenticated, from the brand's own domains. Two facts
follow, both read by the signals:

- a brand owns several domains (Ameli writes from `assurance-maladie.fr`, Microsoft's
  alerts link to `live.com`): `BRAND_DOMAINS` keeps a brand's claim or a link to a sister
  domain from being taken for impersonation or a way out;
- a message whose `From` domain passed DMARC (or an aligned DKIM signature) at the
  hospital's own gateway, from a known notifier (`TRUSTED_NOTIFIERS`) or from a domain
  the hospital declared (`hospital.trusted_senders`), is that organisation's mail: the
  text model alone does not make it suspicious (its other signals still count, since
  such services also carry what their users write).

Only Authentication-Results written by the hospital's gateway are believed: the ones whose
authserv-id is in `hospital.authserv_ids` when it is set, else the topmost one (the last
hop's); a sender can write any header below it, never above it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rempart.mail.lookalike import registrable
from rempart.mail.parse import ParsedMail, domain_of
from rempart.mail.wordlists import sender_lists
from rempart.model import Hospital

# Brand slug (the values of `signals.BRANDS`) -> the registrable domains it sends or links
# from. Freemail domains may appear (Microsoft's alerts link to live.com) but never vouch
# for a sender: anyone can open an account there.
BRAND_DOMAINS: dict[str, frozenset[str]] = {
    k: frozenset(v) for k, v in sender_lists().brand_domains.items()
}

# Mail providers where anyone can open a mailbox: an address there vouches for nobody.
FREEMAIL = frozenset(sender_lists().freemail)
# Organisations whose authenticated mail is their own notifications: the brands' domains,
# less those where anyone can open a mailbox.
TRUSTED_NOTIFIERS: frozenset[str] = (
    frozenset(d for ds in BRAND_DOMAINS.values() for d in ds) - FREEMAIL
)

_OWNERS: dict[str, frozenset[str]] = {}
for _family in BRAND_DOMAINS.values():
    for _d in _family:
        _OWNERS[_d] = _OWNERS.get(_d, frozenset()) | _family


@lru_cache(maxsize=8192)
def org(domain: str) -> str:
    """The registrable domain ('accountprotection.microsoft.com' -> 'microsoft.com')."""
    name, suffix = registrable(domain)
    return f"{name}.{suffix}" if suffix else name


def family(domain: str) -> frozenset[str]:
    """The registrable domains owned with `domain`'s (itself at least)."""
    o = org(domain)
    return _OWNERS.get(o, frozenset()) | {o}


def brand_owns(brand: str, domain: str) -> bool:
    """Whether `domain` is one of `brand`'s own (by its registrable domain)."""
    return org(domain) in BRAND_DOMAINS.get(brand, frozenset())


_DMARC = re.compile(r"(?i)\bdmarc\s*=\s*([a-z]+)")
_HEADER_FROM = re.compile(r"(?i)\bheader\.from\s*=\s*\"?([^\s;\"]+)")
_ARC_INSTANCE = re.compile(r"(?i)\s*i\s*=\s*\d+\s*;")
_DKIM_D = re.compile(r"(?i)\bdkim\s*=\s*pass\b[^;]*?\bheader\.d\s*=\s*\"?([^\s;\"]+)")


def authserv_id(header: str) -> str | None:
    """The authserv-id an Authentication-Results header starts with (RFC 8601), or None
    when it starts with a result (Exchange Online writes none)."""
    head = header.split(";", 1)[0].strip()
    if not head or "=" in head:
        return None
    return head.split()[0].lower()


def gateway_results(mail: ParsedMail, authserv_ids: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The Authentication-Results headers the hospital's own gateway wrote (never an ARC
    copy: those start with their instance, `i=1;`, and any hop may have written them)."""
    own = tuple(h for h in mail.auth_results if not _ARC_INSTANCE.match(h))
    if authserv_ids:
        wanted = {a.lower() for a in authserv_ids}
        return tuple(h for h in own if authserv_id(h) in wanted)
    return own[:1]


def authenticated_from(mail: ParsedMail, authserv_ids: tuple[str, ...] = ()) -> str | None:
    """The `From` domain when the gateway's results say it passed DMARC for it (or, with no
    DMARC verdict, carried a valid DKIM signature aligned with it); else None."""
    from_dom = domain_of(mail.from_addr)
    if not from_dom:
        return None
    results = gateway_results(mail, authserv_ids)
    verdicts = [m.group(1).lower() for h in results for m in _DMARC.finditer(h)]
    if any(v != "pass" for v in verdicts):
        return None
    for header in results:
        if verdicts:
            m = _HEADER_FROM.search(header)
            if m and m.group(1).lower().rstrip(".") == from_dom:
                return from_dom
        else:
            for d in _DKIM_D.finditer(header):
                if org(d.group(1).lower().rstrip(".")) == org(from_dom):
                    return from_dom
    return None


def trusted_sender(mail: ParsedMail, hospital: Hospital | None = None) -> str | None:
    """The registrable domain of an authenticated sender the hospital can vouch for: a known
    notifier, or a domain listed in `hospital.trusted_senders`."""
    ids = hospital.hospital.authserv_ids if hospital else ()
    domain = authenticated_from(mail, ids)
    if domain is None:
        return None
    o = org(domain)
    declared = {org(d) for d in hospital.hospital.trusted_senders} if hospital else set()
    if o in TRUSTED_NOTIFIERS or o in declared:
        return o
    return None


__all__ = [
    "BRAND_DOMAINS",
    "FREEMAIL",
    "TRUSTED_NOTIFIERS",
    "authenticated_from",
    "authserv_id",
    "brand_owns",
    "family",
    "gateway_results",
    "org",
    "trusted_sender",
]
