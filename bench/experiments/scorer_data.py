"""Training rows for the answer scorer (bench/experiments/scoring.py): questions of the training splits answered
by the pipeline as `bench.verify` does (every answer assessed, none refused for it: `min_confidence` 0.001), one
JSON line per question, appended as it is answered (a stopped run keeps its rows; a rerun skips the questions
done).

The questions: a seeded sample of IDK-MRC train (answerable and unanswerable alike: its unanswerables are
near-misses written against the very passage) and FacQA train, taken in turn so any prefix is balanced. Their
passages are in the dev sets' indexes (idk-mrc-valid's corpus holds the train paragraphs; FacQA's passages are
the same in every split), so nothing is indexed.

    nice -n 19 env OMP_NUM_THREADS=1 RAG_LLM_THREADS=1 python -m bench.experiments.scorer_data --limit 839
"""
from __future__ import annotations

import argparse
import json
import random
from itertools import zip_longest
from pathlib import Path

from bench.common import EVAL_DIR, OUT_DIR
from rag.eval.metrics import EvalQuestion, load_questions
from rag.eval.run import answer_detail
from rag.settings import Settings

SEED = 21
ROWS = OUT_DIR / "scorer-train.jsonl"
# (training split, what to take of it, the dev index that holds its passages)
STRATA = (("idk-mrc-train", "answerable", "index-idk-mrc-valid"),
          ("idk-mrc-train", "unanswerable", "index-idk-mrc-valid"),
          ("facqa-train", "answerable", "index-facqa-valid"))


def sample(eval_dir: Path, limit: int) -> list[tuple[EvalQuestion, str]]:
    """``limit`` questions with the index to ask them on, the strata in turn, each stratum shuffled (seeded)."""
    rng = random.Random(SEED)
    strata = []
    for split, kind, index in STRATA:
        questions = [q for q in load_questions(eval_dir / "train" / split / "questions.jsonl")
                     if (q.article_id is not None) == (kind == "answerable")]
        rng.shuffle(questions)
        strata.append([(q, index) for q in questions])
    return [item for group in zip_longest(*strata) for item in group if item][:limit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=600)
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR)
    parser.add_argument("--rows", type=Path, default=ROWS)
    args = parser.parse_args()
    from rag.answer.pipeline import Pipeline

    done = {json.loads(line)["id"] for line in args.rows.read_text(encoding="utf-8").splitlines()} \
        if args.rows.exists() else set()
    pipelines: dict[str, Pipeline] = {}
    with args.rows.open("a", encoding="utf-8") as rows:
        for number, (question, index) in enumerate(sample(args.eval_dir, args.limit), 1):
            if question.id in done:
                continue
            if index not in pipelines:
                settings = Settings.load({"index_dir": OUT_DIR, "index_name": index, "min_confidence": 0.001})
                shared = next(iter(pipelines.values()), None)
                pipelines[index] = Pipeline(settings, generator=shared.generator if shared else None)
            detail = answer_detail(question, pipelines[index].ask(question.question))
            rows.write(json.dumps({**detail, "index": index}, ensure_ascii=False) + "\n")
            rows.flush()
            print(f"{number} {question.id} right={detail['right']} confidence={detail['confidence']} "
                  f"{detail['seconds']:.1f}s", flush=True)


if __name__ == "__main__":
    main()
