"""Out-of-fold figures of the whole mail scorer on the training pool (headers neutralised).

    PYTHONPATH=src .venv/bin/python scripts/cv_mail.py [--data ../shared/data] [--folds 5]

Stratified k-fold cross-validation (seeded) over mail_pool.py's pool: phishing_pot,
SpamAssassin ham and spam, and legit_mail.py's legitimate mail, every message reduced to
the headers a reviewer keeps. In each fold, everything learnt is learnt on the fold's
training part only: the text model is fitted there, and the point where the model alone
makes a message suspicious (`p_suspicious`) is chosen there, from inner out-of-fold
probabilities, as the most sensitive one that keeps the whole scorer (signals + model)
at ≤ 0.4 % false positives on the training part's legitimate mail, and on its real
(SpamAssassin) legitimate mail apart. The held-out fold is
then scored once. The hand-set signal points are the product's (rempart.mail.signals);
only the figures printed here, out of fold, are results.

Prints recall on phishing (per language), false positives on legitimate mail (real
SpamAssassin ham and each generated kind apart), spam flagged, and the misses and false
positives by their signals (`--show N` prints N of each).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedKFold

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from mail_pool import Item, pool  # noqa: E402
from train_mail_model import (  # noqa: E402
    SPAM_WEIGHT,
    C,
    choose_p_suspicious,
    fit,
    oof_probabilities,
)

from rempart.mail.parse import parse_message  # noqa: E402
from rempart.mail.score import (  # noqa: E402
    MODEL_BASE,
    SUSPICIOUS,
    ModelFacts,
    model_facts,
    model_share,
    score_parsed,
)
from rempart.mail.textmodel import TextModel, features  # noqa: E402

SEED = 20261206
TARGET_FP = 0.004


@dataclass(frozen=True)
class Row:
    item: Item
    points: int  # the signals' points, text model off
    signals: tuple[str, ...]
    facts: ModelFacts
    feats: list[str]


def rows_of(items: list[Item]) -> list[Row]:
    off = TextModel({}, -30.0, {})  # says nothing: the signals' points alone
    out = []
    for it in items:
        mail = parse_message(it.raw)
        v = score_parsed(mail, model=off, lang="en")
        keys = tuple(k for k in v.signals if not k.startswith("sig_text_model"))
        facts = model_facts(mail, v.score)
        out.append(Row(it, v.score, keys, facts, list(features(mail.subject, mail.text))))
    return out


def totals(
    rows: list[Row], probs: np.ndarray, known: np.ndarray, p_susp: float, base: int = MODEL_BASE
) -> np.ndarray:
    return np.array(
        [
            min(100, r.points + model_share(float(p), p_susp, r.facts, bool(k), base))
            for r, p, k in zip(rows, probs, known, strict=True)
        ]
    )


def _key(docs: list[list[str]], y: np.ndarray, strata: np.ndarray, args: Any) -> str:
    sw = "" if args.spam_weight == SPAM_WEIGHT else f"/{args.spam_weight}"
    h = hashlib.sha256(f"{args.folds}/{args.inner}/{SEED}/{args.C}{sw}".encode())
    for d, label, g in zip(docs, y, strata, strict=True):
        h.update(f"{label}{g}".encode())
        h.update("\x00".join(d).encode())
    return h.hexdigest()


def _cache(path: Path | None, docs: list[list[str]], y: np.ndarray, strata: np.ndarray,
           args: Any) -> dict[int, Any]:  # fmt: skip
    if path is None or not path.is_file():
        return {}
    data = json.loads(path.read_text())
    if data.get("key") != _key(docs, y, strata, args):
        return {}
    return {
        int(k): ((np.array(a), np.array(b, dtype=bool)), (np.array(c), np.array(d, dtype=bool)))
        for k, (a, b, c, d) in data["folds"].items()
    }


def _save(path: Path | None, docs: list[list[str]], y: np.ndarray, strata: np.ndarray,
          args: Any, cache: dict[int, Any]) -> None:  # fmt: skip
    if path is not None:
        folds = {
            k: [a.tolist(), b.tolist(), c.tolist(), d.tolist()]
            for k, ((a, b), (c, d)) in cache.items()
        }
        path.write_text(json.dumps({"key": _key(docs, y, strata, args), "folds": folds}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--inner", type=int, default=3)
    parser.add_argument("--show", type=int, default=0)
    parser.add_argument("--C", type=float, default=C, help="the text model's regularisation")
    parser.add_argument("--no-generated", action="store_true")
    parser.add_argument(
        "--spam-weight",
        type=float,
        default=SPAM_WEIGHT,
        help="weight of the 2002 spam among the text model's positives",
    )
    parser.add_argument(
        "--target",
        type=float,
        default=TARGET_FP,
        help="false-positive budget p_suspicious is chosen for, inside each training part",
    )
    parser.add_argument(
        "--features",
        choices=("all", "char", "word"),
        default="all",
        help="the text model's features: character grams and words (the product's), or one kind",
    )
    parser.add_argument(
        "--bases",
        default=str(MODEL_BASE),
        help="comma-separated points the model gives at p = 0.5 (MODEL_BASE), "
        "chosen inside each fold with p_suspicious",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        help="keep the text model's fold probabilities here (JSON "
        "keyed by the pool's features): re-runs after a change of signals skip the fits",
    )
    parser.add_argument(
        "--dump",
        type=Path,
        help="write every message's out-of-fold result here (JSON lines: name, group, "
        "label, fold, score, p, signals) to study misses and false positives by kind",
    )
    args = parser.parse_args()
    t0 = time.time()
    bases = [int(b) for b in args.bases.split(",")]
    items = pool(args.data, generated=not args.no_generated)
    rows = rows_of(items)
    print(f"pool: {len(rows)} messages {dict(Counter(r.item.group for r in rows))} "
          f"(scored in {time.time() - t0:.0f} s)")  # fmt: skip
    y = np.array([1 if r.item.positive else 0 for r in rows])
    legit = np.array([r.item.legit for r in rows])
    weight = np.array([args.spam_weight if r.item.label == "spam" else 1.0 for r in rows])
    strata = np.array([r.item.group for r in rows])
    docs = [
        [
            f
            for f in r.feats
            if args.features == "all" or f.startswith("w:") == (args.features == "word")
        ]
        for r in rows
    ]
    score = np.zeros(len(rows), dtype=int)
    prob = np.zeros(len(rows))
    chosen = []
    fold_of = np.zeros(len(rows), dtype=int)
    folds = StratifiedKFold(args.folds, shuffle=True, random_state=SEED)
    cache = _cache(args.cache, docs, y, strata, args)
    for k, (tr, te) in enumerate(folds.split(np.zeros(len(rows)), strata)):
        tr_rows = [rows[i] for i in tr]
        if k not in cache:
            inner = oof_probabilities(
                [docs[i] for i in tr], y[tr], weight[tr], strata[tr], args.inner, SEED + k, args.C
            )
            vec, clf = fit([docs[i] for i in tr], y[tr], weight[tr], args.C)
            x = vec.transform([docs[i] for i in te])
            outer = clf.predict_proba(x)[:, 1], np.asarray(x.getnnz(axis=1) > 0)
            cache[k] = (inner, outer)
            _save(args.cache, docs, y, strata, args, cache)
        (inner_p, inner_known), (p, known) = cache[k]
        phish_tr = np.array([rows[i].item.label == "phishing" for i in tr])
        real_tr = np.array([not rows[i].item.group.startswith("gen_") for i in tr])
        best: tuple[float, int, float] | None = None  # (inner recall, -base, p_suspicious)
        for base in bases:
            p_s = choose_p_suspicious(
                lambda p_s, rs=tr_rows, ip=inner_p, ik=inner_known, b=base: totals(
                    rs, ip, ik, p_s, b
                ),
                inner_p,
                y[tr],
                legit[tr],
                phish_tr,
                args.target,
                real=real_tr,
            )
            inner_flag = totals(tr_rows, inner_p, inner_known, p_s, base) >= SUSPICIOUS
            fp = max(inner_flag[legit[tr]].mean(), inner_flag[legit[tr] & real_tr].mean())
            cand = (float(inner_flag[phish_tr].mean()), -base, p_s)
            if fp <= args.target and (best is None or cand > best):
                best = cand
        if best is None:  # no base keeps the budget: the product's, at its chosen point
            best = (0.0, -MODEL_BASE, 0.9999)
        _, neg_base, p_susp = best
        prob[te] = p
        fold_of[te] = k
        score[te] = totals([rows[i] for i in te], p, known, p_susp, -neg_base)
        chosen.append(p_susp)
        print(
            f"fold {k}: p_suspicious {p_susp:.4f} base {-neg_base} ({time.time() - t0:.0f} s)",
            flush=True,
        )
    flagged = score >= SUSPICIOUS
    report(rows, flagged, score, prob, args.show)
    print(f"p_suspicious per fold: {', '.join(f'{c:.4f}' for c in chosen)}")
    real_ham = np.array([r.item.group in ("easy_ham", "hard_ham") for r in rows])
    per_fold = [
        f"{int(flagged[real_ham & (fold_of == k)].sum())}/{int((real_ham & (fold_of == k)).sum())}"
        for k in range(args.folds)
    ]
    print(f"real ham false positives per held-out fold: {', '.join(per_fold)}")
    phish = np.array([r.item.label == "phishing" for r in rows])
    for k in range(args.folds):
        f = fold_of == k

        def part(mask: np.ndarray) -> str:
            return f"{int(flagged[mask].sum())}/{int(mask.sum())}"

        print(
            f"  fold {k}: phishing {part(phish & f)}, legitimate FP {part(legit & f)} "
            f"(real {part(real_ham & f)}, generated {part(legit & ~real_ham & f)})"
        )
    if args.dump:
        with args.dump.open("w", encoding="utf-8") as fh:
            for i, r in enumerate(rows):
                rec = {
                    "name": r.item.name,
                    "group": r.item.group,
                    "label": r.item.label,
                    "lang": r.item.lang,
                    "fold": int(fold_of[i]),
                    "score": int(score[i]),
                    "points": r.points,
                    "p": round(float(prob[i]), 4),
                    "signals": list(r.signals),
                }
                fh.write(json.dumps(rec) + "\n")
    return 0


def report(rows: list[Row], flagged: np.ndarray, score: np.ndarray, prob: np.ndarray,
           show: int) -> None:  # fmt: skip
    def line(name: str, mask: np.ndarray) -> None:
        n = int(mask.sum())
        f = int(flagged[mask].sum())
        print(f"  {name:<28} {f:>5}/{n:<5} = {f / max(n, 1):.4f}")

    label = np.array([r.item.label for r in rows])
    group = np.array([r.item.group for r in rows])
    lang = np.array([r.item.lang for r in rows])
    phish = label == "phishing"
    legit = label == "ham"
    print("\n== out of fold (flagged = score >= 40)")
    line("phishing recall", phish)
    for lg in ("fr", "en", "de", "pt", "nl"):
        line(f"  phishing [{lg}]", phish & (lang == lg))
    line("  phishing [other]", phish & ~np.isin(lang, ["fr", "en", "de", "pt", "nl"]))
    line("legitimate FP (all)", legit)
    line("  real ham (SpamAssassin)", np.isin(group, ["easy_ham", "hard_ham"]))
    for g in sorted(set(group[legit])):
        line(f"    {g}", group == g)
    line("spam flagged", label == "spam")
    miss = phish & ~flagged
    fp = legit & flagged
    print("\n== misses by their strongest signal (or none)")
    print("  " + str(Counter(rows[i].signals[0] if rows[i].signals else "-"
                             for i in np.flatnonzero(miss)).most_common()))  # fmt: skip
    print("  score histogram of misses: "
          + str(Counter(int(s) // 10 * 10 for s in score[miss]).most_common()))  # fmt: skip
    print("== false positives (legitimate)")
    for i in np.flatnonzero(fp):
        r = rows[i]
        print(f"  {r.item.name} score {score[i]} p {prob[i]:.2f} {r.signals[:4]}")
    for i in np.flatnonzero(miss)[:show]:
        r = rows[i]
        mail = parse_message(r.item.raw)
        print(f"\n-- MISS {r.item.name} [{r.item.lang}] score {score[i]} p {prob[i]:.2f} "
              f"{r.signals}\n   From: {mail.from_display} <{mail.from_addr}> "
              f"Reply-To: {mail.reply_to}\n   Subject: {mail.subject[:100]}\n   "
              f"{' '.join(mail.text.split())[:300]}\n   links: "
              f"{[lk.href[:60] for lk in mail.links[:3]]} att: "
              f"{[a.name for a in mail.attachments]}")  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
