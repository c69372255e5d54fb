"""Sentence evidence and the refusal it calibrates, on ../shared/eval (idk-mrc-valid: about half of its
questions are unanswerable).

    python -m bench.refusal [--sets idk-mrc-valid,facqa-valid,tydiqa-id-valid,xquad-en] [--thresholds ...]
    python -m bench.refusal --details bench/out/answers-idk-mrc-valid-qwen2.5-coder-1.5b.json

The pipeline refuses when the answerability score is below ``min_answerability``. Before generation the
score is the evidence's (rag.answer.evidence.answerability: how well the best sentence of the retrieved passages
covers the question, lower when it lacks the kind of answer asked for); once the model has read the
evidence it is multiplied by 1 - MODEL_DOUBT_WEIGHT x the probability that the model starts with "Tidak
disebutkan" / "Not mentioned" (rag.answer.answerability.reconsider). The first form ranks the sentences of the
retrieved passages for every question (retrieval only, fast),
prints how often the best sentence (and one of the few the model reads) holds the gold answer and, per
threshold, the share of unanswerable questions refused (refusal accuracy) and of answerable
ones refused (false refusals) on each set. ``--details`` reads a bench/answers.py report (run with
``RAG_MIN_ANSWERABILITY=0`` so no question was refused before generation) and prints the same table for
the full score, the model's part included.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.common import EVAL_DIR, OUT_DIR, index_eval_set  # the same cached index as bench/retrieval.py
from rag.answer.evidence import EVIDENCE_SENTENCES, rank_evidence
from rag.embed.base import Embedder
from rag.embed.factory import create_embedder
from rag.eval.metrics import contains, load_questions
from rag.retrieve.retriever import Retriever
from rag.settings import Settings
from rag.text.question import make_question

THRESHOLDS = "0.1,0.2,0.25,0.3,0.35,0.4,0.45,0.5,0.6"


def curve(rows: list[tuple[bool, float]], thresholds: list[float]) -> list[str]:
    """Table lines: per threshold, unanswerable refused and answerable refused."""
    answerable = [score for ok, score in rows if ok]
    unanswerable = [score for ok, score in rows if not ok]
    default = Settings().min_answerability
    lines = []
    for t in thresholds:
        refused = f"{sum(s < t for s in unanswerable) / len(unanswerable):.3f}" if unanswerable else "-"
        false = sum(s < t for s in answerable) / len(answerable)
        lines.append(f"| {t:.2f}{' (default)' if abs(t - default) < 1e-9 else ''} | {refused} | {false:.3f} |")
    return lines


def evidence_scores(name: str, args, embedder: Embedder) -> tuple[list[tuple[bool, float]], list[tuple[bool, bool]]]:
    """Per question: (answerable, evidence score); per answerable question: (the best sentence holds the
    gold answer, one of the best EVIDENCE_SENTENCES does)."""
    settings = index_eval_set(name, args.eval_dir, args.out, embedder)
    retriever = Retriever(settings, embedder)
    rows, sentences = [], []
    for q in load_questions(args.eval_dir / name / "questions.jsonl"):
        question = make_question(q.question)
        found = retriever.retrieve(question)
        ranking = rank_evidence(question, found.hits, found.idf)
        rows.append((q.article_id is not None, ranking.answerability))
        if q.article_id is not None:
            holds = [bool(contains(e.text, q.answers)) for e in ranking.sentences[:EVIDENCE_SENTENCES]]
            sentences.append((any(holds[:1]), any(holds)))
    return rows, sentences


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default="idk-mrc-valid,facqa-valid,tydiqa-id-valid,xquad-en")
    parser.add_argument("--details", type=Path, help="a bench/answers.py report: the full score, model included")
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR)
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument("--thresholds", default=THRESHOLDS)
    args = parser.parse_args()
    thresholds = [float(t) for t in args.thresholds.split(",")]
    header = ["| min_answerability | unanswerable refused | answerable refused (false refusals) |", "|---|---|---|"]
    if args.details:
        details = json.loads(args.details.read_text(encoding="utf-8"))["answer_details"]
        rows = [(d["answerable"], d["answerability"]) for d in details]  # the pipeline's final score
        print(f"{args.details.name}: full score (evidence x model), {len(rows)} questions\n")
        print("\n".join(header + curve(rows, thresholds)))
        return
    embedder = create_embedder(Settings().embed_model)
    for name in args.sets.split(","):
        rows, sentences = evidence_scores(name, args, embedder)
        print(f"\n{name}: best sentence holds the gold answer {sum(a for a, _ in sentences) / len(sentences):.3f}, "
              f"one of the best {EVIDENCE_SENTENCES} {sum(b for _, b in sentences) / len(sentences):.3f}")
        print(f"\n{name}: evidence score, {sum(ok for ok, _ in rows)} answerable, "
              f"{sum(not ok for ok, _ in rows)} unanswerable\n")
        print("\n".join(header + curve(rows, thresholds)), flush=True)


if __name__ == "__main__":
    main()
