"""The product's benchmarks (one module each), run from the repository root as modules:
``.venv/bin/python -m bench.retrieval --full``. Finished experiments are in ``bench.experiments``."""
