"""Answers to open questions (what happened, why, who all, compare, how it developed) on
../shared/eval/news-real-open: `rag eval` with its key points — coverage, pass rate, citation precision,
unsupported sentences shown, answer length, time to the first point and to the end — overall, per kind and per
language (rag/eval/open_questions.py). The articles are news-real's (its index in bench/out is shared with
bench/answers.py).

    python -m bench.open_answers
    python -m bench.open_answers --repeat 5      # latency: the median of five runs of every question

Per-question details go to bench/out/open-<set>.json.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from bench.common import EVAL_DIR, OUT_DIR
from rag.eval.open_questions import open_table
from rag.eval.run import evaluate
from rag.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", default="news-real-open")
    parser.add_argument("--articles", default="news-real", help="the set whose articles.jsonl it asks about")
    parser.add_argument("--repeat", type=int, default=1, help="runs; times are the median per question")
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR)
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; {time.strftime('%Y-%m-%d %H:%M %Z')}")
    settings = Settings.load({"index_dir": args.out})
    runs = [evaluate(args.eval_dir / args.articles / "articles.jsonl", args.eval_dir / args.set / "questions.jsonl",
                     settings, answers=True, index_name=f"index-{args.articles}") for _ in range(args.repeat)]
    report = runs[0]
    if args.repeat > 1:
        from rag.eval.open_questions import summarise

        for number, detail in enumerate(report["answer_details"]):
            for key in ("first_point", "seconds"):
                values = [run["answer_details"][number][key] for run in runs]
                detail[key] = None if None in values else statistics.median(values)
        report["open_answers"] = summarise(report["answer_details"])
    (args.out / f"open-{args.set}.json").write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    print(open_table(report["open_answers"]))


if __name__ == "__main__":
    main()
