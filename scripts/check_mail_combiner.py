"""Would learned signal weights beat the hand-set points? Checked on the TRAINING split only.

    PYTHONPATH=src .venv/bin/python scripts/train_mail_model.py --oof /tmp/oof.json
    .venv/bin/python scripts/check_mail_combiner.py /tmp/oof.json

Fits an L2 logistic regression over the signals that fired (reason keys, model off) and
the text model's out-of-fold logit, phishing against ham, in nested cross-validation: the
outer folds score messages the combiner never saw, the decision threshold comes from inner
folds of the outer training part (≤ 0.4 % of its ham flagged). It prints recall and false
positives for several C next to the hand-set points, and the full-data weights of one C,
so the choice of the combiner is made without reading the held-out split.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from rempart.mail import signals as sig
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
SPLIT_POINTS = ("sig_reply_to_mismatch", "sig_link_mismatch")  # two strengths each


def _fit(c: float, x: np.ndarray, y: np.ndarray) -> LogisticRegression:
    clf = LogisticRegression(C=c, class_weight="balanced", max_iter=5000)
    return clf.fit(x, y)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("oof", type=Path)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--C", default="1,10,100,1000")
    parser.add_argument("--show", type=float, default=100.0, help="print the weights of this C")
    args = parser.parse_args()
    oof: dict[str, float] = json.loads(args.oof.read_text())
    p_susp = float(
        json.loads((ROOT / "src/rempart/mail/text_model.json").read_text())["meta"]["p_suspicious"]
    )
    off = TextModel({}, -30.0, {})
    fired: list[set[str]] = []
    hand: list[int] = []
    logit: list[float] = []
    labels: list[int] = []
    for s in samples(args.data):
        if s.split != "train" or s.path.name not in oof or s.group == "spam":
            continue
        mail = parse_message(s.path.read_bytes())
        found = [
            *sig.authentication(mail), *sig.identities(mail), *sig.sender_shape(mail),
            *sig.disguises(mail), *sig.links(mail), *sig.attachments(mail),
        ]  # fmt: skip
        fired.append({f"{f.key}@{f.points}" if f.key in SPLIT_POINTS else f.key for f in found})
        p = min(max(oof[s.path.name], 1e-4), 1 - 1e-4)
        share = capped_by_script(model_points(p, p_susp), mail)[0]  # as score_parsed does
        share = capped_by_length(share, mail)[0]
        hand.append(min(100, score_parsed(mail, model=off).score + share))
        logit.append(math.log(p / (1 - p)))
        labels.append(1 if s.positive else 0)
    names = sorted(set().union(*fired))
    x = np.zeros((len(fired), len(names) + 2))
    for i, keys in enumerate(fired):
        for k in keys:
            x[i, names.index(k)] = 1.0
    x[:, -2] = logit
    x[:, -1] = np.maximum(logit, 0.0)
    y = np.array(labels)
    flagged = np.array(hand) >= SUSPICIOUS
    print(
        f"hand-set points: recall {flagged[y == 1].sum()}/{(y == 1).sum()}, "
        f"ham FP {flagged[y == 0].sum()}/{(y == 0).sum()}"
    )
    for c in (float(v) for v in args.C.split(",")):
        score = np.zeros(len(y))
        flag = np.zeros(len(y), dtype=bool)
        for tr, te in StratifiedKFold(5, shuffle=True, random_state=7).split(x, y):
            score[te] = _fit(c, x[tr], y[tr]).decision_function(x[te])
            inner = np.zeros(len(tr))
            for a, b in StratifiedKFold(5, shuffle=True, random_state=11).split(x[tr], y[tr]):
                inner[b] = _fit(c, x[tr][a], y[tr][a]).decision_function(x[tr][b])
            ham_inner = np.sort(inner[y[tr] == 0])[::-1]
            flag[te] = score[te] > ham_inner[int(0.004 * len(ham_inner))]
        ham_sorted = np.sort(score[y == 0])[::-1]
        at5 = score > ham_sorted[flagged[y == 0].sum()]  # as many FP as the hand-set points
        print(
            f"C={c:g}: nested threshold recall {flag[y == 1].sum()}, ham FP {flag[y == 0].sum()}"
            f" | at the hand-set FP count: recall {at5[y == 1].sum()}, FP {at5[y == 0].sum()}"
        )
    full = _fit(args.show, x, y)
    for name, w in sorted(zip([*names, "logit", "logit+"], full.coef_[0], strict=True),
                          key=lambda t: -t[1]):  # fmt: skip
        print(f"  {name:30s} {w:+.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
