"""Did a speed change alter what the mail scorer says? Score every corpus message, compare.

    PYTHONPATH=src .venv/bin/python scripts/check_mail_verdicts.py --save /tmp/before.json
    ... change the code ...
    PYTHONPATH=src .venv/bin/python scripts/check_mail_verdicts.py --compare /tmp/before.json

Reads every message of phishing_pot and the SpamAssassin corpus (both splits: nothing is
tuned here) and keeps, per message, the score, the verdict, the reason keys, the reasons
as written (they carry the model's probability and the words that weighed), a digest of
what the parser read (visible text, links, forms, hidden characters, attachments) and the
text model's probability to the last bit. With `--compare`, prints each message whose
record differs and exits 1 when any does.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from multiprocessing import Pool
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from rempart.mail.corpus import samples  # noqa: E402


def record(path: str) -> dict[str, object]:
    """What the scorer and the parser say of one message."""
    from rempart.mail.parse import parse_message
    from rempart.mail.score import score_message
    from rempart.mail.textmodel import default_model

    raw = Path(path).read_bytes()
    v = score_message(raw, lang="en")
    m = parse_message(raw)
    parsed = repr(
        (
            m.subject,
            m.text,
            m.links,
            m.forms,
            m.password_inputs,
            m.hidden_chars,
            [(a.name, a.content_type, a.size, a.sha256) for a in m.attachments],
            m.defects,
        )
    )
    model = default_model()
    prob = model.probability(m.subject, m.text) if model is not None else None
    return {
        "prob": repr(prob),  # to the last bit: the summation order is part of the result
        "score": v.score,
        "verdict": v.verdict.value,
        "signals": list(v.signals),
        "reasons": list(v.reasons),
        "parsed": hashlib.sha256(parsed.encode("utf-8", "surrogatepass")).hexdigest(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--workers", type=int, default=2)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--save", type=Path)
    group.add_argument("--compare", type=Path)
    args = parser.parse_args()
    paths = sorted(str(s.path) for s in samples(args.data))
    if not paths:
        print(f"no corpus under {args.data}")
        return 1
    with Pool(args.workers) as pool:
        records = dict(zip(paths, pool.map(record, paths, chunksize=16), strict=True))
    if args.save:
        args.save.write_text(json.dumps(records, ensure_ascii=False, indent=0), "utf-8")
        print(f"{len(records)} messages saved to {args.save}")
        return 0
    before = json.loads(args.compare.read_text("utf-8"))
    changed = 0
    for path in sorted(set(before) | set(records)):
        old, new = before.get(path), records.get(path)
        if old != new:
            changed += 1
            if changed <= 20:
                print(f"{path}\n  before {old}\n  after  {new}")
    print(f"{len(records)} messages, {changed} differ")
    return 1 if changed else 0


if __name__ == "__main__":
    raise SystemExit(main())
