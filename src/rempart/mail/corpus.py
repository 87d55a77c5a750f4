"""The public evaluation corpora and their seeded split, shared by training, tests and bench.

Labels come from each folder's `manifest.csv`: phishing_pot is all `phishing`,
the SpamAssassin corpus is `ham` or `spam`. A message is in the held-out test split when
a keyed hash of its path says so (30 %), so training, tests and the benchmark agree on the
split without storing it, and no message of the test split is ever trained on.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SPLIT_KEY = b"rempart-mail-split-v1"
TEST_SHARE = 30  # percent


@dataclass(frozen=True)
class Sample:
    path: Path
    corpus: str  # phishing_pot / spamassassin
    label: str  # phishing / spam / ham
    group: str  # fr / multi / easy_ham / hard_ham / spam

    @property
    def positive(self) -> bool:
        return self.label != "ham"

    @property
    def split(self) -> str:
        digest = hashlib.blake2b(self.path.name.encode(), key=SPLIT_KEY, digest_size=4).digest()
        return "test" if int.from_bytes(digest, "big") % 100 < TEST_SHARE else "train"


def samples(data: Path) -> Iterator[Sample]:
    """Every labelled message of phishing_pot and spamassassin_public_corpus under `data`."""
    for corpus in ("phishing_pot", "spamassassin_public_corpus"):
        manifest = data / corpus / "manifest.csv"
        if not manifest.is_file():
            continue
        with manifest.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                path = data / corpus / row["path"]
                if path.is_file():
                    group = row["path"].split("/", 1)[0]
                    yield Sample(path, corpus.split("_")[0], row["label"], group)
