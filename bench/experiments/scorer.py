"""Lab: the answer scorer (bench/experiments/scoring.py) fitted on training rows only, measured on the dev sets'
saved answers against the check's confidence alone.

    python -m bench.experiments.scorer fit        # bench/out/scorer-train.jsonl -> bench/experiments/scorer.json
    python -m bench.experiments.scorer measure    # confidence alone vs the scorer on bench/out/verify-*.json

The rows come from `python -m bench.experiments.scorer_data` (training questions answered with every answer
assessed); the dev answers from `python -m bench.verify` (the same, on the dev sets). A row is right when the
shown answer holds a gold answer (rag.eval.matching); an answer to an unanswerable question is wrong. The fit is a
logistic regression (Newton steps, L2 penalty) on standardised features, with the features chosen forward from
the check's confidence by 5-fold cross-validated AUC on the same rows (the dev sets play no part); numpy only,
deterministic, the folds seeded.
"""
from __future__ import annotations

import argparse
import json
import random
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from bench.common import OUT_DIR
from bench.experiments.scorer_data import ROWS
from bench.experiments.scoring import WEIGHTS, Scorer, Shown, features, load_scorer
from bench.verify import auc
from rag.answer.markers import strip_markers
from rag.answer.questions import clean_question
from rag.settings import Settings
from rag.text.question import make_question

SEED = 21
PENALTY = 10.0  # L2 on the standardised weights
MIN_GAIN = 0.002  # of cross-validated AUC, for a feature to be added
DEV_SETS = ("news-real", "facqa-valid", "idk-mrc-valid")
THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)
CONFIDENCE = 0.85  # the check's confidence alone: the operating point before the scorer (bench/RESULTS.md §12)


def shown_of(detail: dict) -> Shown:
    """The scorer's view of an answer saved by `bench.verify` / `scorer_data` (rag.eval.run.answer_detail), with
    the rarity of the question's stems added by :func:`with_rarity`."""
    order = [p["chunk_id"] for p in detail["passages"]]
    texts = {p["chunk_id"]: p["text"] for p in detail["passages"]}
    chunks = list(dict.fromkeys(c["chunk_id"] for s in detail["sentences"] for c in s["citations"]))
    return Shown(make_question(clean_question(detail["question"])), strip_markers(detail["text"]),
                 tuple(detail["evidence"]), tuple(texts[c] for c in chunks if c in texts),
                 min((order.index(c) for c in chunks if c in order), default=len(order)), detail["extractive"],
                 detail["confidence"], detail["decline_probability"] or 0.0, detail["answerability"] or 0.0,
                 detail["rarity"])


def shown_details(details: list[dict]) -> list[dict]:
    """The answers shown before the check (refused ones carry no confidence)."""
    return [d for d in details if not d["refusal"] and d["confidence"] is not None]


def matrix(details: list[dict], names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    rows = [features(shown_of(d)) for d in details]
    return (np.array([[r[n] for n in names] for r in rows], dtype=float),
            np.array([float(d["right"]) for d in details]))


def fit(x: np.ndarray, y: np.ndarray, names: tuple[str, ...]) -> Scorer:
    """Penalised logistic regression by Newton's method on standardised columns."""
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = np.hstack([np.ones((len(x), 1)), (x - mean) / scale])
    penalty = np.diag([0.0] + [PENALTY] * len(names))
    w = np.zeros(z.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-z @ w))
        gradient = z.T @ (p - y) + penalty @ w
        hessian = z.T @ (z * (p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return Scorer(names, tuple(mean.tolist()), tuple(scale.tolist()), tuple(w[1:].tolist()), float(w[0]), 0.5)


def predict(scorer: Scorer, x: np.ndarray) -> np.ndarray:
    z = scorer.bias + ((x - np.array(scorer.mean)) / np.array(scorer.scale)) @ np.array(scorer.weights)
    return 1 / (1 + np.exp(-z))


def cross_validated_auc(x: np.ndarray, y: np.ndarray, names: tuple[str, ...], groups: np.ndarray,
                        folds: int = 5) -> float:
    """The AUC of 5-fold cross-validated predictions within each group (training split), averaged: how well the
    scorer ranks the answers of one set, as the dev sets measure it (a feature that only tells the splits apart,
    whose shares of right answers differ, gains nothing)."""
    order = list(range(len(y)))
    random.Random(SEED).shuffle(order)
    predicted = np.zeros(len(y))
    for k in range(folds):
        test = np.array(order[k::folds])
        train = np.setdiff1d(np.arange(len(y)), test)
        predicted[test] = predict(fit(x[train], y[train], names), x[test])
    return float(np.mean([auc(*_by_label(predicted[groups == g], y[groups == g])) for g in np.unique(groups)]))


def _by_label(scores: np.ndarray, y: np.ndarray) -> tuple[list[float], list[float]]:
    """``scores`` of the right answers and of the wrong ones."""
    return scores[y == 1].tolist(), scores[y == 0].tolist()


def with_rarity(details: list[dict], index_name: str, out: Path) -> list[dict]:
    """``details``, each with the idf of its question's stems in the index it was asked on (as the pipeline has
    them from retrieval; no follow-ups here, so the question is its own search)."""
    from rag.retrieve.retriever import Retriever

    retriever = Retriever(Settings.load({"index_dir": out, "index_name": index_name}))
    with retriever.live.reading() as index:
        for detail in details:
            stems = make_question(clean_question(detail["question"])).stems
            detail["rarity"] = {stem: index.lexical.idf(stem) for stem in set(stems)}
    return details


def load_rows(path: Path, out: Path) -> list[dict]:
    rows = shown_details([json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()])
    return [row for index in sorted({r["index"] for r in rows})
            for row in with_rarity([r for r in rows if r["index"] == index], index, out)]


def load_dev(out: Path) -> dict[str, list[dict]]:
    return {name: with_rarity(json.loads((out / f"verify-{name}.json").read_text(encoding="utf-8"))["answer_details"],
                              f"index-{name}", out) for name in DEV_SETS}


def operating_point(details: list[dict], scores: dict[str, float], threshold: float) -> str:
    """What a set gets when answers scoring below ``threshold`` are refused (the quote fallback not tried)."""
    kept = [d for d in shown_details(details) if scores[d["id"]] >= threshold]
    right = sum(d["right"] for d in kept)
    answerable = [d for d in details if d["answerable"]]
    unanswerable = [d for d in details if not d["answerable"]]
    kept_ids = {d["id"] for d in kept}
    refused = {kind: (sum(d["id"] not in kept_ids for d in unanswerable if d["kind"] == kind),
                      sum(d["kind"] == kind for d in unanswerable)) for kind in ("near_miss", "off_corpus")}
    parts = [f"precision {right / len(kept) if kept else 0:.3f}", f"coverage {right / len(answerable):.3f}"]
    parts += [f"{kind} refused {n} of {total}" for kind, (n, total) in refused.items() if total]
    if unanswerable:
        parts.append(f"refusal acc. {sum(d['id'] not in kept_ids for d in unanswerable) / len(unanswerable):.3f}")
        parts.append(f"false refusals {sum(d['id'] not in kept_ids for d in answerable) / len(answerable):.3f}")
    return ", ".join(parts)


def measure(scorer: Scorer, dev: dict[str, list[dict]]) -> None:
    """Per dev set: the AUC of the check's confidence and of the scorer, and what each gives at its operating
    point (the confidence at ``CONFIDENCE``, the scorer at its threshold), then the scorer at other thresholds."""
    for name, details in dev.items():
        shown = shown_details(details)
        x, _ = matrix(shown, scorer.names)
        scored = dict(zip((d["id"] for d in shown), predict(scorer, x).tolist()))
        confidence = {d["id"]: d["confidence"] for d in shown}
        low, high = auc_gain_interval(shown, confidence, scored)
        print(f"\n{name}: {len(details)} questions, {len(shown)} shown before the check; AUC confidence "
              f"{auc(*_split(confidence, shown)):.3f}, scorer {auc(*_split(scored, shown)):.3f} (gain, 90% "
              f"bootstrap interval: {low:+.3f} to {high:+.3f})")
        print(f"  confidence {CONFIDENCE:.2f}: {operating_point(details, confidence, CONFIDENCE)}")
        for threshold in sorted({scorer.threshold, *THRESHOLDS}):
            mark = " (its threshold)" if threshold == scorer.threshold else ""
            print(f"  scorer {threshold:.3f}{mark}: {operating_point(details, scored, threshold)}")


def auc_gain_interval(shown: list[dict], before: dict[str, float], after: dict[str, float],
                      samples: int = 1000) -> tuple[float, float]:
    """The 5th and 95th percentile of the AUC gain from ``before`` to ``after`` over answers resampled (seeded)."""
    rng = random.Random(SEED)
    gains = []
    for _ in range(samples):
        sample = [rng.choice(shown) for _ in shown]
        if 0 < sum(d["right"] for d in sample) < len(sample):
            gains.append(auc(*_split(after, sample)) - auc(*_split(before, sample)))
    gains.sort()
    return gains[len(gains) // 20], gains[-len(gains) // 20 - 1]


def _split(scores: dict[str, float], details: list[dict]) -> tuple[list[float], list[float]]:
    return ([scores[d["id"]] for d in details if d["right"]], [scores[d["id"]] for d in details if not d["right"]])


def select(x: np.ndarray, y: np.ndarray, names: tuple[str, ...], groups: np.ndarray) -> tuple[str, ...]:
    """Forward selection from the check's confidence: add the feature that raises the cross-validated AUC most,
    while it raises it by more than ``MIN_GAIN``."""
    chosen: tuple[str, ...] = ("check_logit",)
    best = cross_validated_auc(x[:, [names.index(n) for n in chosen]], y, chosen, groups)
    print(f"  {'check_logit':28s} CV AUC {best:.3f}")
    while len(chosen) < len(names):
        trials = [(cross_validated_auc(x[:, [names.index(n) for n in (*chosen, name)]], y, (*chosen, name), groups),
                   name) for name in names if name not in chosen]
        gain, name = max(trials)
        if gain <= best + MIN_GAIN:
            break
        best, chosen = gain, (*chosen, name)
        print(f"+ {name:28s} CV AUC {best:.3f}")
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("fit", "measure"))
    parser.add_argument("--rows", type=Path, default=ROWS)
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument("--weights", type=Path, default=WEIGHTS)
    args = parser.parse_args()
    if args.command == "measure":
        measure(load_scorer(args.weights), load_dev(args.out))
        return
    rows = load_rows(args.rows, args.out)
    names = tuple(features(shown_of(rows[0])))
    x, y = matrix(rows, names)
    groups = np.array([row["index"] for row in rows])
    print(f"{len(rows)} training answers, {int(y.sum())} right; cross-validated AUC, all features "
          f"{cross_validated_auc(x, y, names, groups):.3f}")
    chosen = select(x, y, names, groups)
    columns = x[:, [names.index(n) for n in chosen]]
    scorer = fit(columns, y, chosen)
    # the threshold that keeps as many training answers as the check's confidence at its operating point does
    kept = sum(row["confidence"] >= CONFIDENCE for row in rows)
    scorer = replace(scorer, threshold=float(np.sort(predict(scorer, columns))[::-1][kept - 1]))
    args.weights.write_text(json.dumps(asdict(scorer), indent=1) + "\n", encoding="utf-8")
    for name, weight in zip(chosen, scorer.weights):
        print(f"  {name:28s} {weight:+.3f}")
    print(f"threshold {scorer.threshold:.3f} (keeps {kept} of {len(rows)}, as the confidence at {CONFIDENCE} does)")


if __name__ == "__main__":
    main()
