"""Tune the whole scorer on the TRAINING split only, by cross-validation.

    .venv/bin/python scripts/train_mail_model.py --oof /tmp/oof.json
    .venv/bin/python scripts/tune_mail_scorer.py /tmp/oof.json

For each training message, the signals' points (text model off) are added to the points
the text model would give from its out-of-fold probability (a model that never saw the
message), for several choices of the ham quantile that sets `p_suspicious`. It prints
recall on phishing and false positives on ham for each, so the quantile is chosen without
ever looking at the held-out split (which only `bench/bench_mail.py` reads, once).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from rempart.mail.corpus import samples
from rempart.mail.parse import parse_message
from rempart.mail.score import (
    SUSPICIOUS,
    capped_by_length,
    capped_by_script,
    model_points,
    score_parsed,
)
from rempart.mail.textmodel import TextModel

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("oof", type=Path)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    oof: dict[str, float] = json.loads(args.oof.read_text())
    off = TextModel({}, -30.0, {})  # says nothing: the signals' points alone
    rows = []
    for s in samples(args.data):
        if s.split != "train" or s.path.name not in oof:
            continue
        mail = parse_message(s.path.read_bytes())
        points = score_parsed(mail, model=off).score
        # whether the model's share would be capped (text mostly in a non-Latin script,
        # or too short)
        capped = (
            capped_by_script(SUSPICIOUS, mail)[1] is not None
            or capped_by_length(SUSPICIOUS, mail)[1] is not None
        )
        rows.append((s.group, points, oof[s.path.name], capped))
    group = np.array([r[0] for r in rows])
    signal_points = np.array([r[1] for r in rows])
    prob = np.array([r[2] for r in rows])
    capped = [r[3] for r in rows]
    ham = np.isin(group, ["easy_ham", "hard_ham"])
    phish = np.isin(group, ["fr", "multi"])
    for q in (0.99, 0.993, 0.995, 0.997, 0.998, 0.999):
        p_susp = float(np.quantile(prob[ham], q))
        share = [model_points(p, p_susp) for p in prob]
        share = [
            min(pts, SUSPICIOUS - 1) if cap else pts for pts, cap in zip(share, capped, strict=True)
        ]
        total = signal_points + np.array(share)
        flagged = total >= SUSPICIOUS
        print(
            f"ham quantile {q}: p_suspicious {p_susp:.4f}  phishing recall "
            f"{flagged[phish].sum()}/{phish.sum()} = {flagged[phish].mean():.3f}  ham FP "
            f"{flagged[ham].sum()}/{ham.sum()} = {flagged[ham].mean():.4f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
