"""The explainable signals: each returns (reason key, values, points) facts about a message.

Signals read only what an attacker's choice shows: authentication verdicts recorded by the
receiving server, the sender identities, the links and the attachments. They never read
recipients, dates, relays or list headers, which describe the mailbox, not the sender.
"""

from __future__ import annotations

import ipaddress
import itertools
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from rempart.mail.attachments import Report, examine
from rempart.mail.fastre import PhraseLists
from rempart.mail.lookalike import PSL, is_own, lookalike, name_key, registrable
from rempart.mail.parse import ParsedMail, domain_of
from rempart.mail.senders import FREEMAIL, brand_owns, family, gateway_results, org
from rempart.mail.wordlists import signal_lists
from rempart.model import Hospital


@dataclass(frozen=True)
class Signal:
    key: str  # i18n key of the reason
    points: int
    values: tuple[tuple[str, str], ...] = ()


# The word lists live in data/signals.yaml (validated on load)
_LISTS = signal_lists()
SHORTENERS = frozenset(_LISTS.shorteners)
IP_LOGGERS = frozenset(
    ("grabify.link", "iplogger.org", "iplogger.com", "2no.co", "yip.su", "blasze.com", "ps3cfw.com")
)
_AUTH_RE = re.compile(r"(?i)\b(spf|dkim|dmarc|arc)\s*=\s*([a-z]+)")
_SPF_RE = re.compile(r"(?i)^\s*(pass|fail|softfail|neutral|none|permerror|temperror)\b")
_DOMAINISH = re.compile(r"(?i)\b((?:[a-z0-9-]+\.)+[a-z]{2,24})\b")
# An address written in a display name or a text (bounded: a long run of letters with no
# "@" is not rescanned from every position)
_ADDRESS = re.compile(r"[\w.+-]{1,64}@(?:[\w-]{1,63}\.){1,8}[a-z]{2,24}\b", re.IGNORECASE)


def authentication(mail: ParsedMail, authserv_ids: tuple[str, ...] = ()) -> list[Signal]:
    """SPF / DKIM / DMARC / ARC failures recorded by the receiving server (only by the
    hospital's gateway when its authserv-ids are declared: an earlier hop's verdict, or one
    the sender wrote, is then ignored)."""
    results: dict[str, set[str]] = {}
    headers = gateway_results(mail, authserv_ids) if authserv_ids else mail.auth_results
    for header in headers:
        for mech, verdict in _AUTH_RE.findall(header):
            results.setdefault(mech.lower(), set()).add(verdict.lower())
    for header in mail.received_spf:
        m = _SPF_RE.match(header)
        if m:
            results.setdefault("spf", set()).add(m.group(1).lower())
    out: list[Signal] = []
    dmarc = results.get("dmarc", set())
    spf = results.get("spf", set())
    dkim = results.get("dkim", set())
    if "fail" in dmarc:
        out.append(Signal("sig_dmarc_fail", 35))
    if "fail" in spf or "permerror" in spf:
        out.append(Signal("sig_spf_fail", 15))
    elif "softfail" in spf:
        out.append(Signal("sig_spf_softfail", 8))
    if "fail" in dkim and "pass" not in dkim:
        out.append(Signal("sig_dkim_fail", 10))
    elif spf == {"none"} and dkim == {"none"}:
        # the domain publishes no SPF and the message is not signed: since 2024 Gmail and
        # Yahoo refuse such mail from any sender, so an organisation that mails does not
        # send it (internal mail, which no gateway checks, records nothing at all)
        out.append(Signal("sig_unauthenticated", 10))
    if "fail" in results.get("arc", set()):
        out.append(Signal("sig_arc_fail", 5))
    return out


def _compact(text: str) -> str:
    """Lower-case letters and digits only, accents dropped ('Santé publique France' ->
    'santepubliquefrance')."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if c.isascii() and c.isalnum())


def sister(a: str, b: str, display: str | None = None) -> bool:
    """Whether two domains belong to one organisation: the same registrable domain, one
    brand's family, the same name under another suffix (`doctolib.fr`, `doctolib.com`), or
    a name the sender's display name spells out ('Santé publique France' and
    `santepubliquefrance.fr`). A free-mail domain is nobody's sister."""
    if a in FREEMAIL or b in FREEMAIL:
        return False
    if org(a) == org(b) or org(b) in family(a):
        return True
    name_a, name_b = registrable(a)[0], registrable(b)[0]
    if len(name_a) >= 3 and name_a == name_b:
        return True
    shown = _compact(display or "")
    name_b = _compact(name_b)
    return len(name_b) >= 4 and name_b in shown


_UNSUBSCRIBE = re.compile(
    r"(?i)unsubscribe|d[ée]sabonner|d[ée]sinscri|d[ée]sabonnement|abmelden|abbestellen"
    r"|uitschrijven|afmelden|descadastr|cancelar (?:a )?inscri|darse de baja|disiscri"
    r"|opt[ -]?out|manage (?:your )?(?:email )?preferences|gérer (?:mes|vos) préférences"
)


def bulk(mail: ParsedMail) -> bool:
    """Mail sent to a list: a List-Unsubscribe header, or a way to unsubscribe in the body
    (a link or its wording)."""
    if mail.list_unsubscribe:
        return True
    if any(_UNSUBSCRIBE.search(f"{lk.href[:300]} {lk.text or ''}") for lk in mail.links[:200]):
        return True
    return bool(_UNSUBSCRIBE.search(mail.text[-3000:]) or _UNSUBSCRIBE.search(mail.text[:3000]))


def names_sender(mail: ParsedMail) -> bool:
    """Whether the display name, as written (no look-alike letters), spells the sender's
    own organisation: its registrable name ('Numeric Santé' for `numeric-sante.fr`)."""
    display = (mail.from_display or "")[:200]
    from_dom = domain_of(mail.from_addr) or ""
    if not display or not from_dom or from_dom in FREEMAIL or mixed_script_words(display):
        return False
    name = _compact(registrable(from_dom)[0])
    return len(name) >= 4 and name in _compact(display)


def identities(mail: ParsedMail) -> list[Signal]:
    """From / Reply-To / Return-Path that point to different organisations."""
    out: list[Signal] = []
    from_dom = domain_of(mail.from_addr)
    if not from_dom:
        out.append(Signal("sig_no_from", 10))
        return out
    if mail.from_malformed:
        out.append(Signal("sig_from_malformed", 10, (("from", from_dom),)))
    from_org = registrable(from_dom)
    reply = domain_of(mail.reply_to)
    if reply and registrable(reply) != from_org and not sister(from_dom, reply, mail.from_display):
        points = 20 if reply in FREEMAIL and from_dom not in FREEMAIL else 8
        out.append(Signal("sig_reply_to_mismatch", points, (("reply", reply), ("from", from_dom))))
    if mail.from_display:
        m = _ADDRESS.search(mail.from_display[:200])
        if (
            m
            and domain_of(m.group(0).lower())
            and registrable(domain_of(m.group(0).lower()) or "") != from_org
        ):
            out.append(Signal("sig_display_address", 20, (("shown", m.group(0)),)))
    return out


BRANDS = _LISTS.brands
_BRAND_RE = re.compile(
    r"(?i)(?<![\w])("
    + "|".join(re.escape(b) for b in sorted(BRANDS, key=len, reverse=True))
    + r")(?![\w])"
)
ABUSED_TLDS = frozenset(_LISTS.abused_tlds)
_STYLED = re.compile("[\U0001d400-\U0001d7ff\u200b-\u200f\u2060-\u2064\ufeff]")
# Invisible characters (zero-width, bidirectional controls) between two Latin letters:
# "Pa\u200cy\u200cPal" reads as PayPal but matches no word list. Persian or Indic text
# joins its own letters with them; the hidden preheaders of newsletters ("&zwnj;&nbsp;")
# put them between spaces. The soft hyphen is a hyphenation hint, left out.
_INVISIBLE_IN_WORD = re.compile(
    "(?<=[A-Za-z])[\u200b-\u200d\u2060-\u2064\ufeff\u202a-\u202e\u2066-\u2069]+(?=[A-Za-z])"
)
# Letters of other scripts that render like Latin ones ("Yоur аccоunt", "Μetamаsk"):
# mapped back before looking for brand names, and counted inside Latin words.
_CONFUSABLE = str.maketrans(_LISTS.confusables)
_WORD = re.compile(r"\w+")
# Names for networks that never reach the internet (RFC 6761, 6762, 8375; ".internal",
# reserved by ICANN in 2024; and the usual Active Directory choices): the hospital's own
# servers send from them, so they are not the "extension that does not exist" of a forger.
PRIVATE_TLDS = frozenset(_LISTS.private_tlds)
# Free app-hosting and storage platforms: anyone gets a sub-domain in a minute, so a
# business does not send its mail from one, and a login page there is someone else's.
HOSTING_SUFFIXES = frozenset(_LISTS.hosting_suffixes)


# The wording of the classic lures, in the languages hospital staff receive mail in
# (matched on lower-cased text, which is twice as fast as case-insensitive patterns). A phrase
# alone is not enough (a real bank writes "update your details" too): it counts only with a
# link to another organisation than the sender's, or replies sent elsewhere / to free mail.
_LURES = PhraseLists({kind: "".join(pieces) for kind, pieces in _LISTS.lures.items()})


def _as_written(text: str, low: str, m: re.Match[str]) -> str:
    """The phrase matched in the lower-cased text, as the message writes it."""
    return text[m.start() : m.end()] if len(low) == len(text) else m.group(0)


def lure(mail: ParsedMail) -> Signal | None:
    """A lure's wording sent with a way out to someone else than the sender."""
    text = f"{mail.subject}\n{mail.text[:6000]}"
    low = text.lower()
    found = [(kind, _as_written(text, low, m)) for kind, m in _LURES.search(low)]
    if not found:
        return None
    from_dom = domain_of(mail.from_addr) or ""
    # the sender's organisation: its registrable domain and its brand's other domains
    # (Microsoft's sign-in alerts link to live.com)
    own = family(from_dom) if from_dom else frozenset()

    def away(host: str) -> bool:
        return org(host) not in own and not sister(from_dom, host, mail.from_display)

    reply = domain_of(mail.reply_to)
    elsewhere = bool(reply and away(reply))
    if not elsewhere:
        for link in mail.links[:100]:
            host = _host(link.href)
            if host and away(host):
                elsewhere = True
                break
    # the reply address written in the text, at free mail ("contact me at x@gmail.com")
    written = {a.rpartition("@")[2].lower() for a in _ADDRESS.findall(text)}
    freemail = from_dom in FREEMAIL or (reply or "") in FREEMAIL or bool(written & FREEMAIL)
    for kind, phrase in found:
        if elsewhere or (kind != "account" and freemail):
            return Signal("sig_lure", 15, (("kind", kind), ("phrase", phrase[:60])))
    return None


# Offers that are scams whoever sends them, in a hospital inbox: online casino bonuses,
# "lonely women near you", crypto "staking" and giveaways, "you have been selected" prizes.
# Only specific phrases: "slot", "winner" or "sex" alone are ordinary words. Matched on
# lower-cased text, like the lures.
_OFFERS = PhraseLists({kind: "".join(pieces) for kind, pieces in _LISTS.offers.items()})


# Sex and romance with a stranger: no organisation writes to staff's work address about
# that, whereas a shop or a bank may say "jackpot" or "passive income" in a newsletter.
_PERSONAL_OFFERS = frozenset(("adult", "romance"))


def scam_offer(mail: ParsedMail) -> Signal | None:
    """Wording of the scam offers (casino, adult dating, crypto yields, prizes)."""
    text = f"{mail.from_display or ''}\n{mail.subject}\n{mail.text[:6000]}"
    low = text.lower()
    found = _OFFERS.search(low)
    if not found:
        return None
    # two kinds of scam in one message (a casino "prize", pills with a "you have won")
    # is a scam mailing more surely than one phrase
    kinds = ", ".join(kind for kind, _m in found[:2])
    phrase = _as_written(text, low, found[0][1])[:60]
    if len(found) > 1:
        points = 25
    elif found[0][0] in _PERSONAL_OFFERS:
        points = 20
    else:
        points = 15
    return Signal("sig_scam_offer", points, (("kind", kinds), ("phrase", phrase)))


# Display names of an internal role: mail that claims to come from IT, the mail system or
# HR of one's own organisation does not come from an outside domain.
_ROLE_RE = re.compile(
    r"(?i)\b(?:system administrator|(?:e-?)?mail(?:box)? (?:administrator|admin|support"
    r"|service|team)|it (?:support|department|service|help ?desk|team|admin)|help ?desk"
    r"|service informatique|support informatique|dsi|administrateur (?:système|réseau"
    r"|messagerie)|hr team|hr department|human resources|ressources humaines|payroll"
    r"|service (?:de )?paie)\b"
)


def role_display(mail: ParsedMail, hospital: Hospital | None) -> Signal | None:
    """A display name claiming an internal role (IT, mail system, HR, payroll)."""
    display = (mail.from_display or "")[:200]
    m = _ROLE_RE.search(display)
    if not m:
        return None
    from_dom = domain_of(mail.from_addr) or ""
    if hospital is not None and is_own(from_dom, hospital.hospital.domains):
        return None
    return Signal("sig_role_display", 10, (("role", m.group(0)), ("from", from_dom or "?")))


# Latin letters swapped for look-alikes inside a brand name ("Iedger", "PayPaI", "Micr0soft").
_SWAPS = (("rn", "m"), ("vv", "w"), ("0", "o"), ("1", "l"), ("3", "e"), ("5", "s"))
_BRAND_WORDS = frozenset(b for b in BRANDS if b.isalpha() and len(b) >= 4)


def misspelled_brands(text: str) -> list[tuple[str, str]]:
    """(word as written, brand) for words that become a brand once look-alikes are undone."""
    out: list[tuple[str, str]] = []
    for word in re.findall(r"[A-Za-z0-9]{4,20}", text[:400]):
        lower = word.lower()
        if lower in _BRAND_WORDS or word.isdigit():
            continue
        # an upper-case I among lower-case letters is an l in disguise
        fixed = re.sub(r"I(?=[a-z])|(?<=[a-z])I", "l", word).lower()
        for a, b in _SWAPS:
            fixed = fixed.replace(a, b)
        if fixed != lower and fixed in _BRAND_WORDS:
            out.append((word, fixed))
    return out


# Deep chains of throw-away labels ("a.b.c.d.e.f.g.h.1.example.za.com") are generated to
# defeat per-domain reputation; no organisation names its mail hosts like that.
def _deep_domain(domain: str) -> bool:
    labels = domain.split(".")
    return len(labels) >= 7 or sum(1 for lb in labels if len(lb) == 1) >= 3


def disguises(mail: ParsedMail, hospital: Hospital | None = None) -> list[Signal]:
    """Scam offers, internal roles from outside, disguised brand names, throw-away domains."""
    out: list[Signal] = []
    offer = scam_offer(mail)
    if offer:
        out.append(offer)
    role = role_display(mail, hospital)
    if role:
        out.append(role)
    bent = misspelled_brands(f"{mail.from_display or ''} {mail.subject}")
    if bent:
        out.append(
            Signal("sig_brand_misspelled", 30, (("word", bent[0][0]), ("brand", bent[0][1])))
        )
    from_dom = domain_of(mail.from_addr) or ""
    if from_dom and _deep_domain(from_dom):
        out.append(Signal("sig_deep_domain", 15, (("from", from_dom),)))
    return out


@lru_cache(maxsize=4096)
def _script(ch: str) -> str:
    """The script of a letter from its Unicode name ('LATIN', 'CYRILLIC', 'GREEK'...)."""
    try:
        return unicodedata.name(ch).split(" ", 1)[0]
    except ValueError:
        return ""


def mixed_script_words(text: str) -> list[str]:
    """Words that mix Latin letters with look-alike letters or marks of another script.

    Real Russian or Greek text has whole words in its script; "Yоur аccоunt" with Cyrillic
    "о" and "а", or "Amܿazܿon" with Syriac marks, is written to slip past word filters.
    """
    out: list[str] = []
    for word in _WORD.findall(text[:400]):
        if word.isascii() or len(word) < 3:
            continue
        scripts = set()
        for ch in word:
            if ch.isalpha() or unicodedata.combining(ch):
                name = _script(ch)
                if name and name != "COMBINING":
                    scripts.add(name)
        if "LATIN" in scripts and scripts & {
            "CYRILLIC",
            "GREEK",
            "ARMENIAN",
            "SYRIAC",
            "CHEROKEE",
            "COPTIC",
            "HEBREW",
            "ARABIC",
        }:
            out.append(word)
    return out


def _unconfused(text: str) -> str:
    """Text with look-alike letters mapped to Latin and combining marks dropped."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_CONFUSABLE))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _hosting(domain: str) -> bool:
    if registrable(domain)[1] in HOSTING_SUFFIXES:
        return True
    # hosts under a public suffix that is not all hosting (storage.googleapis.com)
    parts = domain.split(".")
    return any(".".join(parts[i:]) in HOSTING_SUFFIXES for i in range(len(parts) - 2))


# A link through a search engine's redirector or AMP cache to another site
# (google.co.uk/amp/s/evil.example/...): the reader sees a trusted host, the browser lands
# elsewhere. Newsletters link to their own or their tracker's host, not through these.
_REDIRECTOR = re.compile(
    r"(?i)^https?://(?:www\.)?(?:google|bing|yandex|youtube|baidu)\.[a-z.]{2,7}"
    r"/(?:amp/(?:s/)?|url\?(?:[^#]*?&)?(?:q|url|u)=(?:https?(?::|%3a)(?:/|%2f){2})?"
    r"|search\?(?:[^#]*?&)?btnI[^#]*?&q=)"
    r"(?:https?(?::|%3a)(?:/|%2f){2})?([a-z0-9.-]+\.[a-z]{2,24})(?=[/?#%&]|$)"
)
# Affiliate networks' click links (`?a=2395&oc=15380&c=42584&s1=`, `aff_id=`, `aff_sub=`):
# an offer pushed by whoever earns a commission on it, not mail of a known sender.
_AFFILIATE = re.compile(
    r"(?i)[?&]a=\d+&oc=\d+&c=\d+|[?&]a=\d+&c=\d+&s1=|[?&](?:aff_?id|affiliate_?id|aff_sub\d?|aff_click_id)=\w"
)


# Bait in a display name: prices, percentages, "#Rewards#", "!!", pictographs ("💰Your
# pending bonus💰", "Night Vision Pro 50% OFF"). A person or an organisation signs with its
# name; only an offer shouts in the sender's name.
_DISPLAY_BAIT = re.compile(r"[$€£%]|#\w+#|!{2,}|\(\d{1,3}\)\s*$|\baffiliate\b", re.IGNORECASE)


def display_bait(display: str) -> str | None:
    """The bait a display name carries (a symbol, a pictograph), or None."""
    m = _DISPLAY_BAIT.search(display)
    if m:
        return m.group(0)
    return next((c for c in display if unicodedata.category(c) == "So"), None)


# Consonant pairs that words of the languages staff read (en, fr, de, nl, pt, es) are
# made of; a mailbox name of 7+ letters mostly made of other pairs ("qsfxjtwk",
# "namcchxxz") was generated by a machine for one campaign, not chosen by a person.
_PAIRS = (
    "bl br ch ck cl cr ct dr fl fr gh gl gn gr kl kn kr lb lc ld lf lg lk ll lm ln lp ls lt lv"
    " mb mm mp ms nc nd ng nk nn ns nt nz ph pl pr ps pt rb rc rd rf rg rk rl rm rn rp rr rs"
    " rt rv rz sc sh sk sl sm sn sp ss st sw th tl tr ts tt tz wh wr ff gg pp dd bb cc zz ss"
    " dt hm hn hr hl ht cht sch nh lh mn bs gs ks ds mc"
)
_COMMON_PAIRS = frozenset(_PAIRS.split())
_VOWELS = frozenset("aeiouy")


def machine_name(local: str) -> bool:
    """Whether a mailbox name looks generated: 7 to 16 letters and nothing else, whose
    consonant pairs are often ones no language here writes (3 or more, and at least a
    third of its pairs)."""
    for run in re.findall(r"^[a-z]{7,16}$", local.lower()):
        pairs = list(itertools.pairwise(run))
        rare = sum(
            1
            for a, b in pairs
            if a not in _VOWELS and b not in _VOWELS and a + b not in _COMMON_PAIRS
        )
        if rare >= 3 and 3 * rare >= len(pairs):
            return True
    return False


# A subject whose words are joined by underscores ("_Welcome_to_Our_Survey_Zone_",
# "Try_KETO_Today!"): written to slip past word filters; a person or a mailing tool puts
# spaces between words (a file name alone has an extension, and is not matched).
_UNDERSCORED = re.compile(
    r"(?i)(?:(?:re|fwd?|tr|aw|wg)\s*:\s*)?[\W_]*[^\W\d_]{2,}(?:_+[^\W\d_]{2,}){2,}_*[^\w.]*"
)


def sender_shape(mail: ParsedMail) -> list[Signal]:
    """Brand names shown by an unrelated domain, abused TLDs, styled or hidden characters."""
    out: list[Signal] = []
    from_dom = domain_of(mail.from_addr) or ""
    bait = display_bait((mail.from_display or "")[:200])
    if bait:
        out.append(Signal("sig_display_bait", 10, (("bait", bait),)))
    compact = from_dom.replace("-", "").replace(".", "")
    m = _BRAND_RE.search(_unconfused((mail.from_display or "")[:200]))
    if m is None and from_dom not in FREEMAIL:
        # the brand spelt in the mailbox name ("mon.compte.formation@ranocchi.it")
        local = (mail.from_addr or "").rpartition("@")[0][:64]
        m = _BRAND_RE.search(re.sub(r"[._-]+", " ", local))
    if m:
        brand = BRANDS[m.group(1).lower()]
        if not brand or (brand.replace("-", "") not in compact and not brand_owns(brand, from_dom)):
            if brand and bulk(mail) and names_sender(mail):
                # a newsletter whose display name names a brand it writes about and its
                # own sender ("Webinaires Microsoft 365 | Numeric Santé" from
                # numeric-sante.fr) is not the brand's imitation
                out.append(Signal("sig_brand_newsletter", 0, (("brand", m.group(1)),)))
            else:
                out.append(
                    Signal("sig_brand_display", 30, (("brand", m.group(1)), ("from", from_dom)))
                )
    local = (mail.from_addr or "").rpartition("@")[0]
    if from_dom not in FREEMAIL and machine_name(local[:64]):
        out.append(Signal("sig_machine_sender", 15, (("local", local[:40]),)))
    if from_dom.endswith(".onmicrosoft.com"):
        out.append(Signal("sig_tenant_sender", 15, (("from", from_dom),)))
    elif from_dom and _hosting(from_dom):
        out.append(Signal("sig_hosting_sender", 15, (("from", from_dom),)))
    if (
        from_dom
        and "." in from_dom
        and from_dom.rsplit(".", 1)[1] not in PRIVATE_TLDS
        and PSL.publicsuffix(from_dom, accept_unknown=False) is None
    ):
        out.append(Signal("sig_unknown_tld", 20, (("from", from_dom),)))
    mixed = mixed_script_words(f"{mail.from_display or ''} {mail.subject}")
    if mixed:
        out.append(Signal("sig_mixed_script", 30, (("words", ", ".join(mixed[:3])[:80]),)))
    if from_dom and registrable(from_dom)[1] in ABUSED_TLDS:
        out.append(Signal("sig_abused_tld", 10, (("domain", from_dom),)))
    else:
        for link in mail.links[:50]:
            host = _host(link.href)
            if host and registrable(host)[1] in ABUSED_TLDS:
                out.append(Signal("sig_abused_tld", 10, (("domain", host),)))
                break
    found = lure(mail)
    if found:
        out.append(found)
    if _UNDERSCORED.fullmatch(mail.subject.strip()[:200]):
        out.append(Signal("sig_subject_underscores", 10, (("subject", mail.subject[:60]),)))
    if (
        len(_STYLED.findall(mail.subject + (mail.from_display or ""))) >= 3
        or len(_INVISIBLE_IN_WORD.findall(mail.text[:20000])) >= 3
    ):
        out.append(Signal("sig_styled_text", 20))
    return out


def impersonation(mail: ParsedMail, hospital: Hospital | None) -> list[Signal]:
    """Display names of the hospital's people and lookalikes of its and partners' domains."""
    if hospital is None:
        return []
    own = hospital.hospital.domains
    partners = tuple(d for p in hospital.partners for d in p.domains)
    protected = own + partners
    out: list[Signal] = []
    from_dom = domain_of(mail.from_addr)
    if mail.from_display and not is_own(from_dom, own):
        key = name_key(mail.from_display)
        for person in hospital.people:
            if key and name_key(person.name) == key:
                out.append(
                    Signal(
                        "sig_impersonated_person",
                        45,
                        (("name", person.name), ("from", from_dom or "?")),
                    )
                )
                break
    checked: set[str] = set()
    for _role, dom in (
        ("from", from_dom),
        ("reply", domain_of(mail.reply_to)),
        ("return", domain_of(mail.return_path)),
    ):
        if dom and dom not in checked:
            checked.add(dom)
            hit = lookalike(dom, protected)
            if hit:
                out.append(
                    Signal(
                        "sig_lookalike_sender",
                        50,
                        (("domain", dom), ("of", hit.protected), ("how", hit.how)),
                    )
                )
                break
    for link in mail.links:
        host = _host(link.href)
        if host and host not in checked:
            checked.add(host)
            hit = lookalike(host, protected)
            if hit:
                out.append(
                    Signal(
                        "sig_lookalike_link",
                        40,
                        (("domain", host), ("of", hit.protected), ("how", hit.how)),
                    )
                )
                break
    return out


@lru_cache(maxsize=16384)  # every link signal reads the hosts of the same links
def _host(url: str) -> str | None:
    try:
        host = urlsplit(url if "://" in url else "http:" + url).hostname
    except ValueError:
        return None
    return host.lower().rstrip(".") if host else None


def host_of(url: str) -> str | None:
    """The lower-cased host a URL names, or None."""
    return _host(url)


_IPV4_CHARS = frozenset("0123456789.")


def _is_ip(host: str) -> bool:
    bare = host.strip("[]")
    if ":" not in bare and not _IPV4_CHARS.issuperset(bare):
        # no address `ip_address` reads (IPv4: ASCII digits and dots; IPv6: colons): the
        # answer its ValueError gives, without raising one for every host name
        return host.replace(".", "").isdigit() and host.count(".") == 0 and len(host) > 6
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host.replace(".", "").isdigit() and host.count(".") == 0 and len(host) > 6
    return True


# A host named after an IPv4 address ("20.196.139.106.static.example.net",
# "ec2-3-8-1-2.compute..."): the reverse name of a bare server, not a site someone named.
_IP_NAMED = re.compile(
    r"(?:^|[.-])(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:[.-](?:25[0-5]|2[0-4]\d|1?\d?\d)){3}(?=[.-])"
)


_PAGE = re.compile(r"(?i)^https?://[^/?#]+/[^?#]*\.s?html?(?:[?#]|$)")


def links(mail: ParsedMail, seen_domains: frozenset[str] | None = None) -> list[Signal]:
    """Text/target mismatches, IP or punycode hosts, shorteners, userinfo tricks, new domains."""
    out: list[Signal] = []
    keys: set[str] = set()

    def add(sig: Signal) -> None:
        if sig.key not in keys:
            keys.add(sig.key)
            out.append(sig)

    new_domains: list[str] = []
    for link in mail.links:
        host = _host(link.href)
        if not host:
            continue
        if _is_ip(host):
            add(Signal("sig_link_ip", 20, (("host", host),)))
        elif _IP_NAMED.search(host):
            add(Signal("sig_link_ip_name", 15, (("host", host),)))
        if "xn--" in host or not host.isascii():
            # a host written in Unicode is the same punycode name, before the browser encodes it
            add(Signal("sig_link_punycode", 20, (("host", host),)))
        if host in IP_LOGGERS:
            # no sender links to a visitor-logging service but to learn who clicked
            add(Signal("sig_link_iplogger", 25, (("host", host),)))
        if host in SHORTENERS:
            add(Signal("sig_link_shortener", 10, (("host", host),)))
        if _hosting(host):
            if _PAGE.search(link.href[:500]):
                # a web page (`.../1.html`) put in a storage bucket or on a free host: the
                # landing page of a kit, not the site of an organisation that mails
                add(Signal("sig_link_hosted_page", 20, (("host", host),)))
            else:
                add(Signal("sig_link_hosting", 10, (("host", host),)))
        redirect = _REDIRECTOR.match(link.href[:500])
        if redirect and registrable(redirect.group(1).lower()) != registrable(host):
            add(Signal("sig_link_redirect", 25, (("host", host), ("target", redirect.group(1)))))
        if _AFFILIATE.search(link.href[:1000]):
            add(Signal("sig_link_affiliate", 15, (("host", host),)))
        if "@" in (urlsplit(link.href).netloc if "://" in link.href else ""):
            add(Signal("sig_link_userinfo", 20, (("host", host),)))
        if link.text:
            shown = _DOMAINISH.search(link.text[:200])
            if shown and "." in shown.group(1) and not link.text.lower().startswith("@"):
                shown_dom = shown.group(1).lower()
                if (
                    not shown_dom.endswith((".png", ".jpg", ".gif", ".pdf", ".html", ".php"))
                    and registrable(shown_dom)[1]
                    and registrable(shown_dom) != registrable(host)
                ):
                    # a shown address (https://..., www...) is a lie; a site name mentioned
                    # in a tracked newsletter link is common in legitimate marketing
                    as_url = link.text.strip().lower().startswith(("http", "www."))
                    points = 25 if as_url else 10
                    add(
                        Signal(
                            "sig_link_mismatch", points, (("shown", shown_dom), ("target", host))
                        )
                    )
        if seen_domains is not None:
            reg = ".".join(p for p in registrable(host) if p)
            if reg not in seen_domains and reg not in new_domains:
                new_domains.append(reg)
    if new_domains:
        add(Signal("sig_link_first_seen", 5, (("domain", new_domains[0]),)))
    if mail.password_inputs:
        add(Signal("sig_body_password_form", 35))
    return out


def attachments(mail: ParsedMail, report: Report | None = None) -> list[Signal]:
    """One signal per kind of attachment finding (the first attachment that shows it)."""
    out: list[Signal] = []
    seen: set[str] = set()
    for f in (report or examine(mail.attachments)).findings:
        if f.key in seen:
            continue
        seen.add(f.key)
        out.append(Signal(f.key, f.points, (("name", f.name[:80]), ("detail", f.detail))))
    return out
