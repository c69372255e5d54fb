"""Embedding speed of the bundled embedders on the same passages, interleaved in one run.

    python -m bench.embedders [--passages 256] [--runs 3]

Passages are the first N paragraphs of ../shared/eval/idk-mrc-valid (Indonesian Wikipedia; the sample
articles' chunks when the eval data is absent). Per run and model: `Embedder.encode` of all passages
(the product's path: batches of `embed_batch_size`), then 20 single queries. Prints passages/s, the
ratio to the first model, and query latency, medians over the runs.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time

from bench.common import EVAL_DIR
from rag.embed.factory import create_embedder
from rag.ingest.articles import load_folder
from rag.settings import Settings
from rag.text.chunking import chunk_article
from tests.helpers.corpus import SAMPLE_ARTICLES

MODELS = ["all-MiniLM-L6-v2", "multilingual-e5-small"]
QUERY = "Siapa nama Presiden Uzbekistan?"


def passages(n: int) -> tuple[list[str], str]:
    eval_file = EVAL_DIR / "idk-mrc-valid" / "articles.jsonl"
    if eval_file.exists():
        with eval_file.open(encoding="utf-8") as lines:
            return [json.loads(line)["text"] for _, line in zip(range(n), lines)], "idk-mrc-valid paragraphs"
    articles = load_folder(SAMPLE_ARTICLES).articles
    return [c.text for a in articles for c in chunk_article(a)][:n], "sample article chunks"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passages", type=int, default=256)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    texts, source = passages(args.passages)
    batch = Settings().embed_batch_size
    embedders = {name: create_embedder(name, batch) for name in MODELS}
    for embedder in embedders.values():
        embedder.encode(["pemanasan", "warm-up"])  # load outside the timings
    rates: dict[str, list[float]] = {name: [] for name in MODELS}
    query_ms: dict[str, list[float]] = {name: [] for name in MODELS}
    for _ in range(args.runs):
        for name, embedder in embedders.items():
            start = time.perf_counter()
            embedder.encode(texts)
            rates[name].append(len(texts) / (time.perf_counter() - start))
            start = time.perf_counter()
            for _ in range(20):
                embedder.encode_query(QUERY)
            query_ms[name].append((time.perf_counter() - start) / 20 * 1000)
    print(f"{len(texts)} {source}, {args.runs} interleaved runs, medians; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n")
    print("| embedder | passages/s | vs first | one query (ms) |\n|---|---|---|---|")
    first = statistics.median(rates[MODELS[0]])
    for name in MODELS:
        rate = statistics.median(rates[name])
        print(f"| {name} | {rate:.1f} | {rate / first:.2f} | {statistics.median(query_ms[name]):.1f} |")


if __name__ == "__main__":
    main()
