"""The situation report ("point de situation"): current state, decisions since the last
report, open requests, next meeting, and the head hash of the crisis log (the anchor that
catches a later removal of entries). Self-contained HTML, printed to PDF by `report.pdf`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from importlib import resources

import jinja2

from rempart.core.i18n import Lang, t
from rempart.recover.crisis import Entry

__all__ = ["Situation", "build_situation", "render_situation"]


@dataclass(frozen=True)
class Situation:
    hospital: str
    generated: datetime
    author: str
    incidents: tuple[tuple[str, str, str], ...]  # (case id, title, state)
    board: dict[str, int]  # state -> machines
    decisions: tuple[Entry, ...]
    open_requests: tuple[Entry, ...]
    since: datetime | None
    next_meeting: str
    head_hash: str
    entries: int


def build_situation(
    items: list[Entry],
    *,
    hospital: str,
    generated: datetime,
    author: str,
    incidents: tuple[tuple[str, str, str], ...],
    board: dict[str, int],
    next_meeting: str,
    head_hash: str,
) -> Situation:
    """Decisions since the last `point` entry; requests not answered by a later entry that
    links to them (`crisis:N`)."""
    last_point = max((e.seq for e in items if e.kind == "point"), default=0)
    since = next((e.time for e in items if e.seq == last_point), None)
    decisions = tuple(e for e in items if e.kind == "decision" and e.seq > last_point)
    answered = {link for e in items for link in e.links if link.startswith("crisis:")}
    answered |= {f"crisis:{e.corrects}" for e in items if e.corrects is not None}
    requests = tuple(e for e in items if e.kind == "demande" and f"crisis:{e.seq}" not in answered)
    return Situation(
        hospital, generated, author, incidents, board, decisions, requests, since,
        next_meeting, head_hash, len(items),
    )  # fmt: skip


def render_situation(s: Situation, lang: Lang = "fr") -> str:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    source = (
        resources.files("rempart.recover").joinpath("templates/situation.html").read_text("utf-8")
    )
    return env.from_string(source).render(s=s, lang=lang, t=lambda k, **kw: t(k, lang, **kw))
