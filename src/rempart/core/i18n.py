"""French first, English too: message catalogues kept as data, rendered when shown.

The texts live in `core/locale/*.yaml` (one file per layer), each key with `fr` and `en`,
checked on load: both languages present and the same `{placeholders}` in both, so a
translation can neither drop a value nor ask for one the code does not give. Modules that
still register their strings at import call `add(key, fr, en)` (none in Rempart itself).

Findings, actions and reasons are stored as a key and its values, never as rendered text,
and rendered per language by `t`. A value may itself be a message (`{"key": ..., "params":
...}`) or a list of them (joined with " ; " in French, "; " in English, or with
`joined(items, sep)`), for reasons
assembled from parts, or a text that is data but has its own translation (`texts(fr, en)`:
the title of one of Rempart's Sigma rules).

A key missing in a language falls back to French, then to the key itself, so nothing
crashes on a missing translation (a test keeps the catalogues complete).
"""

from __future__ import annotations

import json
import os
import re
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

Lang = Literal["fr", "en"]
LANGS: tuple[Lang, ...] = ("fr", "en")

CATALOG: dict[str, dict[Lang, str]] = {}
SOURCES: dict[str, str] = {}  # key -> where it was defined (file name or "add")
JOIN = " ; "  # how a list of messages reads inside a French sentence
# Typography per language: French puts a (non-breaking) space before : ; ? ! and quotes
# with « », English neither (`label`, `quoted`; a test keeps English catalogues clean).
JOINS: dict[Lang, str] = {"fr": " ; ", "en": "; "}
COLONS: dict[Lang, str] = {"fr": " : ", "en": ": "}
QUOTES: dict[Lang, tuple[str, str]] = {"fr": ("« ", " »"), "en": ("“", "”")}
# the catalogues, read at start-up (from a JSON cache when fresh; YAML otherwise)
LOCALE_DIR = Path(__file__).with_name("locale")


class CatalogError(ValueError):
    """A catalogue entry that cannot be used: says which file and key."""


def placeholders(text: str) -> frozenset[str]:
    """The `{names}` a text asks for (format specs and conversions ignored)."""
    import string  # (here: its Template compiles a pattern at import, for nothing at start)

    return frozenset(
        name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(text) if name
    )


def check_entry(key: str, entry: object, where: str) -> dict[Lang, str]:
    """One validated entry: both languages, non-empty, the same placeholders."""
    if not isinstance(entry, dict) or set(entry) != set(LANGS):
        raise CatalogError(f"{where}: {key!r} must have exactly the keys fr and en")
    texts: dict[Lang, str] = {}
    for lang in LANGS:
        text = entry[lang]
        if not isinstance(text, str) or not text.strip():
            raise CatalogError(f"{where}: {key!r} has no {lang} text")
        texts[lang] = text
    if placeholders(texts["fr"]) != placeholders(texts["en"]):
        raise CatalogError(
            f"{where}: {key!r} placeholders differ: fr {sorted(placeholders(texts['fr']))}, "
            f"en {sorted(placeholders(texts['en']))}"
        )
    return texts


def _register(key: str, entry: dict[Lang, str], where: str) -> None:
    if key in CATALOG and CATALOG[key] != entry:
        raise CatalogError(
            f"message {key!r} registered twice with different texts ({SOURCES[key]}, {where})"
        )
    CATALOG[key] = entry
    SOURCES.setdefault(key, where)


def load_catalog_text(text: str, where: str) -> dict[str, dict[Lang, str]]:
    """Parse and check one catalogue file's text (a mapping key -> {fr, en})."""
    import yaml

    # libyaml's loader when PyYAML was built with it: ten times faster
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(text, Loader=loader) or {}  # noqa: S506 (a SafeLoader)
    if not isinstance(data, dict):
        raise CatalogError(f"{where}: a catalogue is a mapping of keys")
    return {str(k): check_entry(str(k), v, where) for k, v in data.items()}


def _cache_file(files: list[Path]) -> Path | None:
    """Where the checked catalogues are kept as JSON, named by the files' names, sizes and
    times: every command loads them at start-up, and JSON reads in a tenth of YAML's time
    (without importing PyYAML). None when no cache folder is known.

    The name holds two CRC-32 of that list (zlib is loaded at start anyway; hashlib would
    load OpenSSL, a tenth of `--help`'s time): the name only tells versions apart."""
    root = os.environ.get("XDG_CACHE_HOME") or (
        str(Path.home() / ".cache") if os.environ.get("HOME") else ""
    )
    if not root:
        return None
    listing = "".join(
        f"{f.name}\0{st.st_size}\0{st.st_mtime_ns}\n" for f in files for st in (f.stat(),)
    ).encode()
    digest = f"{zlib.crc32(listing):08x}{zlib.crc32(listing[::-1]):08x}"
    where = f"{zlib.crc32(str(LOCALE_DIR).encode()):08x}"  # one per installed copy
    return Path(root) / "rempart" / f"i18n-{where}-{digest}.json"


def _load_all() -> None:
    # (listed by hand: `Path.glob` compiles a pattern, a cost at every start)
    files = sorted(LOCALE_DIR / n for n in os.listdir(LOCALE_DIR) if n.endswith(".yaml"))
    try:
        cache = _cache_file(files)
    except OSError:
        cache = None
    if cache is not None:
        try:
            cached = json.loads(cache.read_text("utf-8"))
        except (OSError, ValueError):
            cached = None
        staged: list[tuple[str, dict[str, dict[Lang, str]]]] | None = None
        if isinstance(cached, list) and len(cached) == len(files):
            try:  # a damaged cache is read again from the YAML, never half-used
                staged = [
                    (str(w), {str(k): {"fr": str(e["fr"]), "en": str(e["en"])}
                              for k, e in d.items()})
                    for w, d in cached
                ]  # fmt: skip
            except (TypeError, ValueError, KeyError, AttributeError):
                staged = None
        if staged is not None:
            for where, entries in staged:
                for key, entry in entries.items():
                    _register(key, entry, where)
            return
    loaded = [(item.name, load_catalog_text(item.read_text("utf-8"), item.name)) for item in files]
    for where, entries in loaded:
        for key, entry in entries.items():
            _register(key, entry, where)
    if cache is not None:
        try:  # written whole then renamed: a reader never sees half a file
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(loaded, ensure_ascii=False), "utf-8")
            os.replace(tmp, cache)
            for old in cache.parent.glob(cache.name.rsplit("-", 1)[0] + "-*.json"):
                if old != cache:
                    old.unlink(missing_ok=True)
        except OSError:
            pass  # no cache: the next start parses the YAML again


def add(key: str, fr: str, en: str) -> None:
    """Register one message from code (the CLI's strings, until they move to data).

    A key registered twice with other wording is a bug (one module would silently change
    another's text), so it raises.
    """
    try:
        _register(key, check_entry(key, {"fr": fr, "en": en}, "add"), "add")
    except CatalogError as exc:
        raise ValueError(str(exc)) from exc


def render(value: object, lang: Lang) -> object:
    """A parameter ready for `str.format`: nested messages rendered, lists joined."""
    if isinstance(value, Mapping) and "key" in value:
        params = value.get("params") or {}
        return t(str(value["key"]), lang, **dict(params))
    if isinstance(value, Mapping) and "items" in value:
        sep = value.get("join") or JOINS[lang]
        return str(sep).join(str(render(v, lang)) for v in value["items"])
    if isinstance(value, Mapping) and "texts" in value:
        given = value["texts"]
        return given.get(lang) or given.get("fr") or ""
    if isinstance(value, list | tuple):
        return JOINS[lang].join(str(render(v, lang)) for v in value)
    return value


def msg(key: str, **params: object) -> dict[str, Any]:
    """A message as a value (for a parameter of another message): rendered later by `t`."""
    return {"key": key, "params": params}


def joined(items: list[Any], join: str | None = None) -> dict[str, Any]:
    """A list of values or messages rendered and joined with `join` (a value), by default
    the language's own (" ; " in French, "; " in English)."""
    return {"items": items, "join": join}


def texts(fr: str, en: str = "") -> dict[str, Any]:
    """A value given in both languages (data with its own translation, not a catalogue
    key): rendered as the `lang` one, the French when there is no English."""
    return {"texts": {"fr": fr, "en": en or fr}}


def label(text: str, lang: Lang) -> str:
    """`text` followed by a colon as the language writes it ("Zone : " / "Zone: ")."""
    return text + COLONS[lang]


def quoted(text: str, lang: Lang) -> str:
    """`text` in the language's quotation marks (« » in French, “ ” in English)."""
    left, right = QUOTES[lang]
    return f"{left}{text}{right}"


def t(key: str, lang: Lang = "fr", **values: object) -> str:
    entry = CATALOG.get(key)
    text = key if entry is None else entry.get(lang) or entry["fr"]
    if not values:
        return text
    return text.format(**{k: render(v, lang) for k, v in values.items()})


def params_of(raw: object) -> dict[str, Any]:
    """Stored parameters (JSON text in the `finding` table, or already a mapping)."""
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):
        value = json.loads(raw)
        return dict(value) if isinstance(value, dict) else {}
    return dict(raw) if isinstance(raw, Mapping) else {}


def render_finding(record: Mapping[str, Any], lang: Lang) -> tuple[str, str]:
    """(title, reason) of a stored finding in `lang`.

    A finding stored with keys is rendered from them and its parameters; one stored by an
    older version (no keys) shows its stored text.
    """
    params = params_of(record.get("params"))
    title_key = record.get("title_key")
    reason_key = record.get("reason_key")
    title = t(title_key, lang, **params) if title_key else str(record.get("title") or "")
    reason = t(reason_key, lang, **params) if reason_key else str(record.get("reason") or "")
    return title, reason


REASON_PREFIXES = ("reject.", "model.", "chain.")
_REASON_EXACT: dict[str, str] = {}  # English wording -> key, for reasons without values
_REASON_PATTERNS: list[tuple[re.Pattern[str], str]] = []  # for reasons with values
_REASON_INDEXED: list[bool] = []  # not empty once indexed


def _index_reasons() -> None:
    """The English wording of every `reject.*` and `model.*` key, so a stored reason (or a
    hospital model problem) finds its key. Made when a reason is first rendered: its
    patterns cost a fifth of the catalogues' start-up, and most commands render none.
    Built aside, then published whole, so a thread rendering meanwhile never reads half."""
    exact: dict[str, str] = {}
    patterns: list[tuple[re.Pattern[str], str]] = []
    for key, entry in list(CATALOG.items()):
        if not key.startswith(REASON_PREFIXES):
            continue
        text = entry["en"]
        if not placeholders(text):
            exact[text.format()] = key  # '{{' in a catalogue reads as '{'
            continue
        import string

        parts: list[str] = []
        for literal, name, _, _ in string.Formatter().parse(text):
            parts.append(re.escape(literal))
            if name:
                parts.append(f"(?P<{name}>.+)")
        patterns.append((re.compile("".join(parts), re.DOTALL), key))
    # the longest wording first, so "bad value in column x (cast)" is not read as "x (cast)"
    patterns.sort(key=lambda p: -len(p[0].pattern))
    _REASON_EXACT.update(exact)
    _REASON_PATTERNS[:] = patterns
    _REASON_INDEXED.append(True)


def reject_reason(key: str, **params: object) -> str:
    """A reject reason as a source stores it: its English wording (stable, readable in the
    store and in older workspaces), which `render_reason` turns back into the key."""
    return t(key, "en", **params)


def render_reason(stored: str, lang: Lang) -> str:
    """A stored reject reason in `lang`: its key found from its English wording (with the
    values it carries), or the stored text itself when no key matches (a reason from a
    plugin, an exception's own text)."""
    if not _REASON_INDEXED:
        _index_reasons()
    key = _REASON_EXACT.get(stored)
    if key is not None:
        return t(key, lang)
    if stored in CATALOG:  # a reason stored as a bare key
        return t(stored, lang)
    for pattern, key in _REASON_PATTERNS:
        m = pattern.fullmatch(stored)
        if m is not None:
            return t(key, lang, **m.groupdict())
    return stored


_load_all()
