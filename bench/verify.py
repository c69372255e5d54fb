"""The check that a shown answer states what the question asks (rag/answer/assessment.py): how well its
confidence separates right answers from wrong ones, and what each threshold (`min_confidence`) gives.

Every question is answered with the check on but nothing refused for it (`min_confidence` 0.001, so each
answer carries the check's confidence); a shown answer is right when it holds a gold answer (rag.eval.matching)
and wrong otherwise, an answer to an unanswerable question included. Printed per set: the AUC, then for each
threshold the answers that would stay shown — answer precision (right ÷ shown), coverage (right ÷
answerable), near-miss and off-corpus questions refused — and the seconds the check adds (p50, and as a share
of the answer's own time in the same run). The pipeline at a threshold also tries the quoted evidence when the
draft fails, so `bench/answers.py` at the chosen `min_confidence` is the measurement of record.

    python -m bench.verify --sets news-real,facqa-valid,idk-mrc-valid --limit 60
"""
from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from bench.common import EVAL_DIR, OUT_DIR
from rag.eval.run import evaluate
from rag.settings import Settings

THRESHOLDS = (0.0, 0.5, 0.7, 0.8, 0.85, 0.9, 0.93)


def auc(right: list[float], wrong: list[float]) -> float:
    """The chance that a right answer's confidence is above a wrong one's (ties count half)."""
    if not right or not wrong:
        return float("nan")
    return sum((r > w) + 0.5 * (r == w) for r in right for w in wrong) / (len(right) * len(wrong))


def table(name: str, details: list[dict]) -> list[str]:
    shown = [d for d in details if not d["refusal"] and d["confidence"] is not None]
    answerable = sum(d["kind"] == "answerable" for d in details)
    unanswerable = {kind: sum(d["kind"] == kind for d in details) for kind in ("near_miss", "off_corpus")}
    area = auc([d["confidence"] for d in shown if d["right"]], [d["confidence"] for d in shown if not d["right"]])
    lines = [f"\n{name}: {len(details)} questions, {len(shown)} answers shown before the check, AUC {area:.3f}\n",
             "| min_confidence | answer precision | coverage | near-miss refused | off-corpus refused |",
             "|---|---|---|---|---|"]
    for threshold in THRESHOLDS:
        kept = [d for d in shown if d["confidence"] >= threshold]
        right = sum(d["right"] for d in kept)
        refused = {kind: f"{n - sum(d['kind'] == kind for d in kept)} of {n}" if n else "–"
                   for kind, n in unanswerable.items()}
        lines.append(f"| {threshold:.2f} | {right / len(kept) if kept else 0:.3f} | {right / answerable:.3f} | "
                     f"{refused['near_miss']} | {refused['off_corpus']} |")
    checks = [d["check_seconds"] for d in shown if d["check_seconds"] is not None]
    shares = [d["check_seconds"] / d["seconds"] for d in shown if d["check_seconds"] is not None]
    if checks:
        lines.append(f"\ncheck p50 {statistics.median(checks):.2f} s, {statistics.median(shares):.0%} of the "
                     "answer's own time (median per answer)")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default="news-real,facqa-valid,idk-mrc-valid")
    parser.add_argument("--limit", type=int, default=60, help="evenly spaced questions per set (0: all)")
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR)
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args()
    lines: list[str] = []
    for name in args.sets.split(","):
        settings = Settings.load({"index_dir": args.out, "min_confidence": 0.001})
        report = evaluate(args.eval_dir / name / "articles.jsonl", args.eval_dir / name / "questions.jsonl",
                          settings, answers=True, limit=args.limit or None, spread=True, index_name=f"index-{name}")
        (args.out / f"verify-{name}.json").write_text(json.dumps(report, indent=1, ensure_ascii=False),
                                                      encoding="utf-8")
        lines += table(name, report["answer_details"])
        print("\n".join(lines[-len(THRESHOLDS) - 5:]), flush=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
