"""The training pool of the mail scorer, with headers neutralised: one loader for the
cross-validation (cv_mail.py) and the training of the text model (train_mail_model.py).

The pool is phishing_pot (phishing), the SpamAssassin corpus (ham and spam) and the
legitimate mail written by legit_mail.py (French hospital mail, business mail, service
notifications and newsletters, as whole messages). Every message is reduced to the
headers a sender writes and a reviewer keeps (From, To, Cc, Subject, Reply-To, Date,
MIME-Version, Content-*): Received, Message-ID, X-*, Authentication-Results, List-* and
the rest tell the corpora apart (their relays, their years, their mailing lists) and are
dropped, so no rule or model can lean on them.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

KEEP = ("from", "to", "cc", "subject", "reply-to", "date", "mime-version")
_HEADER_NAME = re.compile(rb"^([!-9;-~]+)[ \t]*:")


@dataclass(frozen=True)
class Item:
    name: str  # unique: corpus path, or gen/<kind>/<n>
    group: str  # fr / multi / easy_ham / hard_ham / spam / gen_<kind>
    lang: str  # detected language of phishing ("fr", "en", ...), else ""
    label: str  # phishing / spam / ham
    raw: bytes

    @property
    def positive(self) -> bool:
        return self.label != "ham"

    @property
    def legit(self) -> bool:
        return self.label == "ham"


def neutralise(raw: bytes) -> bytes:
    """The message with only the headers in KEEP and Content-* (continuation lines follow
    their header); the body untouched."""
    if raw.startswith(b"From "):
        raw = raw.split(b"\n", 1)[1] if b"\n" in raw else b""
    m = re.search(rb"\r?\n\r?\n", raw)
    head, body = (raw[: m.start()], raw[m.start() :]) if m else (raw, b"")
    kept: list[bytes] = []
    keep = False
    for line in head.splitlines():
        if line[:1] in (b" ", b"\t"):
            if keep:
                kept.append(line)
            continue
        hm = _HEADER_NAME.match(line)
        name = hm.group(1).decode("ascii", "replace").lower() if hm else ""
        keep = name in KEEP or name.startswith("content-")
        if keep:
            kept.append(line)
    return b"\n".join(kept) + body


def corpus_items(data: Path) -> list[Item]:
    """phishing_pot and the SpamAssassin corpus, headers neutralised."""
    out: list[Item] = []
    for corpus in ("phishing_pot", "spamassassin_public_corpus"):
        manifest = data / corpus / "manifest.csv"
        if not manifest.is_file():
            continue
        with manifest.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                path = data / corpus / row["path"]
                if not path.is_file():
                    continue
                group = row["path"].split("/", 1)[0]
                lang = row.get("detected_lang", "") if corpus == "phishing_pot" else ""
                if group == "fr":
                    lang = "fr"
                raw = neutralise(path.read_bytes())
                out.append(Item(f"{corpus}/{row['path']}", group, lang, row["label"], raw))
    return out


def generated_items() -> list[Item]:
    """The legitimate mail of legit_mail.py, as pool items."""
    from legit_mail import generate_all

    return [
        Item(f"gen/{kind}/{i}", f"gen_{kind}", "", "ham", neutralise(raw))
        for kind, i, raw in generate_all()
    ]


def pool(data: Path, *, generated: bool = True) -> list[Item]:
    return corpus_items(data) + (generated_items() if generated else [])
