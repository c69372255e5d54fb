"""Finished experiments: each decided something the product now does (bench/RESULTS.md says what), kept so
its numbers can be re-run: ``.venv/bin/python -m bench.experiments.fusion_lab run``."""
