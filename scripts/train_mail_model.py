"""Train the committed text model, reproducibly, from the training pool.

    PYTHONPATH=src .venv/bin/python scripts/train_mail_model.py [--data ../shared/data] [--out PATH]

The pool is mail_pool.py's, headers neutralised: positives are phishing_pot (honeypot
phishing and scams, 2022-2025, many languages) and the SpamAssassin spam folder (2002, at
a lower weight); negatives are SpamAssassin easy and hard ham (2002) and the whole
legitimate messages of legit_mail.py (French hospital mail and notifications, business
mail, service notifications, newsletters). Putting 2002 spam among the positives keeps
"old mailing-list mail" from meaning "legitimate". Only the subject and the visible body
are read (see `rempart.mail.textmodel.features`).

`p_suspicious` (where the model alone makes a message suspicious) is chosen on the pool's
out-of-fold probabilities as the most sensitive value that keeps the whole scorer at
≤ 0.4 % false positives on legitimate mail; scripts/cv_mail.py repeats the whole procedure
inside each fold of a cross-validation to give honest figures. Needs scikit-learn (dev
dependency); the output is plain JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import normalize

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from rempart.mail.textmodel import MODEL_FILE  # noqa: E402

SEED = 20241123
MAX_FEATURES = 100_000
C = 100.0
# 2002 spam is a positive so that "old list mail" does not mean legitimate, but it is not
# what Rempart hunts: at full weight it teaches that any marketing is phishing.
SPAM_WEIGHT = 0.4
TARGET_FP = 0.004  # of legitimate mail flagged by the whole scorer, out of fold
TRAINED_ON = (
    "scripts/mail_pool.py, headers neutralised: phishing_pot + spamassassin_public_corpus"
    " (all of it) + scripts/legit_mail.py ({gen} legitimate messages: fr_ham, en_ham,"
    " notif_ham texts and hospital notifications, appointments, invoices, newsletters)"
)


def _identity(doc: list[str]) -> list[str]:
    return doc


def fit(docs: list[list[str]], y: np.ndarray, w: np.ndarray, c: float = C) -> tuple[Any, Any]:
    """The vectoriser and the logistic regression, fitted on `docs`."""
    vec = CountVectorizer(analyzer=_identity, binary=True, min_df=3, max_features=MAX_FEATURES)
    x = normalize(vec.fit_transform(docs).astype(np.float64))
    clf = LogisticRegression(C=c, class_weight="balanced", max_iter=2000, random_state=SEED)
    clf.fit(x, y, sample_weight=w)
    return _Normalised(vec), clf


class _Normalised:
    """The vectoriser followed by the L2 normalisation the product applies (1/sqrt(n))."""

    def __init__(self, vec: CountVectorizer) -> None:
        self.vec = vec

    def transform(self, docs: list[list[str]]) -> Any:
        return normalize(self.vec.transform(docs).astype(np.float64))


def oof_probabilities(
    docs: list[list[str]],
    y: np.ndarray,
    w: np.ndarray,
    strata: np.ndarray,
    k: int,
    seed: int,
    c: float = C,
) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold probabilities (and whether the model knew any feature) over `docs`."""
    prob = np.zeros(len(docs))
    known = np.zeros(len(docs), dtype=bool)
    for tr, te in StratifiedKFold(k, shuffle=True, random_state=seed).split(prob, strata):
        vec, clf = fit([docs[i] for i in tr], y[tr], w[tr], c)
        x = vec.transform([docs[i] for i in te])
        prob[te] = clf.predict_proba(x)[:, 1]
        known[te] = np.asarray(x.getnnz(axis=1) > 0)
    return prob, known


def choose_p_suspicious(
    totals: Callable[[float], np.ndarray],
    prob: np.ndarray,
    y: np.ndarray,
    legit: np.ndarray,
    phish: np.ndarray,
    target: float = TARGET_FP,
    real: np.ndarray | None = None,
) -> float:
    """The most sensitive `p_suspicious` (from quantiles of legitimate mail's probabilities)
    at which the whole scorer flags at most `target` of the legitimate mail, and of the
    real (not generated) legitimate mail apart when `real` is given (the generated mail
    is easier: it must not buy false positives on real mail); ties go to the higher value.
    `totals(p)` scores every message for one choice."""
    qs = np.concatenate([np.linspace(0.95, 0.999, 50), [0.9995, 0.9999]])
    candidates = sorted({*np.round(np.quantile(prob[legit], qs), 4).tolist(), 0.9999})
    best: tuple[float, float, float] | None = None  # (recall, p, fp)
    for p in candidates:
        flagged = totals(max(p, 0.51)) >= 40
        fp = float(flagged[legit].mean())
        if real is not None:
            fp = max(fp, float(flagged[legit & real].mean()))
        recall = float(flagged[phish].mean())
        if fp <= target and (best is None or recall >= best[0]):
            best = (recall, p, fp)
    return max(best[1] if best else candidates[-1], 0.51)


def main() -> int:
    from mail_pool import pool

    from rempart.mail.parse import parse_message
    from rempart.mail.score import model_facts, model_share, score_parsed
    from rempart.mail.textmodel import TextModel, features

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "src/rempart/mail" / MODEL_FILE)
    parser.add_argument(
        "--oof",
        type=Path,
        help="write the corpus messages' out-of-fold probabilities (JSON, "
        "by file name) for scripts/check_mail_combiner.py",
    )
    args = parser.parse_args()
    items = pool(args.data)
    if not any(it.label == "phishing" for it in items):
        print(f"no corpus under {args.data}", file=sys.stderr)
        return 1
    off = TextModel({}, -30.0, {})
    docs, facts, points = [], [], []
    for it in items:
        mail = parse_message(it.raw)
        v = score_parsed(mail, model=off, lang="en")
        docs.append(list(features(mail.subject, mail.text)))
        points.append(v.score)
        facts.append(model_facts(mail, v.score))
    y = np.array([1 if it.positive else 0 for it in items])
    w = np.array([SPAM_WEIGHT if it.label == "spam" else 1.0 for it in items])
    strata = np.array([it.group for it in items])
    legit = np.array([it.legit for it in items])
    phish = np.array([it.label == "phishing" for it in items])
    oof, known = oof_probabilities(docs, y, w, strata, 5, SEED)

    def totals(p_susp: float) -> np.ndarray:
        return np.array(
            [
                min(100, pt + model_share(float(p), p_susp, f, bool(k)))
                for pt, f, p, k in zip(points, facts, oof, known, strict=True)
            ]
        )

    real = np.array([not it.group.startswith("gen_") for it in items])
    p_susp = choose_p_suspicious(totals, oof, y, legit, phish, real=real)
    vec, clf = fit(docs, y, w)
    weights = {
        tok: round(float(wt), 4)
        for tok, wt in zip(vec.vec.get_feature_names_out(), clf.coef_[0], strict=True)
    }  # all of the vocabulary: the norm counts every known gram, even of tiny weight
    flagged = totals(p_susp) >= 40
    meta = {
        "trained_on": TRAINED_ON.format(gen=int(sum(it.group.startswith("gen_") for it in items))),
        "made_by": "scripts/train_mail_model.py (seeded; sklearn LogisticRegression)",
        "train_messages": len(y),
        "train_positive": int(y.sum()),
        "seed": SEED,
        "C": C,
        "word_features": True,
        "spam_weight": SPAM_WEIGHT,
        # the probability where the model alone makes a message "suspicious"
        "p_suspicious": round(p_susp, 4),
        "target_fp": TARGET_FP,
        "oof_phishing_recall": round(float(flagged[phish].mean()), 4),
        "oof_legit_fp": round(float(flagged[legit].mean()), 4),
    }
    if args.oof:
        args.oof.write_text(
            json.dumps(
                {
                    it.name.rsplit("/", 1)[1]: round(float(p), 5)
                    for it, p in zip(items, oof, strict=True)
                    if not it.group.startswith("gen_")
                }
            )
        )
    payload = {"intercept": round(float(clf.intercept_[0]), 5), "weights": weights, "meta": meta}
    args.out.write_text(json.dumps(payload, ensure_ascii=False, sort_keys=True, indent=0))
    print(json.dumps(meta, indent=2))
    print(f"{len(weights)} weights -> {args.out} ({args.out.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
