"""Answers end to end on ../shared/eval: `rag eval --answers` for each set × model × option, as one table.

For every combination the full pipeline answers the questions (evidence, prompt, generation, checking,
quoted fallback, refusal) with rag.eval.metrics: gold answer contained in the answer shown, exact
match and token F1 (markers stripped), false refusals (answerable) and refusal accuracy (unanswerable),
the share of answers that are the quoted evidence sentence, citation precision (cited article = gold
article), answers shown with an unsupported sentence, model drafts with one, and latency (evidence
= first useful text, first token, total). Indexes are shared with bench/retrieval.py (bench/out).

    python -m bench.answers --sets facqa-valid,idk-mrc-valid --models gemma3-270m,qwen2.5-coder-1.5b --limit 60
    python -m bench.answers --full                                # every question of every set

Each run's per-question details go to bench/out/answers-<set>-<model>.json.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from bench.common import EVAL_DIR, OUT_DIR
from rag.eval.run import evaluate
from rag.settings import Settings

SETS = ["facqa-valid", "idk-mrc-valid", "tydiqa-id-valid", "xquad-en"]
COLUMNS = [("answer_precision", "answer prec."), ("coverage", "coverage"),
           ("gold_contained", "gold in answer"), ("gold_shown", "gold in answer or its evidence"),
           ("exact_match", "EM"), ("token_f1", "F1"),
           ("false_refusal_rate", "false refusals"), ("refusal_accuracy", "refusal acc."),
           ("near_miss_refused", "near-miss refused"), ("off_corpus_refused", "off-corpus refused"),
           ("citation_precision", "citation prec."), ("answers_with_unsupported_sentence", "unsupported shown"),
           ("drafts_with_unsupported_sentence", "drafts unsupported"), ("extractive_answers", "quoted"),
           ("evidence_contains_gold", "gold in evidence")]


def row(name: str, model: str, report: dict) -> str:
    answers, latency = report["answers"], report["latency_answers"]
    cells = ["-" if answers[key] is None else f"{answers[key]:.3f}" for key, _ in COLUMNS]
    times = [f"{latency[k].get('p50', 0):.2f}" for k in ("evidence", "first_token")]
    total = latency["total"]
    return (f"| {name} | {model} | {report['questions']['total']} | "
            + " | ".join(cells) + f" | {' | '.join(times)} | {total['p50']:.2f} / {total['p95']:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--models", default=Settings().llm_model)
    parser.add_argument("--limit", type=int, default=60, help="evenly spaced questions per set")
    parser.add_argument("--full", action="store_true", help="every question")
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR)
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; {time.strftime('%Y-%m-%d %H:%M %Z')}")
    header = ("| set | model | n | " + " | ".join(label for _, label in COLUMNS)
              + " | evidence p50 s | first token p50 s | total p50 / p95 s |")
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for name in args.sets.split(","):
        for model in args.models.split(","):
            settings = Settings.load({"index_dir": args.out, "llm_model": model})
            report = evaluate(args.eval_dir / name / "articles.jsonl", args.eval_dir / name / "questions.jsonl",
                              settings, answers=True, limit=None if args.full else args.limit, spread=True,
                              index_name=f"index-{name}")
            (args.out / f"answers-{name}-{Path(model).name}.json").write_text(
                json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
            lines.append(row(name, model, report))
            print(lines[-1], flush=True)
    print("\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
