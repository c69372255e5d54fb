"""Fusing the dense and lexical rankings into one.

Plain reciprocal-rank fusion treats both legs as equally good, which drags the result below the better
leg when one is much weaker (with the English-only MiniLM on Indonesian news: facqa-valid R@5 BM25
0.920, RRF 0.785). Here each leg's scores are min-max normalised over its candidates and mixed with a
weight that depends on whether the embedder knows the query's language (``embed_languages``; "auto"
asks the model). Measured by ``bench/retrieval.py`` on ../shared/eval: with the default multilingual-e5
every language gets ``dense_weight`` 0.5, which beats both legs on Indonesian and English sets; with
MiniLM, Indonesian questions are best served by BM25 alone (``dense_weight_foreign`` 0).
"""
from __future__ import annotations


def normalise(scores: dict[int, float]) -> dict[int, float]:
    """Scale scores to [0, 1] over the candidates (all equal -> all 1)."""
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    if high - low < 1e-9:
        return {key: 1.0 for key in scores}
    return {key: (value - low) / (high - low) for key, value in scores.items()}


def weighted_fusion(dense: dict[int, float], lexical: dict[int, float], dense_weight: float) -> dict[int, float]:
    """``dense_weight * dense + (1 - dense_weight) * lexical`` on normalised scores; absent = 0."""
    dn, ln = normalise(dense), normalise(lexical)
    return {key: dense_weight * dn.get(key, 0.0) + (1.0 - dense_weight) * ln.get(key, 0.0)
            for key in dn.keys() | ln.keys()}


def rrf_fusion(dense: dict[int, float], lexical: dict[int, float], k: int = 60) -> dict[int, float]:
    """Reciprocal-rank fusion (kept as the baseline the benchmark compares against)."""
    fused: dict[int, float] = {}
    for leg in (dense, lexical):
        for rank, key in enumerate(sorted(leg, key=leg.get, reverse=True)):
            fused[key] = fused.get(key, 0.0) + 1.0 / (k + rank + 1)
    return fused
