"""Where the benchmark scripts find the evaluation sets and keep what they build."""
from pathlib import Path

BENCH = Path(__file__).resolve().parent
EVAL_DIR = BENCH.parent.parent / "shared" / "eval"  # ../shared/eval from the project root (see bench/README.md)
OUT_DIR = BENCH / "out"  # built indexes and caches; not committed
