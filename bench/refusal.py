"""Calibrating the weak-retrieval refusal on ../shared/eval/idk-mrc-valid (about half unanswerable).

    python bench/refusal.py [--eval-dir ../shared/eval] [--thresholds 0.2,0.3,0.35,0.4,0.5,0.6]

For every question, the feature the pipeline refuses on (rag.pipeline: the best top-k passage's share
of the question's stems, rag.lexical.query_coverage) is computed; the table shows, per threshold, the
share of unanswerable questions refused (refusal accuracy) and of answerable ones refused (false
refusals). Retrieval alone cannot separate IDK-MRC's on-topic unanswerable questions; the threshold
only catches clearly off-topic ones, the answer check (no verified sentence) does the rest.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rag.embedding import Embedder
from rag.language import detect_language
from rag.lexical import query_coverage
from rag.retrieval import Retriever
from rag.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from retrieval import build  # noqa: E402  (the same cached index as bench/retrieval.py)
from paths import EVAL_DIR, OUT_DIR


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR)
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument("--thresholds", default="0.2,0.3,0.35,0.4,0.5,0.6")
    args = parser.parse_args()
    embedder = Embedder(Settings().embed_model)
    settings = build("idk-mrc-valid", args.eval_dir, args.out, embedder)
    retriever = Retriever(settings, embedder)
    questions = [json.loads(line) for line in (args.eval_dir / "idk-mrc-valid/questions.jsonl").open(encoding="utf-8")]
    rows = []
    for q in questions:
        hits = retriever.search(q["question"], settings.top_k)
        language = detect_language(q["question"])
        coverage = max((query_coverage(q["question"], h.text, language) for h in hits), default=0.0)
        rows.append((q["article_id"] is not None, coverage))
    answerable = [c for ok, c in rows if ok]
    unanswerable = [c for ok, c in rows if not ok]
    print(f"idk-mrc-valid: {len(answerable)} answerable, {len(unanswerable)} unanswerable questions\n")
    print("| refuse_min_coverage | unanswerable refused | answerable refused (false refusals) |")
    print("|---|---|---|")
    for threshold in (float(t) for t in args.thresholds.split(",")):
        refused = sum(c < threshold for c in unanswerable) / len(unanswerable)
        false = sum(c < threshold for c in answerable) / len(answerable)
        marker = " (default)" if abs(threshold - Settings().refuse_min_coverage) < 1e-9 else ""
        print(f"| {threshold:.2f}{marker} | {refused:.3f} | {false:.3f} |")


if __name__ == "__main__":
    main()
