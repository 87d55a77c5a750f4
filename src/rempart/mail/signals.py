"""The explainable signals: each returns (reason key, values, points) facts about a message.

Signals read only what an attacker's choice shows: authentication verdicts recorded by the
receiving server, the sender identities, the links and the attachments. They never read
recipients, dates, relays or list headers, which describe the mailbox, not the sender.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from rempart.mail.attachments import Report, examine
from rempart.mail.lookalike import PSL, is_own, lookalike, name_key, registrable
from rempart.mail.parse import ParsedMail, domain_of
from rempart.mail.senders import FREEMAIL, brand_owns, family, gateway_results, org
from rempart.model import Hospital


@dataclass(frozen=True)
class Signal:
    key: str  # i18n key of the reason
    points: int
    values: tuple[tuple[str, str], ...] = ()


SHORTENERS = frozenset(
    [
        "bit.ly",
        "tinyurl.com",
        "t.co",
        "goo.gl",
        "ow.ly",
        "is.gd",
        "buff.ly",
        "cutt.ly",
        "rebrand.ly",
        "shorturl.at",
        "tiny.cc",
        "rb.gy",
        "t.ly",
        "s.id",
        "v.gd",
        "bl.ink",
        "lnkd.in",
        "qrco.de",
        "shorte.st",
        "adf.ly",
        "bitly.com",
        "urlz.fr",
        "tiny.one",
        "u.to",
        "clck.ru",
    ]
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
    if reply and registrable(reply) != from_org:
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


BRANDS = {
    "paypal": "paypal", "microsoft": "microsoft", "office 365": "microsoft", "outlook": "microsoft",
    "onedrive": "microsoft", "sharepoint": "microsoft", "apple": "apple", "icloud": "apple",
    "amazon": "amazon", "netflix": "netflix", "dhl": "dhl", "fedex": "fedex", "ups": "ups",
    "la poste": "laposte", "colissimo": "colissimo", "chronopost": "chronopost",
    "ameli": "ameli", "assurance maladie": "ameli", "impots": "impots", "impôts": "impots",
    "caf": "caf", "antai": "antai", "docusign": "docusign", "dropbox": "dropbox",
    "google": "google", "gmail": "google", "facebook": "facebook", "instagram": "instagram",
    "whatsapp": "whatsapp", "linkedin": "linkedin", "binance": "binance", "coinbase": "coinbase",
    "metamask": "metamask", "crédit agricole": "creditagricole",
    "credit agricole": "creditagricole",
    "société générale": "societegenerale", "bnp": "bnp", "banque postale": "labanquepostale",
    "orange": "orange", "sfr": "sfr", "free mobile": "free", "bouygues": "bouygues",
    "wetransfer": "wetransfer", "adobe": "adobe", "zimbra": "zimbra", "webmail": "",
    "mcafee": "mcafee", "norton": "norton", "bitcoin": "", "wallet": "",
    # crypto wallets and exchanges: the most impersonated brands of "wallet drainer" phishing
    "ledger": "ledger", "trezor": "trezor", "trust wallet": "trustwallet",
    "trustwallet": "trustwallet", "exodus": "exodus", "phantom": "phantom",
    "kraken": "kraken", "opensea": "opensea", "uniswap": "uniswap", "tether": "tether",
    "electrum": "electrum", "blockchain.com": "blockchain", "bybit": "bybit",
    "kucoin": "kucoin", "crypto.com": "crypto",
    # French services whose names phishing borrows (health, training, holidays, transport)
    "ancv": "ancv", "chèques-vacances": "ancv", "cheques-vacances": "ancv",
    "cpf": "moncompteformation", "mon compte formation": "moncompteformation",
    "urssaf": "urssaf", "france travail": "francetravail", "pôle emploi": "pole-emploi",
    "doctolib": "doctolib", "mssanté": "mssante", "mssante": "mssante",
    "pro santé connect": "esante", "sncf": "sncf", "edf": "edf", "engie": "engie",
    "ants": "ants", "crit'air": "certificat-air", "mondial relay": "mondialrelay",
    "vinted": "vinted", "leboncoin": "leboncoin", "ovh": "ovh", "ionos": "ionos",
    "spotify": "spotify", "disney+": "disney", "canal+": "canal", "booking.com": "booking",
    # retailers and crypto projects whose names "you have been selected" and giveaway
    # scams borrow
    "shein": "shein", "temu": "temu", "aliexpress": "aliexpress", "lidl": "lidl",
    "carrefour": "carrefour", "auchan": "auchan", "leclerc": "leclerc",
    "decathlon": "decathlon", "ikea": "ikea", "cdiscount": "cdiscount",
    "ripple": "ripple", "xrp": "ripple", "stellar": "stellar", "solana": "solana",
}  # fmt: skip
_BRAND_RE = re.compile(
    r"(?i)(?<![\w])("
    + "|".join(re.escape(b) for b in sorted(BRANDS, key=len, reverse=True))
    + r")(?![\w])"
)
ABUSED_TLDS = frozenset(
    [
        "shop",
        "top",
        "xyz",
        "click",
        "buzz",
        "icu",
        "cyou",
        "rest",
        "bar",
        "sbs",
        "cfd",
        "lol",
        "quest",
        "monster",
        "beauty",
        "hair",
        "skin",
        "makeup",
        "boats",
        "mom",
        "autos",
        "yachts",
        "motorcycles",
        "bond",
        "gq",
        "tk",
        "ml",
        "ga",
        "cf",
        "work",
        "fit",
        "live",
        "su",
        "zip",
        "mov",
    ]
)
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
_CONFUSABLE = str.maketrans(
    {
        "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "у": "y", "і": "i",
        "ј": "j", "ѕ": "s", "ԁ": "d", "һ": "h", "ӏ": "l", "А": "A", "В": "B", "Е": "E",
        "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T", "Х": "X",
        "α": "a", "ο": "o", "ρ": "p", "ν": "v", "ι": "i", "κ": "k", "τ": "t", "υ": "u",
        "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
        "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "ɡ": "g", "ո": "n",
        "ս": "u",
    }
)  # fmt: skip
_WORD = re.compile(r"\w+")
# Names for networks that never reach the internet (RFC 6761, 6762, 8375; ".internal",
# reserved by ICANN in 2024; and the usual Active Directory choices): the hospital's own
# servers send from them, so they are not the "extension that does not exist" of a forger.
PRIVATE_TLDS = frozenset(
    {"local", "localdomain", "localhost", "internal", "lan", "home", "arpa", "corp"}
    | {"intra", "intranet", "priv", "private", "test", "example", "invalid", "ad"}
)
# Free app-hosting and storage platforms: anyone gets a sub-domain in a minute, so a
# business does not send its mail from one, and a login page there is someone else's.
HOSTING_SUFFIXES = frozenset(
    [
        "firebaseapp.com",
        "web.app",
        "herokuapp.com",
        "azurewebsites.net",
        "appspot.com",
        "netlify.app",
        "vercel.app",
        "pages.dev",
        "workers.dev",
        "r2.dev",
        "github.io",
        "glitch.me",
        "000webhostapp.com",
        "weebly.com",
        "wixsite.com",
        "ngrok.io",
        "ngrok-free.app",
        "ipfs.io",
        "dweb.link",
        "repl.co",
        "surge.sh",
    ]
)


# The wording of the classic lures, in the languages hospital staff receive mail in
# (matched on lower-cased text, which is twice as fast as case-insensitive patterns). A phrase
# alone is not enough (a real bank writes "update your details" too): it counts only with a
# link to another organisation than the sender's, or replies sent elsewhere / to free mail.
_LURES: dict[str, re.Pattern[str]] = {
    "account": re.compile(
        r"\b(?:"
        r"(?:verify|confirm|validate|update|unlock|restore|reactivate) (?:your|the) "
        r"(?:account|identity|password|mailbox|e-?mail|login|credentials|payment|billing)"
        r"|(?:account|mailbox|password) (?:has been |is |was |will be )?(?:suspended|locked"
        r"|disabled|deactivated|limited|restricted|on hold|expir\w*)"
        r"|mailbox (?:is )?(?:full|over quota)|unusual (?:sign[- ]?in|login|activity)"
        r"|payment (?:method )?(?:has )?(?:failed|declined|expired|was declined)"
        r"|(?:cannot|could not|unable to) (?:renew|process) your (?:subscription|payment)"
        r"|action required|final notice"
        r"|(?:vérifie[rz]?|vérification de|confirme[rz]?|valide[rz]?|mette[rz]? à jour|"
        r"réactive[rz]?) (?:votre|vos) (?:compte|identité|mot de passe|messagerie|"
        r"informations|coordonnées|données|paiement|accès)"
        r"|compte (?:a été |est |sera )?(?:suspendu|bloqué|désactivé|limité|restreint)"
        r"|mot de passe (?:a |va |expire|expiré)|boîte (?:mail|aux lettres) (?:pleine|saturée)"
        r"|paiement (?:a été )?(?:refusé|échoué|rejeté|en attente)|action requise"
        r"|frais de (?:livraison|douane|réexpédition)|colis (?:est )?en attente"
        r"|(?:subscription|membership) (?:has |may have |is )?(?:expired|ended|cancell?ed)"
        r"|abonnement (?:a |est )?(?:peut-être )?(?:expiré|suspendu|arrivé à expiration)"
        r"|perte de vos (?:avantages|points|droits)|vos points (?:expirent|vont expirer)"
        r"|abonnement ist (?:möglicherweise )?(?:abgelaufen|gekündigt)"
        r"|(?:bestätigen|verifizieren|aktualisieren) sie ihr\w* (?:konto|identität|daten|"
        r"zahlungs\w*)|konto (?:wurde |ist )?(?:gesperrt|eingeschränkt|deaktiviert)"
        r"|zahlung (?:ist )?fehlgeschlagen"
        r"|(?:verifieer|bevestig|update) (?:uw|je) (?:account|gegevens|identiteit)"
        r"|(?:account|rekening) (?:is )?geblokkeerd|betaling (?:is )?mislukt"
        r"|abonnement (?:is |heeft |wordt )?(?:\w+ )?(?:verlopen|beëindigd|geannuleerd"
        r"|opgeschort)|(?:uw|je) pakket (?:is |wordt )?(?:opgehouden|vastgehouden|geblokkeerd)"
        r"|pakket\w* (?:wacht|wachten) op (?:bezorging|levering|aflevering)"
        r"|pakket in afwachting van|douane(?:rechten|kosten)|invoerrechten"
        r"|(?:submit|schedule|request) a redelivery"
        r"|(?:package|parcel|shipment) (?:is |has been )?(?:on hold|held|awaiting "
        r"(?:delivery|payment))|(?:unpaid|outstanding) (?:customs|shipping) (?:fees?|duties)"
        r"|paket (?:wartet|konnte nicht zugestellt)|zollgebühr\w*"
        r"|(?:verifique|confirme|atualize) (?:a )?(?:sua|seu) (?:conta|identidade|senha|dados)"
        r"|conta (?:foi )?(?:suspensa|bloqueada)|pagamento (?:recusado|pendente)"
        r")\b"
    ),
    "crypto": re.compile(
        r"\b(?:airdrop|seed phrase|recovery phrase|secret phrase|phrase de récupération"
        r"|claim (?:your )?(?:tokens?|rewards?|airdrop)|connect (?:your )?wallet"
        r"|wallet (?:has been |is |will be )?(?:suspended|locked|disabled|deactivated))\b"
    ),
    "advance_fee": re.compile(
        r"\b(?:next of kin|inheritance fund|beneficiary of|compensation fund"
        r"|unclaimed (?:funds?|inheritance|deposits?|payments?)"
        r"|dear (?:friend|beneficiary)|consignment box|barrister)\b"
    ),
}


def _as_written(text: str, low: str, m: re.Match[str]) -> str:
    """The phrase matched in the lower-cased text, as the message writes it."""
    return text[m.start() : m.end()] if len(low) == len(text) else m.group(0)


def lure(mail: ParsedMail) -> Signal | None:
    """A lure's wording sent with a way out to someone else than the sender."""
    text = f"{mail.subject}\n{mail.text[:6000]}"
    low = text.lower()
    found = [
        (kind, _as_written(text, low, m)) for kind, rx in _LURES.items() if (m := rx.search(low))
    ]
    if not found:
        return None
    from_dom = domain_of(mail.from_addr) or ""
    # the sender's organisation: its registrable domain and its brand's other domains
    # (Microsoft's sign-in alerts link to live.com)
    own = family(from_dom) if from_dom else frozenset()
    reply = domain_of(mail.reply_to)
    elsewhere = bool(reply and org(reply) not in own)
    if not elsewhere:
        for link in mail.links[:100]:
            host = _host(link.href)
            if host and org(host) not in own:
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
_OFFERS: dict[str, re.Pattern[str]] = {
    "gambling": re.compile(
        r"\b(?:online casino|casino (?:bonus|en ligne|online)|jackpot|free ?spins?"
        r"|welcome bonus|deposit bonus|no[- ]deposit bonus|wagering|prize pool"
        r"|welkomstbonus|gratis spins|stortingsbonus"
        r"|\d{2,3} ?% (?:bonus|match bonus)|bonus de bienvenue|tours gratuits"
        r"|machines? à sous|paris sportifs|freispiele|giros gratis|tiradas gratis"
        r"|giri gratis|rodadas grátis|bono de bienvenida)\b"
    ),
    "adult": re.compile(
        r"\b(?:sex dating|(?:have |for )?sex with you|looking for a (?:lover|sex partner)"
        r"|lonely (?:women|girls|ladies|wives|housewives)|hot singles|horny"
        r"|(?:wants?|would like) to (?:meet|chat with|have a chat with) you"
        r"|singles? (?:in|near) your (?:area|city)|hook-?up|rencontres? (?:coquines?|discrètes?"
        r"|sans lendemain)|plan cul|femmes? (?:seules?|mûres?|cougars?) (?:près|de votre)"
        r"|sexkontakte|citas (?:calientes|discretas)|incontri (?:piccanti|discreti)"
        r"|sex ?dat(?:e|es|ing)|seksdate|(?:eenzame|geile|knappe|mooie) (?:vrouwen|meisjes"
        r"|dames)|singles? in (?:je|jouw|uw) (?:buurt|regio|omgeving)"
        r"|(?:gratis|discreet) (?:afspreken|daten|flirten)"
        r"|(?:russian|ukrainian|slavic) (?:beauties|brides|women|girls|ladies)"
        r"|(?:belles|femmes|jolies) (?:russes|ukrainiennes|slaves)"
        r"|russische (?:schoonheden|vrouwen|meisjes|frauen|schönheiten))\b"
    ),
    "crypto_investment": re.compile(
        r"\b(?:stake your (?:xlm|xrp|eth|sol|ada|crypto|tokens?|coins?)|staking rewards?"
        r"|mine bitcoin|bitcoin (?:vaut|is now worth|is worth)|crypto(?:currency)? trading bot"
        r"|(?:double|triple) your (?:bitcoin|crypto|money|investment)"
        r"|guaranteed (?:returns?|profits?)|rendements? garantis?|gains? garantis?"
        r"|passive income|revenus? passifs?|loyalty rewards?)\b"
    ),
    "job": re.compile(
        r"\b(?:first payment within|earn (?:up to )?(?:\$|€|£)?\d[\d,.]* ?(?:\$|€|£|usd|eur)?"
        r" (?:per|a|every) (?:day|hour)|gagne[rz] (?:jusqu'à )?\d[\d ,.]* ?(?:€|euros?) par"
        r" (?:jour|heure)|verdien (?:tot )?€ ?\d+ per (?:dag|uur)|online work!)"
    ),
    "prize": re.compile(
        r"(?:\byou(?:'ve| have)? (?:been (?:selected|chosen)|won)\b(?!['’]t)"
        r"|\bclaim your (?:prize|reward|gift|winnings)\b|\byour lucky day\b"
        r"|\bvous avez (?:été (?:sélectionnée?s?|choisie?s?)|gagné)\b|\bsie haben gewonnen\b"
        r"|\bhas (?:sido seleccionad[oa]|ganado)\b|\bhai vinto\b|\b(?:você )?ganhou\b"
        r"|\bdu er blevet udvalgt\b|\bfree iphone\b|\biphone (?:gratuit|offert)\b"
        r"|\bsie wurden (?:\w+ ){0,3}(?:ausgewählt|ausgelost)\b|\bdu hast gewonnen\b"
        r"|\bzu den (?:glücklichen )?(?:auserwählten|gewinnern)\b"
        r"|\b(?:je|u) (?:hebt|heeft) gewonnen\b"
        r"|\b(?:je|u) bent (?:\w+ ){0,2}(?:geselecteerd|gekozen|uitgekozen)\b"
        r"|\bclaim (?:je|uw) (?:prijs|beloning|cadeau)\b)"
    ),
}


def scam_offer(mail: ParsedMail) -> Signal | None:
    """Wording of the scam offers (casino, adult dating, crypto yields, prizes)."""
    text = f"{mail.from_display or ''}\n{mail.subject}\n{mail.text[:6000]}"
    low = text.lower()
    for kind, rx in _OFFERS.items():
        m = rx.search(low)
        if m:
            phrase = _as_written(text, low, m)[:60]
            return Signal("sig_scam_offer", 15, (("kind", kind), ("phrase", phrase)))
    return None


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
    return registrable(domain)[1] in HOSTING_SUFFIXES


def sender_shape(mail: ParsedMail) -> list[Signal]:
    """Brand names shown by an unrelated domain, abused TLDs, styled or hidden characters."""
    out: list[Signal] = []
    from_dom = domain_of(mail.from_addr) or ""
    compact = from_dom.replace("-", "").replace(".", "")
    m = _BRAND_RE.search(_unconfused((mail.from_display or "")[:200]))
    if m:
        brand = BRANDS[m.group(1).lower()]
        if not brand or (brand.replace("-", "") not in compact and not brand_owns(brand, from_dom)):
            out.append(Signal("sig_brand_display", 30, (("brand", m.group(1)), ("from", from_dom))))
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


def _host(url: str) -> str | None:
    try:
        host = urlsplit(url if "://" in url else "http:" + url).hostname
    except ValueError:
        return None
    return host.lower().rstrip(".") if host else None


def host_of(url: str) -> str | None:
    """The lower-cased host a URL names, or None."""
    return _host(url)


def _is_ip(host: str) -> bool:
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
        if host in SHORTENERS:
            add(Signal("sig_link_shortener", 10, (("host", host),)))
        if _hosting(host):
            add(Signal("sig_link_hosting", 10, (("host", host),)))
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
