"""What every intel format produces: indicator values, each with its source, and rejects.

An indicator is a frozen value checked when built: its `type` is one of `TYPES`, its value
is normalised (lower-case domains and hashes, canonical addresses, refanged URLs) so that
the same indicator from two feeds is the same row. A record that cannot become one is an
`IntelReject` with a reason key (rendered per language) and where it was (line, byte offset
or JSON path). Parsers never touch the store.
"""

from __future__ import annotations

import ipaddress
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

from rempart.core.i18n import Lang, t

TYPES: tuple[str, ...] = (
    "ip",
    "cidr",
    "domain",
    "url",
    "uri",  # a URL path alone (Maltrail's "/gate.php" trails)
    "email",
    "md5",
    "sha1",
    "sha256",
    "filename",
    "ja3",
    "ja3s",  # a TLS server's fingerprint
    "user_agent",
    "command_line",
)
"""Indicator types the store keeps and the hunt matches."""

TLP_RANK: dict[str, int] = {"clear": 0, "green": 1, "amber": 2, "amber+strict": 3, "red": 4}
_HASH_LEN = {"md5": 32, "sha1": 40, "sha256": 64}
_HEX = re.compile(r"^[0-9a-f]+$")
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_FANG = (
    (re.compile(r"^hxxp", re.I), "http"),
    (re.compile(r"^hxxps", re.I), "https"),
    (re.compile(r"^fxp", re.I), "ftp"),
    (re.compile(r"\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\{dot\}| dot ", re.I), "."),
    (re.compile(r"\[:\]"), ":"),
    (re.compile(r"\[/\]"), "/"),
    (re.compile(r"\[@\]|\(@\)|\[at\]|\(at\)|\{at\}| at ", re.I), "@"),
)

_FANG_MARKS = ("[", "(", "{", "hxxp", "fxp", " dot ", " at ")
_IPV4_PORT = re.compile(r"^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$")
_HEXLIKE = re.compile(r"^[0-9a-f]+$")
_ADDRESS_LIKE = re.compile(r"^[0-9.]+(/\d{1,2}|:\d{1,5})?$")
_IPV6_LIKE = re.compile(r"^[0-9a-f:]+(/\d+)?$")
_DOMAIN_LIKE = re.compile(r"^[\w.-]+\.[a-z0-9-]{2,}$")


class IndicatorError(ValueError):
    """A value that is not a valid indicator of its type; `key` names the reason."""

    def __init__(self, key: str, detail: str = "") -> None:
        self.key = key
        self.detail = detail
        super().__init__(f"{key}: {detail}")


@dataclass(frozen=True)
class Indicator:
    """One indicator as a feed states it (before duplicates are merged by the store)."""

    value: str
    type: str
    source: str
    port: int | None = None
    tlp: str | None = None
    confidence: int | None = None  # 0..100
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    expiry: datetime | None = None
    context: str = ""  # the feed's comment, report or the other terms of a STIX AND

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise IndicatorError("intel.bad_type", self.type)
        if self.tlp is not None and self.tlp not in TLP_RANK:
            raise IndicatorError("intel.bad_tlp", self.tlp)
        if self.confidence is not None and not 0 <= self.confidence <= 100:
            raise IndicatorError("intel.bad_confidence", str(self.confidence))
        if self.port is not None and not 0 < self.port < 65536:
            raise IndicatorError("intel.bad_port", str(self.port))


@dataclass(frozen=True)
class IntelReject:
    """A record of a feed that gave no indicator: where, and why (a message key)."""

    file: str
    reason: str  # message key, see `reason_text`
    detail: str = ""
    line: int | None = None
    offset: int | None = None
    where: str = ""  # a JSON path ("Event.Attribute[12]") when there is no line

    def text(self, lang: Lang = "fr") -> str:
        loc = self.file
        if self.line is not None:
            loc += f":{self.line}"
        elif self.offset is not None:
            loc += f"@{self.offset}"
        if self.where:
            loc += f" {self.where}"
        return f"{loc}: {reason_text(self.reason, self.detail, lang)}"


def reason_text(key: str, detail: str, lang: Lang = "fr") -> str:
    return t(key, lang, detail=detail)


@dataclass
class IntelBatch:
    """What one file (or feed folder) gave: its indicators and its rejects."""

    path: Path
    format: str
    source: str  # who said it: the feed, the event, the alert's sender and date
    indicators: list[Indicator] = field(default_factory=list)
    rejects: list[IntelReject] = field(default_factory=list)

    def reject(self, reason: str, detail: str = "", **where: object) -> None:
        line = where.get("line")
        offset = where.get("offset")
        path = where.get("where")
        self.rejects.append(
            IntelReject(
                str(self.path),
                reason,
                detail[:200],
                line if isinstance(line, int) else None,
                offset if isinstance(offset, int) else None,
                str(path) if path else "",
            )
        )

    def add(self, type_: str, raw: str, *, context: str = "", **fields: object) -> bool:
        """Normalise and keep one value; a bad one becomes a reject at `where`."""
        line, offset, path = (
            fields.pop("line", None),
            fields.pop("offset", None),
            fields.pop("where", None),
        )
        try:
            kind, value, port = normalise(type_, raw)
            if fields.get("port") is not None:
                port = int(str(fields.pop("port")))
            fields.pop("port", None)
            self.indicators.append(
                Indicator(
                    value=value,
                    type=kind,
                    source=str(fields.pop("source", self.source)),
                    port=port,
                    context=context[:500],
                    **fields,  # type: ignore[arg-type]
                )
            )
        except IndicatorError as exc:
            self.reject(exc.key, exc.detail or raw, line=line, offset=offset, where=path)
            return False
        except ValueError as exc:
            self.reject("intel.bad_value", f"{raw}: {exc}", line=line, offset=offset, where=path)
            return False
        return True

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for i in self.indicators:
            out[i.type] = out.get(i.type, 0) + 1
        return dict(sorted(out.items()))


class IntelFormat(ABC):
    """One indicator format: sniff a file's head, parse the whole file into a batch."""

    NAME: ClassVar[str]
    VERSION: ClassVar[str]
    DESCRIPTION: ClassVar[str] = ""

    @abstractmethod
    def sniff(self, head: bytes, path: Path) -> bool:
        """Cheap yes/no from the first bytes; never raises."""

    @abstractmethod
    def parse(self, path: Path) -> list[IntelBatch]:
        """The file's indicators and rejects (a file may hold several events)."""


# --- normalisation ------------------------------------------------------------------------


def refang(text: str) -> str:
    """Undo the usual defanging of one value (hxxp, [.], (dot), [at], [:])."""
    value = text.strip().strip("<>\"'`")
    low = value.lower()
    if not any(m in low for m in _FANG_MARKS):
        return value
    for pattern, repl in _FANG:
        value = pattern.sub(repl, value)
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1]
    return value


def _domain(raw: str) -> str:
    value = raw.strip().rstrip(".").lower()
    if value.startswith("*."):
        value = value[2:]
    try:
        value = value.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise IndicatorError("intel.bad_domain", raw) from exc
    labels = value.split(".")
    if len(labels) < 2 or not all(_LABEL.match(lb) for lb in labels) or labels[-1].isdigit():
        raise IndicatorError("intel.bad_domain", raw)
    return value


def _url(raw: str) -> str:
    value = raw.strip()
    if "://" not in value:
        value = "http://" + value
    scheme, _, rest = value.partition("://")
    host, sep, path = rest.partition("/")
    host = host.rsplit("@", 1)[-1]
    name, _, port = host.partition(":") if not host.startswith("[") else (host, "", "")
    if not name:
        raise IndicatorError("intel.bad_url", raw)
    try:
        name = str(ipaddress.ip_address(name.strip("[]")))
    except ValueError:
        name = _domain(name)
    return f"{scheme.lower()}://{name}{':' + port if port else ''}{sep}{path}"


def _hash(kind: str, raw: str) -> str:
    value = raw.strip().lower()
    if len(value) != _HASH_LEN[kind] or not _HEX.match(value):
        raise IndicatorError("intel.bad_hash", f"{kind} {raw}")
    return value


def normalise(type_: str, raw: str) -> tuple[str, str, int | None]:
    """(type, canonical value, port) of a raw value of a given or guessed (`""`) type."""
    value = refang(raw)
    if not value:
        raise IndicatorError("intel.empty", "")
    kind = type_ or guess_type(value)
    port: int | None = None
    if kind in ("ip", "cidr"):
        host = value
        m = _IPV4_PORT.match(value)
        if m:
            host, port = m.group(1), int(m.group(2))
        try:
            if "/" in host:
                net = ipaddress.ip_network(host, strict=False)
                if net.num_addresses == 1:
                    return "ip", str(net.network_address), port
                return "cidr", str(net), port
            return "ip", str(ipaddress.ip_address(host)), port
        except ValueError as exc:
            raise IndicatorError("intel.bad_ip", raw) from exc
    if kind == "domain":
        return kind, _domain(value), None
    if kind == "url":
        return kind, _url(value), None
    if kind == "uri":
        if not value.startswith("/"):
            raise IndicatorError("intel.bad_uri", raw)
        return kind, value, None
    if kind == "email":
        local, at, dom = value.rpartition("@")
        if not at or not local or any(c.isspace() for c in local):
            raise IndicatorError("intel.bad_email", raw)
        return kind, f"{local.lower()}@{_domain(dom)}", None
    if kind in _HASH_LEN:
        return kind, _hash(kind, value), None
    if kind in ("ja3", "ja3s"):
        return kind, _hash("md5", value), None
    if kind == "filename":
        name = re.split(r"[\\/]", raw.strip())[-1].strip()
        if not name or len(name) > 255:
            raise IndicatorError("intel.bad_filename", raw)
        return kind, name.lower(), None
    if kind in ("user_agent", "command_line"):
        text = raw.strip()
        if len(text) < 4:
            raise IndicatorError("intel.too_short", raw)
        return kind, text, None
    raise IndicatorError("intel.unknown_type", kind or raw)


def guess_type(value: str) -> str:
    """The type of a bare value (a Maltrail trail, a CSV row without a type)."""
    v = value.strip()
    low = v.lower()
    if len(low) in (32, 40, 64) and _HEXLIKE.match(low):
        return {32: "md5", 40: "sha1", 64: "sha256"}[len(low)]
    if _ADDRESS_LIKE.match(v) or (":" in v and _IPV6_LIKE.match(low)):
        return "cidr" if "/" in v else "ip"
    if "://" in v:
        return "url"
    if v.startswith("/"):
        return "uri"
    if "@" in v and " " not in v:
        return "email"
    if "/" in v:
        return "url"
    if _DOMAIN_LIKE.match(low.rstrip(".")):
        return "domain"
    return ""


def parse_time(value: object) -> datetime | None:
    """A timestamp from epoch seconds (int or digits) or ISO 8601, in UTC; None otherwise."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, (int, float)) or (isinstance(value, str) and value.isdigit()):
            return datetime.fromtimestamp(int(value), UTC)
        text = str(value).strip().replace("Z", "+00:00")
        parsed = datetime.fromisoformat(text)
    except (ValueError, OverflowError, OSError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def tlp_of(value: str | None) -> str | None:
    """`tlp:amber`, `TLP:AMBER+STRICT`, `white` -> the TLP 2.0 name, else None."""
    if not value:
        return None
    name = value.strip().lower().removeprefix("tlp:").removeprefix("tlp ").strip()
    name = {"white": "clear"}.get(name, name)
    return name if name in TLP_RANK else None
