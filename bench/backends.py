"""The two index backends side by side: ``store_backend=local`` (SQLite + FAISS + bm25s files) and
``store_backend=milvus`` (here Milvus Lite, embedded; the same pymilvus code path as a Milvus server).

    python -m bench.backends                    # recall on facqa-valid + xquad-en, scale at 10k chunks
    python -m bench.backends --full             # recall on all four sets, scale at 10k and 100k chunks
    python -m bench.backends --sets xquad-en --sizes 10000

Recall: each eval set's articles are indexed by both backends with the same vectors (the real embedder runs
once; the Milvus build gets its vectors from a cache of the local build's), then every answerable question
goes through the product's ``Retriever`` on each: article-level R@1/5/20 and MRR@10 of the dense leg, the
lexical leg and the fused ranking, and the query time of ``Retriever.search`` (question embedded beforehand,
so the store's own time is measured). Scale: bench/latency.py's synthetic corpus and stand-in embedder at
each size, indexed by both backends (chunks/s of the whole build without the model), then 200 queries
through ``Retriever.search``, alternating backends, p50/p95; and one changed article re-indexed.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import EVAL_DIR, OUT_DIR
from bench.latency import make_queries, percentiles, write_corpus
from rag.embed.base import Embedder
from rag.embed.factory import create_embedder
from rag.eval.metrics import article_rank, gold_aliases, gold_article, load_questions, ranking_metrics
from rag.indexing.backend import build_index, close_connections
from rag.retrieve.retriever import Retriever
from rag.settings import Settings
from rag.text.language import detect_language
from rag.text.query import make_query

BACKENDS = ("local", "milvus")
QUICK_SETS, ALL_SETS = ["facqa-valid", "xquad-en"], ["facqa-valid", "xquad-en", "idk-mrc-valid", "tydiqa-id-valid"]
KS = (1, 5, 20)


class CachedEmbedder(Embedder):
    """The real embedder, each text embedded once: the second backend gets exactly the first one's vectors."""

    def __init__(self, inner: Embedder) -> None:
        super().__init__(inner.model_setting, inner.batch_size)
        self.inner = inner
        self.cache: dict[tuple[str, bool], np.ndarray] = {}  # (text, is a query) -> vector
        self.languages, self.runtime = inner.languages, inner.runtime

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def _embed(self, texts: list[str], query: bool) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if (t, query) not in self.cache]
        if missing:
            for text, row in zip(missing, self.inner._embed(missing, query)):
                self.cache[(text, query)] = np.asarray(row, dtype=np.float32)
        return np.stack([self.cache[(t, query)] for t in texts])


def settings_for(backend: str, root: Path, name: str) -> Settings:
    return Settings.load({"index_dir": root / backend, "index_name": name, "store_backend": backend}, env={})


def timed_build(folder: Path, settings: Settings, embedder: Embedder) -> tuple[float, int]:
    start = time.perf_counter()
    report = build_index(folder, settings, embedder)
    return time.perf_counter() - start, report.chunks_embedded


def recall(name: str, out: Path, embedder: CachedEmbedder) -> dict:
    questions = [q for q in load_questions(EVAL_DIR / name / "questions.jsonl") if q.article_id is not None]
    result: dict[str, Any] = {"set": name, "questions": len(questions)}
    with tempfile.TemporaryDirectory(prefix=f"backends-{name}-") as corpus:
        shutil.copy(EVAL_DIR / name / "articles.jsonl", Path(corpus) / "articles.jsonl")
        for backend in BACKENDS:
            shutil.rmtree(out / backend / name, ignore_errors=True)
            seconds, chunks = timed_build(Path(corpus), settings_for(backend, out, name), embedder)
            result[f"{backend} build_s"], result["chunks"] = seconds, chunks
    queries = [(make_query(q.question, detect_language(q.question)), embedder.encode_query(q.question))
               for q in questions]
    for backend in BACKENDS:
        settings = settings_for(backend, out, name)
        retriever = Retriever(settings, embedder)
        index = retriever.index
        article_of = {c.id: c.article_id for c in index.store.all_chunks()}
        alias = gold_aliases(index.store)
        ranks: dict[str, list] = {"dense": [], "lexical": [], "fused": []}
        search_seconds: list[float] = []
        for q, (query, embedding) in zip(questions, queries):
            gold = gold_article(q, alias)
            dense, lexical, fused = retriever.leg_scores(query, settings.candidates, embedding)
            for leg, scores in (("dense", dense), ("lexical", lexical), ("fused", fused)):
                ranks[leg].append(article_rank(scores, gold, article_of))
            start = time.perf_counter()
            retriever.search(query)
            search_seconds.append(time.perf_counter() - start)
        for leg, values in ranks.items():
            result[f"{backend} {leg}"] = ranking_metrics(values, KS)
        result[f"{backend} search_ms"] = percentiles(search_seconds)
    close_connections()
    return result


def scale(chunks: int, out: Path, queries: int) -> dict:
    root = out / f"scale-{chunks}"
    shutil.rmtree(root, ignore_errors=True)
    embedder = write_corpus(root / "articles", chunks)
    result: dict[str, Any] = {"target_chunks": chunks}
    for backend in BACKENDS:
        seconds, embedded = timed_build(root / "articles", settings_for(backend, root, "synthetic"), embedder)
        result[f"{backend} build_s"], result["chunks"] = seconds, embedded
        print(f"  {backend}: {embedded} chunks in {seconds:.1f}s", flush=True)
    picked = make_queries(root / "local" / "synthetic", queries)
    retrievers = {b: Retriever(settings_for(b, root, "synthetic"), embedder) for b in BACKENDS}
    times: dict[str, list[float]] = {b: [] for b in BACKENDS}
    for i, q in enumerate(picked):
        embedder.queries[q["text"]] = np.asarray(q["vector"], dtype=np.float32)
        for backend in (BACKENDS if i % 2 else BACKENDS[::-1]):
            start = time.perf_counter()
            retrievers[backend].search(q["text"])
            times[backend].append(time.perf_counter() - start)
    for backend in BACKENDS:
        result[f"{backend} search_ms"] = percentiles(times[backend])
    first = sorted((root / "articles").glob("*.jsonl"))[0]
    lines = first.read_text(encoding="utf-8").splitlines()
    article = json.loads(lines[0])
    article["text"] += " Satu kalimat baru ditambahkan."
    first.write_text("\n".join([json.dumps(article)] + lines[1:]) + "\n", encoding="utf-8")
    for backend in BACKENDS:
        result[f"{backend} one_change_s"] = timed_build(root / "articles", settings_for(backend, root, "synthetic"),
                                                        embedder)[0]
    close_connections()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--sets", help="comma-separated eval sets (default: facqa-valid,xquad-en; --full: all four)")
    parser.add_argument("--sizes", help="chunk counts for the scale runs (default 10000; --full: 10000,100000)")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--out", type=Path, default=OUT_DIR / "backends")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    sets = args.sets.split(",") if args.sets is not None else ALL_SETS if args.full else QUICK_SETS
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else [10_000, 100_000] if args.full else [10_000]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    settings = Settings.load(env={})
    embedder = CachedEmbedder(create_embedder(settings.embed_model, settings.embed_batch_size))
    results = []
    for name in [s for s in sets if s]:
        results.append(recall(name, args.out, embedder))
        r = results[-1]
        print(f"\n{name}: {r['questions']} questions, {r['chunks']} chunks")
        print("| backend | leg | R@1 | R@5 | R@20 | MRR@10 |\n|---|---|---|---|---|---|")
        for backend in BACKENDS:
            for leg in ("dense", "lexical", "fused"):
                m = r[f"{backend} {leg}"]
                print(f"| {backend} | {leg} | {m['recall@1']:.3f} | {m['recall@5']:.3f} | {m['recall@20']:.3f} "
                      f"| {m['mrr@10']:.3f} |")
        print("search p50/p95 ms: " + ", ".join(f"{b} {r[f'{b} search_ms'][0]:.1f}/{r[f'{b} search_ms'][1]:.1f}"
                                                  for b in BACKENDS), flush=True)
    for size in sizes:
        print(f"\nscale {size} chunks", flush=True)
        r = scale(size, args.out, args.queries)
        results.append(r)
        for backend in BACKENDS:
            p50, p95 = r[f"{backend} search_ms"]
            print(f"| {backend} | {r['chunks']} | {r['chunks'] / r[f'{backend} build_s']:.0f} chunks/s "
                  f"| search p50 {p50:.1f} ms, p95 {p95:.1f} ms "
                  f"| one changed article {r[f'{backend} one_change_s']:.1f} s |",
                  flush=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
