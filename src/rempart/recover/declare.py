"""Declarations: form definitions as YAML data (validated on load), prefilled from the
incident, the hospital model and the board, edited by a JSON of answers, versioned (initial,
complementary, final), rendered as JSON, HTML (printable) and PDF; and their clocks.

Each form's `deadlines` give, per version, the starting event (`discovery` of the incident,
`awareness` of a personal-data breach, the `previous` report, the incident's `resolution`)
and a delay in hours (0: without delay; none: no fixed deadline). Forms live in
`rempart/recover/forms/<kind>.yaml`: a field list to correct is a data change, not a code
change. NIS 2's clocks run from the discovery (awareness of a significant incident), not from
the awareness of a personal-data breach, which is the CNIL's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from html import escape
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from rempart.core.errors import ConfigError
from rempart.core.i18n import Lang

__all__ = [
    "KINDS",
    "STATUSES",
    "VERSIONS",
    "VERSION_LABELS",
    "Deadline",
    "Declaration",
    "Form",
    "deadlines",
    "fill",
    "load_form",
    "render_html",
    "to_json",
]

KINDS = ("cert-sante", "cnil", "nis2", "anssi", "plainte")
VERSIONS = ("initial", "complementaire", "final")
VERSION_LABELS = {
    "initial": {"fr": "initiale", "en": "initial"},
    "complementaire": {"fr": "complémentaire", "en": "complementary"},
    "final": {"fr": "finale", "en": "final"},
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    fr: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: Lang) -> str:
        return self.fr if lang == "fr" else self.en


class FieldDef(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: Text
    type: Literal["text", "datetime", "list", "bool", "number"] = "text"
    prefill: str | None = None
    required: bool = False


class Section(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: Text
    fields: tuple[FieldDef, ...] = Field(min_length=1)


class DeadlineDef(_Strict):
    """When a version is due: `hours` after its starting event (0: without delay; none: no
    fixed deadline, as new facts come). Events: `discovery` of the incident, `awareness` of
    a personal-data breach, the `previous` version's issue, the incident's `resolution`."""

    from_: Literal["discovery", "awareness", "previous", "resolution"] = Field(alias="from")
    hours: int | None = Field(ge=0)
    label: Text


class Form(_Strict):
    kind: str
    title: Text
    recipient: Text
    basis: str
    deadlines: dict[Literal["initial", "complementaire", "final"], DeadlineDef]
    sections: tuple[Section, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Form:
        ids = [f.id for s in self.sections for f in s.fields]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"duplicate field ids: {', '.join(dup)}")
        if set(self.deadlines) != set(VERSIONS):
            raise ValueError("deadlines needs initial, complementaire and final")
        return self

    def field_ids(self) -> set[str]:
        return {f.id for s in self.sections for f in s.fields}


@cache
def load_form(kind: str) -> Form:
    """The form of one kind, validated (a bad form file is a `ConfigError` naming it)."""
    if kind not in KINDS:
        raise ConfigError(f"unknown declaration kind {kind!r} (one of {', '.join(KINDS)})")
    name = f"forms/{kind}.yaml"
    text = resources.files("rempart.recover").joinpath(name).read_text("utf-8")
    try:
        form = Form.model_validate(yaml.safe_load(text))
    except ValidationError as exc:
        raise ConfigError(f"{name}: {exc}") from exc
    if form.kind != kind:
        raise ConfigError(f"{name}: kind {form.kind!r} does not match the file name")
    return form


@dataclass(frozen=True)
class Declaration:
    kind: str
    version: str
    lang: Lang
    incident: str
    generated: datetime
    form: Form
    values: dict[str, Any]  # field id -> value (None: to fill in)
    deadline: Deadline
    missing: tuple[str, ...]  # required fields without a value


STATUSES = ("overdue", "due", "waiting", "open", "done")  # most urgent first


@dataclass(frozen=True)
class Deadline:
    """One version's clock: its starting event and when it happened (None: not yet), when
    it is due (None: not computable yet, or no fixed deadline: `as_needed`)."""

    kind: str
    version: str
    start_event: str
    start: datetime | None
    due: datetime | None
    label: str
    done_at: datetime | None = None
    as_needed: bool = False

    def status(self, now: datetime) -> str:
        """done, overdue, due, waiting (its starting event has not happened) or open (no
        fixed deadline: as new facts come)."""
        if self.done_at is not None:
            return "done"
        if self.as_needed and self.start is not None:
            return "open"
        if self.due is None:
            return "waiting"
        return "overdue" if now > self.due else "due"


def deadline(
    form: Form,
    version: str,
    events: dict[str, datetime | None],
    lang: Lang,
    done_at: datetime | None = None,
) -> Deadline:
    d = form.deadlines[version]  # type: ignore[index]
    start = events.get(d.from_)
    due = start + timedelta(hours=d.hours) if start is not None and d.hours is not None else None
    return Deadline(
        form.kind, version, d.from_, start, due, d.label.get(lang), done_at, d.hours is None
    )


def deadlines(
    events: dict[str, datetime | None],
    issued: dict[tuple[str, str], datetime],
    lang: Lang = "fr",
) -> list[Deadline]:
    """What each kind still owes, each version from its own event (`previous` being the
    issue time of the version before): the first version not issued yet, and any later one
    whose clock already runs from another event (NIS 2's 72 h notification runs from the
    discovery even before the 24 h early warning is sent). A kind fully issued shows its
    final version, done."""
    out = []
    for kind in KINDS:
        form = load_form(kind)
        pending = False
        for i, version in enumerate(VERSIONS):
            prev = issued.get((kind, VERSIONS[i - 1])) if i else None
            d = deadline(form, version, {**events, "previous": prev}, lang)
            if issued.get((kind, version)) is not None:
                continue
            if not pending or (d.start_event != "previous" and d.due is not None):
                out.append(d)
            pending = True
        if not pending:
            prev = issued.get((kind, VERSIONS[-2]))
            final = {**events, "previous": prev}
            out.append(deadline(form, "final", final, lang, issued[(kind, "final")]))
    return out


def fill(
    form: Form,
    context: dict[str, Any],
    answers: dict[str, Any] | None,
    *,
    version: str,
    lang: Lang,
    incident: str,
    generated: datetime,
    events: dict[str, datetime | None],
) -> Declaration:
    """Prefill each field from `context` (its `prefill` name), then apply `answers` (unknown
    field ids are refused: a typo must not vanish)."""
    if version not in VERSIONS:
        raise ConfigError(f"unknown version {version!r} (one of {', '.join(VERSIONS)})")
    answers = dict(answers or {})
    unknown = sorted(set(answers) - form.field_ids())
    if unknown:
        raise ConfigError(f"answers for unknown fields of {form.kind}: {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for section in form.sections:
        for f in section.fields:
            value = context.get(f.prefill) if f.prefill else None
            if f.id in answers:
                value = answers[f.id]
            values[f.id] = _normal(value)
    missing = tuple(
        f.id
        for s in form.sections
        for f in s.fields
        if f.required and values[f.id] in (None, "", [])
    )
    return Declaration(
        form.kind, version, lang, incident, generated, form, values,
        deadline(form, version, events, lang), missing,
    )  # fmt: skip


def _normal(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, tuple):
        return [_normal(v) for v in value]
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return value


def _iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def to_dict(d: Declaration) -> dict[str, Any]:
    lang = d.lang
    return {
        "kind": d.kind,
        "version": d.version,
        "lang": lang,
        "incident": d.incident,
        "generated": _iso(d.generated),
        "title": d.form.title.get(lang),
        "recipient": d.form.recipient.get(lang),
        "basis": d.form.basis,
        "deadline": {
            "from": d.deadline.start_event,
            "start": _iso(d.deadline.start),
            "due": _iso(d.deadline.due),
            "rule": d.deadline.label,
        },
        "missing": list(d.missing),
        "sections": [
            {
                "id": s.id,
                "title": s.title.get(lang),
                "fields": [
                    {
                        "id": f.id,
                        "label": f.label.get(lang),
                        "type": f.type,
                        "value": d.values[f.id],
                    }
                    for f in s.fields
                ],
            }
            for s in d.form.sections
        ],
    }


def to_json(d: Declaration) -> str:
    return json.dumps(to_dict(d), ensure_ascii=False, indent=2) + "\n"


def show(value: Any, lang: Lang) -> str:
    """A value as printed on the form (lists one item a line, booleans as words)."""
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, bool):
        return ("oui" if value else "non") if lang == "fr" else ("yes" if value else "no")
    if isinstance(value, list):
        return "\n".join(show(v, lang) for v in value)
    return str(value)


def render_html(d: Declaration) -> str:
    """The printable form (the annex's shape): one table per section, blanks left to fill."""
    data = to_dict(d)
    lang = d.lang
    version = VERSION_LABELS[d.version][lang]
    heads = {
        "fr": (
            "Déclaration",
            "Destinataire",
            "Fondement",
            "Échéance",
            "Champs obligatoires à compléter",
        ),
        "en": ("Declaration", "Recipient", "Basis", "Deadline", "Required fields to complete"),
    }[lang]
    parts = [
        f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>",
        f"<title>{escape(data['title'])}</title><style>",
        "body{font-family:'DejaVu Sans',Arial,sans-serif;font-size:10pt;margin:1.5cm}",
        "h1{font-size:14pt}h2{font-size:11pt;margin-top:1em}table{border-collapse:collapse;",
        "width:100%}td,th{border:1px solid #888;padding:3px 6px;vertical-align:top;",
        "text-align:left}th{width:38%;background:#eee}td{white-space:pre-wrap}",
        ".blank{height:1.4em}</style></head><body>",
        f"<h1>{escape(data['title'])}</h1>",
        f"<p>{heads[0]} {escape(version)} — {escape(d.incident)} — "
        f"{escape(data['generated'] or '')}</p>",
        f"<p>{heads[1]} : {escape(data['recipient'])}<br>{heads[2]} : {escape(data['basis'])}"
        f"<br>{heads[3]} : {escape(data['deadline']['rule'])}"
        + (f" ({escape(data['deadline']['due'])})" if data["deadline"]["due"] else "")
        + "</p>",
    ]
    if d.missing:
        labels = {f.id: f.label.get(lang) for s in d.form.sections for f in s.fields}
        parts.append(
            f"<p><strong>{heads[4]} :</strong> "
            + escape(", ".join(labels[m] for m in d.missing))
            + "</p>"
        )
    for s in data["sections"]:
        parts.append(f"<h2>{escape(s['title'])}</h2><table>")
        for f in s["fields"]:
            text = show(f["value"], lang)
            cell = escape(text) if text else ""
            parts.append(
                f"<tr><th>{escape(f['label'])}</th><td{'' if text else ' class=blank'}>"
                f"{cell}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return "".join(parts)
