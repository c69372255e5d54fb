"""Baseline comparison on ../shared/eval: a LangChain-quickstart pipeline against this product.

The LangChain pipeline is the quickstart as a user would write it: one ``Document`` per article,
``RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)``, ``HuggingFaceEmbeddings`` with
the bundled all-MiniLM-L6-v2 folder (the product's fast English embedder), ``FAISS.from_documents`` and
``similarity_search``. Its chunk hits are mapped to articles and scored at article level next to the
product's fused retrieval and its two legs alone (BM25, dense), computed by bench/retrieval.py's
``run_set`` on the same questions. Needs the bench extra: ``pip install -e '.[bench]'``.

    python -m bench.experiments.baselines                    # every set, first 300 answerable questions each
    python -m bench.experiments.baselines --full --fresh     # every question; rebuild both indexes to time them
    python -m bench.experiments.baselines --sets xquad-en --no-product
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import tempfile
import time
import warnings
from pathlib import Path

import rag  # noqa: F401  (sets HF_HUB_OFFLINE and friends before any Hugging Face import)
from bench.common import EVAL_DIR, OUT_DIR
from bench.retrieval import ALL_SETS, FUSED_DEFAULT, KS, QUICK_LIMIT, run_set
from rag.embed.base import Embedder
from rag.embed.factory import create_embedder
from rag.embed.files import resolve_embedder
from rag.eval.metrics import EvalQuestion, answer_rank, article_rank, gold_article, load_questions, ranking_metrics
from rag.settings import Settings

LANGCHAIN_EMBEDDER = "all-MiniLM-L6-v2"  # what the LangChain quickstart user picks: the popular English model

CHUNK_SIZE, CHUNK_OVERLAP = 1000, 200  # the LangChain RAG tutorial's values
FETCH_K = 60  # chunks per similarity_search; doubled while fewer than max(KS) distinct articles come back


# --- the LangChain quickstart ----------------------------------------------------------------------
def langchain_embeddings():
    """HuggingFaceEmbeddings on the bundled MiniLM folder (quickstart defaults otherwise)."""
    from langchain_huggingface import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(model_name=str(resolve_embedder(LANGCHAIN_EMBEDDER)))


def load_documents(articles: Path) -> list:
    """One Document per article: the title (when there is one) and the text, with the id as metadata."""
    from langchain_core.documents import Document

    docs = []
    for line in articles.read_text(encoding="utf-8").splitlines():
        if line.strip():
            obj = json.loads(line)
            text = f"{obj['title']}\n\n{obj['text']}" if obj.get("title") else obj["text"]
            docs.append(Document(page_content=text, metadata={"id": obj["id"]}))
    return docs


def build_langchain(articles: Path, folder: Path, embeddings, fresh: bool) -> tuple[object, float, bool, int]:
    """The FAISS store of ``articles``: loaded from ``folder`` when built before from the same file.

    Returns (store, build seconds (recorded at build time when loaded), whether it was loaded from
    the cache, number of chunks).
    """
    from langchain_community.vectorstores import FAISS
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    start = time.perf_counter()
    signature = {"articles_sha256": hashlib.sha256(articles.read_bytes()).hexdigest(),
                 "model": Path(embeddings.model_name).name, "chunk_size": CHUNK_SIZE,
                 "chunk_overlap": CHUNK_OVERLAP}
    meta = folder / "signature.json"
    recorded = json.loads(meta.read_text()) if meta.is_file() else {}
    if not fresh and recorded.get("signature") == signature:
        # The docstore is a pickle: fine here, this script wrote it.
        store = FAISS.load_local(str(folder), embeddings, allow_dangerous_deserialization=True)
        return store, recorded["build_s"], True, store.index.ntotal
    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
    chunks = splitter.split_documents(load_documents(articles))
    store = FAISS.from_documents(chunks, embeddings)
    seconds = time.perf_counter() - start
    store.save_local(str(folder))
    meta.write_text(json.dumps({"signature": signature, "build_s": seconds, "chunks": len(chunks)}))
    return store, seconds, False, len(chunks)


def langchain_ranks(store, question: EvalQuestion) -> tuple[int | None, int | None]:
    """Ranks from the similarity_search hits: of the gold article among the distinct articles, and of
    the first of the top 5 chunks that contains a gold answer (None = not found)."""
    k, total = FETCH_K, store.index.ntotal
    while True:  # similarity_search is this call without the scores
        hits = store.similarity_search_with_score(question.question, k=min(k, total))
        ids = [doc.metadata["id"] for doc, _ in hits]
        if len(set(ids)) >= max(KS) or k >= total:
            break
        k *= 2
    scores = {i: -float(d) for i, (_, d) in enumerate(hits)}  # L2 distance, lower is better
    texts = {i: doc.page_content for i, (doc, _) in enumerate(hits)}
    return (article_rank(scores, gold_article(question, {}), dict(enumerate(ids))),
            answer_rank(scores, question.answers, texts, 5))


# --- one eval set --------------------------------------------------------------------------------
def answerable(path: Path, full: bool) -> list[EvalQuestion]:
    """The answerable questions; the first QUICK_LIMIT unless ``full`` (the selection run_set makes)."""
    questions = [q for q in load_questions(path) if q.article_id is not None]
    return questions if full else questions[:QUICK_LIMIT]


def row(label: str, ranks: list[int | None], answers: list[int | None], build: str, qps: str) -> str:
    """One table row: article-level R@k and MRR@10, answer@5 (a top-5 chunk contains a gold answer)."""
    m = ranking_metrics(ranks, KS)
    hit = ranking_metrics(answers, (5,), "answer", mrr=False)["answer@5"]
    return (f"| {label} | {m['recall@1']:.3f} | {m['recall@5']:.3f} | {m['recall@20']:.3f} "
            f"| {m['mrr@10']:.3f} | {hit:.3f} | {build} | {qps} |")


def run_langchain(name: str, args, embeddings) -> tuple[str, int]:
    """The LangChain row for one set, and the number of questions."""
    articles = args.eval_dir / name / "articles.jsonl"
    folder = args.out / f"langchain-{name}"
    folder.mkdir(parents=True, exist_ok=True)
    store, build_s, cached, n_chunks = build_langchain(articles, folder, embeddings, args.fresh)
    print(f"langchain {name}: {n_chunks} chunks, {'loaded from the cache, built' if cached else 'built'} "
          f"in {build_s:.1f}s", flush=True)
    questions = answerable(args.eval_dir / name / "questions.jsonl", args.full)
    start = time.perf_counter()
    ranks, answers = zip(*(langchain_ranks(store, q) for q in questions))
    qps = len(questions) / (time.perf_counter() - start)
    build = f"{build_s:.1f} (cached)" if cached else f"{build_s:.1f}"
    label = "LangChain quickstart (1000/200 chars, MiniLM, FAISS)"
    return row(label, list(ranks), list(answers), build, f"{qps:.1f}"), len(questions)


def run_product(name: str, args, embedder: Embedder, out: Path) -> list[str]:
    """The product's fused row and its BM25 / dense legs alone, via bench/retrieval.py's run_set."""
    ns = argparse.Namespace(eval_dir=args.eval_dir, out=out, full=args.full, weights=[])
    ranks, answers, _, timing = run_set(name, ns, embedder)
    build = f"{timing['build_s']:.1f}" + ("" if args.fresh else " (cached)")
    qps = f"{timing['qps']:.1f}"
    return [row("**product: fused (default)**", ranks[FUSED_DEFAULT], answers[FUSED_DEFAULT],
                build, qps),
            row("BM25 alone (product chunks)", ranks["lexical"], answers["lexical"], "", ""),
            row(f"dense alone (product chunks, {embedder.model_setting})", ranks["dense"], answers["dense"], "", "")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default=",".join(ALL_SETS), help="comma-separated eval folders")
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR)
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="cache for the built indexes")
    parser.add_argument("--full", action="store_true", help=f"all questions, not the first {QUICK_LIMIT}")
    parser.add_argument("--fresh", action="store_true",
                        help="rebuild the LangChain index and index the product into a temporary folder, "
                             "so both build times are measured")
    parser.add_argument("--no-product", action="store_true", help="only the LangChain rows")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    warnings.filterwarnings("ignore", message=".*langchain-community. is being sunset",
                            category=DeprecationWarning)
    settings = Settings.load()
    embeddings = langchain_embeddings()
    embedder = create_embedder(settings.embed_model, settings.embed_batch_size)
    embeddings.embed_query("warm-up")  # load both models now, not inside the first set's timing
    embedder.encode_query("warm-up")
    print(f"product embed_model={settings.embed_model}, LangChain {LANGCHAIN_EMBEDDER} "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n", flush=True)
    start = time.perf_counter()
    for name in args.sets.split(","):
        langchain_row, n = run_langchain(name, args, embeddings)
        rows = [langchain_row]
        if not args.no_product:
            with tempfile.TemporaryDirectory(prefix="bench-baselines-") as tmp:
                rows += run_product(name, args, embedder, Path(tmp) if args.fresh else args.out)
        print(f"\n### {name} ({n} answerable questions)\n\n"
              "| pipeline | R@1 | R@5 | R@20 | MRR@10 | answer@5 | index build s | query/s |\n"
              "|---|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n", flush=True)
    print(f"total {time.perf_counter() - start:.1f}s (load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
