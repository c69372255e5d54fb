"""What the benchmarks share: where the evaluation sets are, where built indexes are cached, and one eval
set's articles indexed there."""
from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from rag.embed.base import Embedder
from rag.indexing.builder import build_index
from rag.settings import Settings

BENCH = Path(__file__).resolve().parent
EVAL_DIR = BENCH.parent.parent / "shared" / "eval"  # ../shared/eval from the project root (see bench/README.md)
OUT_DIR = BENCH / "out"  # built indexes and caches; not committed


def index_eval_set(name: str, eval_dir: Path, out_dir: Path, embedder: Embedder) -> Settings:
    """Index only the set's articles.jsonl (never questions.jsonl) into out_dir/index-<name> (incremental, so
    later runs reuse the embeddings); the settings that open it."""
    settings = Settings.load({"index_dir": out_dir, "index_name": f"index-{name}"})
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as corpus:
        shutil.copy(eval_dir / name / "articles.jsonl", Path(corpus) / "articles.jsonl")
        start = time.perf_counter()
        report = build_index(Path(corpus), settings, embedder)
    print(f"index {name}: {len(report.added)} added, {report.unchanged} unchanged, "
          f"{len(report.duplicates)} duplicates merged, {report.chunks_embedded} chunks embedded, "
          f"{len(report.problems)} problems ({time.perf_counter() - start:.1f}s)", flush=True)
    return settings
