"""STIX 2.0 and 2.1 bundles: indicators (patterns parsed with `stix2-patterns`) and
observed-data (the cyber-observables it carries).

A pattern is parsed into its tree and put in disjunctive form: each `OR` branch is its own
indicator. Within one branch (`AND`, `FOLLOWEDBY`), the comparisons on one object type
make one indicator: its most specific term (a hash before a name, an address before a
port) is the value hunted and the other terms are kept as context (`file:hashes.'SHA-256'
= '…' AND file:name = 'form.xlsm'` is the file with that hash, named form.xlsm); a port on
`network-traffic` goes with its address. Terms on different object types give one indicator
each, each naming the others in its context. Operators other than `=` and `IN` (LIKE,
MATCHES, >, NOT…) and paths Rempart cannot hunt are rejects naming them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from rempart.sources.intel.base import IntelBatch, IntelFormat, parse_time, tlp_of

# TLP marking definitions of STIX 2.1 (TLP 1.0) and of the TLP 2.0 extension, by id
TLP_MARKINGS: dict[str, str] = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "clear",
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "green",
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "amber",
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "red",
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": "clear",
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": "green",
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": "amber",
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": "amber+strict",
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": "red",
}

# object path (type:first.rest, hash names upper-case) -> Rempart type
PATHS: dict[str, str] = {
    "ipv4-addr:value": "ip",
    "ipv6-addr:value": "ip",
    "domain-name:value": "domain",
    "url:value": "url",
    "email-addr:value": "email",
    "email-message:from_ref.value": "email",
    "email-message:sender_ref.value": "email",
    "file:hashes.MD5": "md5",
    "file:hashes.SHA-1": "sha1",
    "file:hashes.SHA1": "sha1",
    "file:hashes.SHA-256": "sha256",
    "file:hashes.SHA256": "sha256",
    "file:name": "filename",
    "process:command_line": "command_line",
    "process:name": "filename",
    "network-traffic:dst_ref.value": "ip",
    "network-traffic:src_ref.value": "ip",
    "network-traffic:extensions.http-request-ext.request_header.User-Agent": "user_agent",
    "x-ja3:value": "ja3",
    "x-ja3s:value": "ja3s",
}
# how specific a term is: the lowest is the value hunted when terms are ANDed
_RANK = {
    "sha256": 0, "sha1": 1, "md5": 2, "url": 3, "ip": 4, "domain": 5, "email": 6, "ja3": 7,
    "ja3s": 7, "command_line": 8, "user_agent": 9, "filename": 10, "cidr": 4,
}  # fmt: skip


@dataclass(frozen=True)
class Term:
    """One comparison of a pattern: `object:path op value`."""

    object_type: str
    path: str  # "hashes.SHA-256", "value", "dst_port"
    op: str  # "=", "IN", "LIKE", "MATCHES", ">"... with "NOT " in front when negated
    values: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.object_type}:{self.path}"

    def __str__(self) -> str:
        return f"{self.key} {self.op} {', '.join(self.values)}"


def _literal(text: str) -> str:
    if len(text) >= 2 and text[0] == "'" and text[-1] == "'":
        return text[1:-1].replace("\\'", "'").replace("\\\\", "\\")
    return text


def _term(ctx: Any) -> Term:
    path_ctx = ctx.objectPath()
    object_type = path_ctx.objectType().getText()
    parts = [_literal(path_ctx.firstPathComponent().getText())]
    comp = path_ctx.objectPathComponent()
    if comp is not None:
        for piece in comp.getText().split("."):
            if piece:
                parts.append(_literal(piece))
    path = ".".join(parts)
    name = type(ctx).__name__
    negated = "NOT " if getattr(ctx, "NOT", lambda: None)() else ""
    if name == "PropTestEqualContext":
        op = ctx.EQ() or ctx.NEQ()
        return Term(
            object_type, path, negated + op.getText(), (_literal(ctx.primitiveLiteral().getText()),)
        )
    if name == "PropTestSetContext":
        items = ctx.setLiteral().primitiveLiteral() or []
        return Term(object_type, path, negated + "IN", tuple(_literal(i.getText()) for i in items))
    label = {
        "PropTestLikeContext": "LIKE",
        "PropTestRegexContext": "MATCHES",
        "PropTestOrderContext": "<>",
        "PropTestIsSubsetContext": "ISSUBSET",
        "PropTestIsSupersetContext": "ISSUPERSET",
        "PropTestExistsContext": "EXISTS",
    }.get(name, name)
    return Term(object_type, path, negated + label, (ctx.getText()[len(path_ctx.getText()) :],))


def _dnf(ctx: Any) -> list[list[Term]]:
    """The pattern below `ctx` as a list of conjunctions (OR of ANDs) of its terms."""
    name = type(ctx).__name__
    if name.startswith("PropTest") and name != "PropTestParenContext":
        return [[_term(ctx)]]
    children = [c for c in (ctx.getChildren() or []) if hasattr(c, "getRuleIndex")]
    texts = {c.getText().upper() for c in ctx.getChildren() if not hasattr(c, "getRuleIndex")}
    parts = [_dnf(c) for c in children]
    parts = [p for p in parts if p]
    if not parts:
        return []
    if "OR" in texts:
        return [conj for p in parts for conj in p]
    out = parts[0]
    for p in parts[1:]:  # AND, FOLLOWEDBY, or a single child
        out = [a + b for a in out for b in p]
    return out


def parse_pattern(pattern: str, version: str = "2.1") -> list[list[Term]]:
    """A STIX pattern as OR-ed conjunctions of terms; raises ValueError when it is invalid."""
    from stix2patterns.exceptions import ParseException

    if version.startswith("2.0"):
        from stix2patterns.v20.pattern import Pattern
    else:
        from stix2patterns.v21.pattern import Pattern
    try:
        tree = Pattern(pattern)
    except ParseException as exc:
        if not version.startswith("2.0"):
            return parse_pattern(pattern, "2.0")
        raise ValueError(str(exc)) from exc
    return _dnf(tree._Pattern__parse_tree)


def _uri_like(term: Term) -> str | None:
    """`url:value LIKE '%/gate.php%'`: the path alone (a `uri` indicator), else None."""
    if term.key != "url:value" or term.op != "LIKE" or not term.values:
        return None
    text = term.values[0].strip()
    if text.upper().startswith("LIKE"):
        text = text[4:].strip()
    value = _literal(text)
    inner = value[1:-1]
    if len(value) > 3 and value[0] == value[-1] == "%" and inner.startswith("/"):
        return inner if "%" not in inner else None
    return None


def add_conjunction(batch: IntelBatch, terms: list[Term], fields: dict[str, Any]) -> None:
    """One AND branch of a pattern: one indicator per object type (see the module doc)."""
    by_object: dict[str, list[Term]] = {}
    for term in terms:
        by_object.setdefault(term.object_type, []).append(term)
    where = fields.pop("where", "")
    base_context = str(fields.pop("context", ""))
    for object_type, group in by_object.items():
        usable = [t for t in group if PATHS.get(t.key) and t.op in ("=", "IN") and t.values]
        port = next(
            (int(t.values[0]) for t in group if t.path == "dst_port" and t.op == "=" and
             t.values[0].isdigit()), None,
        )  # fmt: skip
        if not usable:
            paths = [u for u in map(_uri_like, group) if u]
            if paths and len(paths) == len(group):  # a path in any URL (Rempart's export)
                for u in paths:
                    batch.add("uri", u, context=base_context, where=f"{where} ({object_type})",
                              **fields)  # fmt: skip
                continue
            batch.reject("intel.stix_term", " AND ".join(map(str, group)), where=where)
            continue
        primary = min(usable, key=lambda t: _RANK.get(PATHS[t.key], 99))
        rest = [t for t in terms if t is not primary and t.path != "dst_port"]
        context = " ".join(x for x in (base_context, " AND ".join(map(str, rest))) if x)
        for value in primary.values:
            port_of = port if PATHS[primary.key] == "ip" else None
            batch.add(
                PATHS[primary.key],
                value,
                context=context,
                where=f"{where} ({object_type})",
                port=port_of,
                **fields,
            )


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _tlp(obj: dict[str, Any], markings: dict[str, str]) -> str | None:
    for ref in _strings(obj.get("object_marking_refs")):
        if ref in markings:
            return markings[ref]
    return None


def _observables(
    obj: dict[str, Any], by_id: dict[str, dict[str, Any]]
) -> list[tuple[str, dict[str, Any]]]:
    if isinstance(obj.get("objects"), dict):  # STIX 2.0: embedded, keyed "0", "1"...
        return [(f"objects.{k}", v) for k, v in obj["objects"].items() if isinstance(v, dict)]
    out = []
    for ref in _strings(obj.get("object_refs")):
        if ref in by_id:
            out.append((str(ref), by_id[ref]))
    return out


def _add_observable(batch: IntelBatch, sco: dict[str, Any], fields: dict[str, Any]) -> None:
    kind = sco.get("type")
    if kind in ("ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr"):
        batch.add(PATHS[f"{kind}:value"], str(sco.get("value", "")), **fields)
    elif kind == "file":
        hashes = sco.get("hashes")
        for name, value in (hashes if isinstance(hashes, dict) else {}).items():
            key = f"file:hashes.{str(name).upper()}"
            if key in PATHS:
                batch.add(PATHS[key], str(value), **fields)
        if sco.get("name"):
            batch.add("filename", str(sco["name"]), **fields)
    else:
        batch.reject("intel.stix_observable", str(kind), where=str(fields.get("where", "")))


class StixFormat(IntelFormat):
    NAME: ClassVar[str] = "stix"
    VERSION: ClassVar[str] = "1"
    DESCRIPTION: ClassVar[str] = "STIX 2.0 / 2.1 bundle (indicators and observed-data)"

    def sniff(self, head: bytes, path: Path) -> bool:
        text = head.lstrip()[:4096]
        return text[:1] == b"{" and (b'"bundle--' in text or b'"type": "bundle"' in text)

    def parse(self, path: Path) -> list[IntelBatch]:
        batch = IntelBatch(path, self.NAME, f"STIX {path.name}")
        try:
            data = json.loads(path.read_bytes())
        except (ValueError, UnicodeDecodeError) as exc:
            batch.reject("intel.bad_json", str(exc), offset=getattr(exc, "pos", None))
            return [batch]
        objects = data.get("objects", []) if isinstance(data, dict) else []
        if not isinstance(objects, list):
            objects = []
        by_id = {str(o.get("id")): o for o in objects if isinstance(o, dict)}
        markings = dict(TLP_MARKINGS)
        for o in by_id.values():
            if o.get("type") == "marking-definition":
                definition = o.get("definition")
                tlp = (
                    tlp_of(str(definition.get("tlp", ""))) if isinstance(definition, dict) else None
                )
                tlp = tlp or tlp_of(str(o.get("name") or ""))
                if tlp:
                    markings[str(o.get("id"))] = tlp
        bundle_version = str(data.get("spec_version", "2.1")) if isinstance(data, dict) else "2.1"
        for i, obj in enumerate(objects):
            if not isinstance(obj, dict) or obj.get("type") not in ("indicator", "observed-data"):
                continue
            creator = by_id.get(str(obj.get("created_by_ref")), {}).get("name")
            creator = str(creator) if creator else None
            source = f"STIX {creator or path.name}"
            conf = obj.get("confidence")
            fields: dict[str, Any] = {
                "source": source,
                "tlp": _tlp(obj, markings),
                "confidence": int(conf) if isinstance(conf, int) and 0 <= conf <= 100 else None,
                "first_seen": parse_time(obj.get("valid_from") or obj.get("first_observed")),
                "last_seen": parse_time(obj.get("last_observed") or obj.get("modified")),
                "context": str(obj.get("name") or obj.get("description") or "")[:200],
                "where": f"objects[{i}] {obj.get('id', '')}",
            }
            if obj["type"] == "observed-data":
                for ref, sco in _observables(obj, by_id):
                    _add_observable(batch, sco, {**fields, "where": f"{fields['where']} {ref}"})
                continue
            fields["expiry"] = parse_time(obj.get("valid_until"))
            if obj.get("pattern_type", "stix") != "stix":
                batch.reject(
                    "intel.pattern_type", str(obj.get("pattern_type")), where=fields["where"]
                )
                continue
            version = str(obj.get("spec_version", bundle_version))
            try:
                branches = parse_pattern(str(obj.get("pattern", "")), version)
            except ValueError as exc:
                batch.reject("intel.bad_pattern", str(exc), where=fields["where"])
                continue
            for branch in branches:
                add_conjunction(batch, branch, dict(fields))
        return [batch]
