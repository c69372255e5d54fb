"""Query latency at 1k / 10k / 100k chunks: the product's retrieval against raw FAISS + bm25s calls.

    python -m bench.latency                 # 1k and 10k chunks, 300 queries each
    python -m bench.latency --full          # adds 100k chunks
    python -m bench.latency --full --dense-only 300000 --real   # + dense leg alone at 300k, real-vector recall

Per size, a synthetic corpus (JSONL articles of Indonesian- and English-like text: real function words
plus made-up content words with Zipf frequencies, 40 words per topic) is indexed by the real
`build_index` with a stand-in embedder: a subclass of `rag.embed.base.Embedder` that returns
deterministic clustered unit vectors (topic centre -> article -> chunk, 384 dimensions) instead of
running MiniLM (100k chunks would take ~45 min). The exact index is then switched to `vector_index=ivf`
by a second `build_index` (re-encodes the stored vectors, nothing re-embedded).

Queries are 4-7 words of a random chunk with that chunk's vector plus noise. Each layout is queried
in a fresh subprocess, so its RSS growth after opening the index is the index's RAM: per query, in
alternating order, the product path (`Retriever.search`: language detection, stemming, both legs,
fusion, SQLite lookup; the query vector is looked up, not embedded) and the raw calls on the same
loaded objects (`faiss.Index.search` + `bm25s.BM25.retrieve` on pre-stemmed tokens, `candidates` hits
each). Also reported: the dense leg's recall@10 against exact search, build times, disk sizes, and
(without --no-embed) the time to embed one query with the real embedder, which adds to every search.
A second table sweeps ``nprobe`` for the dense leg alone (IVF against exact, same loop); --dense-only
adds sizes to it from vectors alone (no text, no build_index). --real adds the IVF recall of real embedder
vectors (the indexes bench/retrieval.py caches in bench/out) for real eval questions.
"""
from __future__ import annotations

import argparse
import json
import math
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from datetime import date
from pathlib import Path

import numpy as np

from bench.common import BENCH, EVAL_DIR, OUT_DIR
from rag.embed.base import Embedder
from rag.embed.factory import create_embedder
from rag.indexing.builder import build_index
from rag.indexing.reader import LEXICAL_DIR, STORE_FILE, VECTORS_FILE, Index
from rag.indexing.vectors import EXACT, IVF, Layout, VectorIndex, wanted_layout
from rag.settings import Settings
from rag.text.language import STOPWORDS
from rag.text.tokens import tokenize

DIM = 384
CHUNKS_PER_ARTICLE = 7  # ~5,600 characters per article at chunk_chars=800
# Noise norms relative to a unit topic centre. Chosen so that IVF recall on these vectors is about what it
# is on real embedder vectors for real questions (--real): queries sit away from any one chunk, as questions do.
SPREAD = {"article": 1.5, "chunk": 0.8, "query": 2.0}
DRIFT = 0.6  # a direction shared by every topic (real embeddings are anisotropic)
SWEEP = (16, 32, 64, 128, 256)


def _words(rng: np.random.Generator, count: int, language: str) -> list[str]:
    """Made-up content words: Indonesian-like (me-/ber-/-kan) or English-like (-ing/-ed/-tion)."""
    onsets = list("bdgjklmnprstw") if language == "id" else ["b", "br", "c", "cl", "d", "f", "gr", "h", "l",
                                                             "m", "n", "p", "pr", "s", "st", "t", "tr", "w"]
    affixes = (["me", "ber", "di", "ter", "pe", ""], ["kan", "an", "nya", "", "", ""]) if language == "id" \
        else (["re", "un", "", "", "", ""], ["ing", "ed", "tion", "s", "", ""])
    words: set[str] = set()
    while len(words) < count:
        stem = "".join(rng.choice(onsets) + rng.choice(list("aiueo")) for _ in range(rng.integers(2, 4)))
        words.add(rng.choice(affixes[0]) + stem + rng.choice(affixes[1]))
    return sorted(words)


class Vocabulary:
    """Per language: function words first, then content words; Zipf-Mandelbrot frequencies over ranks."""

    def __init__(self, rng: np.random.Generator, language: str, size: int = 20_000) -> None:
        function_words = sorted(w for w in STOPWORDS[language] if " " not in w)
        self.words = np.array(function_words + _words(rng, size, language))
        weights = 1.0 / (np.arange(len(self.words)) + 2.7)
        self.p = weights / weights.sum()
        self.topics = [rng.choice(self.words[len(function_words) + 200:len(function_words) + 6000], 40)
                       for _ in range(64)]

    def sentence(self, rng: np.random.Generator, topic: int) -> str:
        words = list(rng.choice(self.words, int(rng.integers(8, 20)), p=self.p))
        for _ in range(int(rng.integers(1, 4))):
            words.insert(int(rng.integers(0, len(words))), str(rng.choice(self.topics[topic % 64])))
        if rng.random() < 0.3:
            words.insert(int(rng.integers(0, len(words))), f"{int(rng.integers(2, 90_000)):,}".replace(",", "."))
        return " ".join(words).capitalize() + "."


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


class SyntheticEmbedder(Embedder):
    """Deterministic clustered vectors instead of MiniLM: article centre + noise seeded by the chunk text.

    The article is recognised by the first line of the embedding input (``"Title (date)"``); queries are
    looked up in ``queries`` (text -> vector), so the product's query path runs without a model.
    """

    def __init__(self, article_vectors: dict[str, np.ndarray]) -> None:
        super().__init__("synthetic")
        self.article_vectors = article_vectors
        self.queries: dict[str, np.ndarray] = {}

    @property
    def dimension(self) -> int:
        return DIM

    def encode(self, texts, *, progress: bool = False, on_batch=None) -> np.ndarray:
        rows = [self.article_vectors[t.split("\n", 1)[0]]
                + np.random.default_rng(zlib.crc32(t.encode())).standard_normal(DIM) * SPREAD["chunk"] / math.sqrt(DIM)
                for t in texts]
        if on_batch is not None:
            on_batch(len(rows))
        return _unit(np.array(rows)) if rows else np.zeros((0, DIM), np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        return self.queries[text]


def article_vectors(rng: np.random.Generator, articles: int) -> tuple[np.ndarray, np.ndarray]:
    """Each article's topic and unit vector (its topic centre plus noise); one topic per 30 articles."""
    topics = max(8, articles // 30)
    centres = _unit(rng.standard_normal((topics, DIM)) + DRIFT * rng.standard_normal(DIM))
    topic_of = rng.integers(0, topics, articles)
    noise = rng.standard_normal((articles, DIM)) * SPREAD["article"] / math.sqrt(DIM)
    return topic_of, _unit(centres[topic_of] + noise)


def dense_only(chunks: int, queries: int) -> list[dict]:
    """The dense leg alone at ``chunks`` vectors of the same structure, without text or build_index."""
    rng = np.random.default_rng(0)
    articles = article_vectors(rng, max(1, chunks // CHUNKS_PER_ARTICLE))[1]
    vectors = np.empty((len(articles) * CHUNKS_PER_ARTICLE, DIM), np.float32)
    for start in range(0, len(vectors), 50_000):
        rows = np.arange(start, min(start + 50_000, len(vectors)))
        noise = rng.standard_normal((len(rows), DIM)) * SPREAD["chunk"] / math.sqrt(DIM)
        vectors[rows] = _unit(articles[rows // CHUNKS_PER_ARTICLE] + noise)
    picked = rng.choice(len(vectors), queries, replace=False)
    noise = rng.standard_normal((queries, DIM)) * SPREAD["query"] / math.sqrt(DIM)
    query_list = [{"vector": v.tolist()} for v in _unit(vectors[picked] + noise)]
    ids = np.arange(len(vectors), dtype=np.int64)
    started = time.perf_counter()
    ivf = VectorIndex.build(wanted_layout(IVF, len(ids), 0, Settings().ivf_nprobe), ids, vectors, DIM)
    build_s = time.perf_counter() - started
    return [{**row, "build_s": build_s} for row in
            nprobe_sweep(VectorIndex.build(Layout(EXACT), ids, vectors, DIM), ivf, query_list)]


def write_corpus(folder: Path, chunks: int, seed: int = 0) -> SyntheticEmbedder:
    """About ``chunks`` chunks of synthetic articles as JSONL in ``folder``; returns the matching embedder."""
    rng = np.random.default_rng(seed)
    vocabularies = {lang: Vocabulary(rng, lang) for lang in ("id", "en")}
    articles = max(1, chunks // CHUNKS_PER_ARTICLE)
    topic_of, article_units = article_vectors(rng, articles)
    vectors: dict[str, np.ndarray] = {}
    lines: list[str] = []
    folder.mkdir(parents=True)
    for i in range(articles):
        language, topic = ("id", "en")[i % 2], int(topic_of[i])
        vocabulary = vocabularies[language]
        title = f"Artikel {i} " + " ".join(vocabulary.topics[topic % 64][:3])
        published = f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}"
        sentences, length = [], 0
        while length < 800 * CHUNKS_PER_ARTICLE * 0.8:
            sentences.append(vocabulary.sentence(rng, topic))
            length += len(sentences[-1]) + 1
        lines.append(json.dumps({"id": f"a{i}", "title": title, "published": published, "text": " ".join(sentences)}))
        vectors[f"{title} ({published})"] = article_units[i]
    for start in range(0, articles, 1000):  # files well under max_file_mb
        (folder / f"articles-{start // 1000:03d}.jsonl").write_text("\n".join(lines[start:start + 1000]) + "\n",
                                                                   encoding="utf-8")
    return SyntheticEmbedder(vectors)


def make_queries(index_path: Path, count: int, seed: int = 1) -> list[dict]:
    """``count`` queries: words of a random chunk, that chunk's vector plus noise, exact top-10 ids."""
    rng = np.random.default_rng(seed)
    with Index.open(index_path) as index:
        ids, vectors = index.vectors.arrays()
        picked = rng.choice(len(ids), count, replace=False)
        chunks = index.store.chunks([int(ids[i]) for i in picked])
        queries = []
        for row in picked:
            words = chunks[int(ids[row])].text.rstrip(".").split()
            start = int(rng.integers(0, max(1, len(words) - 8)))
            text = " ".join(words[start:start + int(rng.integers(4, 8))]) + "?"
            noise = rng.standard_normal(DIM) * SPREAD["query"] / math.sqrt(DIM)
            queries.append({"text": text, "vector": _unit(vectors[row] + noise).tolist()})
        truth = (np.array([q["vector"] for q in queries], np.float32) @ vectors.T).argsort(axis=1)[:, ::-1][:, :10]
        for query, top in zip(queries, truth):
            query["exact_top10"] = ids[top].tolist()
    return queries


def folder_mb(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 1e6


def disk_sizes(index_path: Path) -> dict[str, float]:
    with Index.open(index_path) as index:
        folder = index.folder
    return {"vectors_mb": folder_mb(folder / VECTORS_FILE), "lexical_mb": folder_mb(folder / LEXICAL_DIR),
            "store_mb": folder_mb(folder / STORE_FILE), "total_mb": folder_mb(folder)}


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentiles(seconds: list[float]) -> tuple[float, float]:
    """(p50, p95) in milliseconds."""
    ms = np.array(seconds) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def worker(settings_json: str, queries_file: str) -> None:
    """Subprocess: open the index through a Retriever, time product vs raw per query, print JSON."""
    from rag.indexing.lexical import _bm25s
    from rag.indexing.vectors import _faiss
    from rag.retrieve.retriever import Retriever
    from rag.text.language import detect_language

    settings = Settings.load(json.loads(settings_json), env={})
    queries = json.loads(Path(queries_file).read_text())
    embedder = SyntheticEmbedder({})
    embedder.queries = {q["text"]: np.array(q["vector"], np.float32) for q in queries}
    retriever = Retriever(settings, embedder)
    _faiss(), _bm25s(), tokenize("kata", "id"), tokenize("word", "en")  # libraries: not the index's RAM
    before = rss_mb()
    index = retriever.index
    retriever.search(queries[0]["text"])  # first-query costs (stemmer tables, SQLite pages) outside the timings
    loaded = rss_mb()
    faiss_index, bm25 = index.vectors._index, index.lexical._retriever
    n = settings.candidates
    prepared = [(np.array(q["vector"], np.float32)[None], [tokenize(q["text"], detect_language(q["text"]))])
                for q in queries]
    product, raw, dense, lexical, recall, dense_omp = [], [], [], [], [], []
    default_threads = _faiss().omp_get_max_threads()
    _faiss().omp_set_num_threads(1)  # the raw calls run single-threaded like the product's search
    for i, (query, (vector, tokens)) in enumerate(zip(queries, prepared)):
        for step in ((0, 1) if i % 2 else (1, 0)):
            started = time.perf_counter()
            if step == 0:
                retriever.search(query["text"])
                product.append(time.perf_counter() - started)
                continue
            faiss_index.search(vector, n)
            middle = time.perf_counter()
            bm25.retrieve(tokens, k=min(n, len(index.lexical.chunk_ids)), show_progress=False, n_threads=1)
            end = time.perf_counter()
            raw.append(end - started)
            dense.append(middle - started)
            lexical.append(end - middle)
        top = [cid for cid, _ in index.vectors.search(vector[0], 10)]
        recall.append(len(set(top) & set(query["exact_top10"])) / 10)
    _faiss().omp_set_num_threads(default_threads)  # last: its idle OpenMP thread spins on after each call
    for vector, _ in prepared:
        started = time.perf_counter()
        faiss_index.search(vector, n)
        dense_omp.append(time.perf_counter() - started)
    print(json.dumps({"ram_mb": loaded - before, "product": percentiles(product), "raw": percentiles(raw),
                      "raw_dense": percentiles(dense), "raw_bm25": percentiles(lexical),
                      "dense_omp": percentiles(dense_omp),
                      "recall10": statistics.fmean(recall), "layout": index.vectors.layout.describe()}))


def run_worker(settings: Settings, queries_file: Path) -> dict:
    values = {"index_dir": str(settings.index_dir), "index_name": settings.index_name,
              "candidates": settings.candidates, "top_k": settings.top_k}
    done = subprocess.run([sys.executable, "-m", "bench.latency", "--worker", json.dumps(values), str(queries_file)],
                          capture_output=True, text=True, check=True, cwd=BENCH.parent)
    return json.loads(done.stdout.strip().splitlines()[-1])


def nprobe_sweep(exact: VectorIndex, ivf: VectorIndex, queries: list[dict]) -> list[dict]:
    """Dense leg only, in this process: recall@10/@50 and p50 of IVF per nprobe, and the exact p50 in the same loop."""
    vectors = [np.array(q["vector"], np.float32) for q in queries]
    rows = []
    for nprobe in [p for p in SWEEP if p <= ivf.layout.lists]:
        ivf = ivf.with_layout(Layout(IVF, ivf.layout.lists, nprobe))
        exact_s, ivf_s, r10, r50 = [], [], [], []
        for vector in vectors:
            started = time.perf_counter()
            truth = [cid for cid, _ in exact.search(vector, 50)]
            middle = time.perf_counter()
            found = [cid for cid, _ in ivf.search(vector, 50)]
            ivf_s.append(time.perf_counter() - middle)
            exact_s.append(middle - started)
            r10.append(len(set(found[:10]) & set(truth[:10])) / 10)
            r50.append(len(set(found) & set(truth)) / 50)
        rows.append({"chunks": len(exact), "layout": ivf.layout.describe(), "recall10": statistics.fmean(r10),
                     "recall50": statistics.fmean(r50), "ivf": percentiles(ivf_s), "exact": percentiles(exact_s)})
    return rows


def measure_size(chunks: int, queries: int, tmp: Path, sweeps: list[dict]) -> list[dict]:
    """Build the exact and the IVF index of one synthetic corpus and query both; one row per layout.

    Appends the dense-leg nprobe sweep of this size to ``sweeps``.
    """
    corpus = tmp / f"articles-{chunks}"
    embedder = write_corpus(corpus, chunks)
    exact = Settings.load({"index_dir": tmp / f"index-{chunks}", "index_name": EXACT, "vector_index": EXACT}, env={})
    started = time.perf_counter()
    problems = build_index(corpus, exact, embedder).problems
    assert not problems, problems
    exact_build = time.perf_counter() - started
    approx = Settings.load({"index_dir": exact.index_dir, "index_name": IVF, "vector_index": IVF}, env={})
    shutil.copytree(exact.index_path, approx.index_path)
    started = time.perf_counter()
    report = build_index(corpus, approx, embedder)  # re-encodes the vectors only
    switch_build = time.perf_counter() - started
    with Index.open(exact.index_path) as index:
        ids, vectors = index.vectors.arrays()
    layout = wanted_layout(IVF, len(ids), 0, approx.ivf_nprobe)
    started = time.perf_counter()
    ivf = VectorIndex.build(layout, ids, vectors, DIM)
    ivf_build = time.perf_counter() - started
    query_list = make_queries(exact.index_path, queries)
    queries_file = tmp / f"queries-{chunks}.json"
    queries_file.write_text(json.dumps(query_list))
    sweeps.extend({**row, "build_s": ivf_build}
                  for row in nprobe_sweep(VectorIndex.build(Layout(EXACT), ids, vectors, DIM), ivf, query_list))
    rows = []
    for settings, build_s in ((exact, exact_build), (approx, ivf_build)):
        rows.append({"chunks": len(ids), "build_s": build_s, "switch_s": switch_build if settings is approx else None,
                     "switch": report.vector_index_change if settings is approx else None,
                     **disk_sizes(settings.index_path), **run_worker(settings, queries_file)})
    shutil.rmtree(corpus)
    return rows


def embed_latency(count: int = 100) -> tuple[float, float]:
    """p50/p95 ms of embedding one query with the real embedder (added to every product search)."""
    embedder = create_embedder(Settings().embed_model)
    embedder.encode_query("pemanasan")
    texts = [f"Berapa warga yang mengungsi karena banjir nomor {i}?" for i in range(count)]
    times = []
    for text in texts:
        started = time.perf_counter()
        embedder.encode_query(text)
        times.append(time.perf_counter() - started)
    return percentiles(times)


def real_recall(nprobe: int) -> str | None:
    """IVF recall@10/@50 on real embedder vectors (bench/out/index-*) for real eval questions, or None."""
    folders = [p for p in sorted(OUT_DIR.glob("index-*")) if (p / "CURRENT").exists()]
    question_files = sorted(EVAL_DIR.glob("*/questions.jsonl"))
    if not folders or not question_files:
        return None
    parts = []
    for folder in folders:
        with Index.open(folder) as index:
            parts.append(index.vectors.arrays())
    ids = np.arange(sum(len(p[0]) for p in parts))
    vectors = np.vstack([p[1] for p in parts])
    questions = [json.loads(line)["question"] for f in question_files
                 for line in f.read_text(encoding="utf-8").splitlines()[:150]]
    query_vectors = create_embedder(Settings().embed_model).encode(questions)
    truth = (query_vectors @ vectors.T).argsort(axis=1)[:, ::-1]
    ivf = VectorIndex.build(wanted_layout(IVF, len(ids), 0, nprobe), ids, vectors, vectors.shape[1])
    lines = [f"real vectors ({Settings().embed_model}): {len(ids)} chunks of bench/out/index-*, "
             f"{len(questions)} eval questions"]
    for probe in sorted({8, 16, nprobe, 2 * nprobe}):
        ivf = ivf.with_layout(Layout(IVF, ivf.layout.lists, probe))
        found = [[cid for cid, _ in ivf.search(q, 50)] for q in query_vectors]
        r10 = statistics.fmean(len(set(f[:10]) & set(t[:10])) / 10 for f, t in zip(found, truth))
        r50 = statistics.fmean(len(set(f) & set(t[:50])) / 50 for f, t in zip(found, truth))
        lines.append(f"  ivf lists={ivf.layout.lists} nprobe={probe}: recall@10 {r10:.3f}, recall@50 {r50:.3f}")
    return "\n".join(lines)


def print_table(rows: list[dict]) -> None:
    print("| chunks | layout | build s | dense recall@10 | raw p50 / p95 ms (FAISS + BM25) | raw FAISS p50 "
          "| raw BM25 p50 | FAISS p50, default threads | product p50 / p95 ms | product / raw (p50) | RAM MB "
          "| disk MB (vectors / total) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        build = f"{r['build_s']:.1f}" + (f" (switch {r['switch_s']:.1f})" if r["switch_s"] is not None else "")
        print(f"| {r['chunks']:,} | {r['layout']} | {build} | {r['recall10']:.3f} "
              f"| {r['raw'][0]:.2f} / {r['raw'][1]:.2f} | {r['raw_dense'][0]:.2f} | {r['raw_bm25'][0]:.2f} "
              f"| {r['dense_omp'][0]:.2f} "
              f"| {r['product'][0]:.2f} / {r['product'][1]:.2f} | {r['product'][0] / r['raw'][0]:.2f} "
              f"| {r['ram_mb']:.0f} | {r['vectors_mb']:.1f} / {r['total_mb']:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated chunk counts")
    parser.add_argument("--full", action="store_true", help="adds 100,000 chunks")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--no-embed", action="store_true", help="skip timing the real query embedding")
    parser.add_argument("--real", action="store_true", help="IVF recall on real vectors from bench/out")
    parser.add_argument("--dense-only", default="", help="comma-separated chunk counts for the dense leg alone "
                        "(vectors only: no text, no build_index), e.g. 300000")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    sizes = [int(s) for s in args.sizes.split(",") if s] + ([100_000] if args.full else [])
    rows: list[dict] = []
    sweeps: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            rows += measure_size(size, args.queries, Path(tmp), sweeps)
            print(f"measured {size:,} chunks", file=sys.stderr)
    for size in [int(s) for s in args.dense_only.split(",") if s]:
        sweeps += dense_only(size, args.queries)
    print(f"{date.today()}, {args.queries} queries per size, candidates={Settings().candidates}, "
          f"ivf_nprobe={Settings().ivf_nprobe}\n")
    if rows:
        print_table(rows)
    print("\nDense leg alone, IVF per nprobe against exact search (same loop, one thread):\n")
    print("| chunks | IVF layout | IVF build s | recall@10 | recall@50 | IVF p50 / p95 ms | exact p50 / p95 ms "
          "| exact / IVF (p50) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in sweeps:
        print(f"| {r['chunks']:,} | {r['layout']} | {r['build_s']:.1f} | {r['recall10']:.3f} | {r['recall50']:.3f} "
              f"| {r['ivf'][0]:.2f} / {r['ivf'][1]:.2f} | {r['exact'][0]:.2f} / {r['exact'][1]:.2f} "
              f"| {r['exact'][0] / r['ivf'][0]:.1f} |")
    if not args.no_embed:
        p50, p95 = embed_latency()
        print(f"\nquery embedding (real embedder, one query): p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    if args.real:
        print("\n" + (real_recall(Settings().ivf_nprobe) or "no cached bench/out indexes or eval questions"))


if __name__ == "__main__":
    main()
