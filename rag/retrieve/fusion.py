"""Fusing the dense and lexical rankings into one.

Plain reciprocal-rank fusion treats both legs as equally good, which drags the result below the better
leg when one is much weaker (with the English-only MiniLM on Indonesian news: facqa-valid R@5 BM25
0.920, RRF 0.785). Both fusions here min-max normalise each leg's scores over its candidates and mix
them with a dense weight that depends on whether the embedder knows the query's language
(``embed_languages``; "auto" asks the model): 0.5 for e5 in every language; 0 (BM25 alone) for
Indonesian with MiniLM.

``adaptive_fusion`` (setting ``fusion = adaptive``, the default) also scales each passage's lexical
score by its *coverage*: the share of the question's distinct stems, weighted by BM25's idf, that the
passage contains. BM25 gives a passage a high score for matching some of the question's words, often
common ones; coverage keeps that score only as far as the passage contains the whole question, rare
words (names, numbers) counting most. So the lexical leg's say adapts to the query: when BM25's hits
match only part of the question (questions written without seeing the passage, or whose rarest words
the corpus never mentions) the dense leg decides; a passage that has the question's rare name keeps its
full lexical score and rises above passages that lack it. No new constant: coverage 1 everywhere is
``weighted_fusion``. Measured by ``bench/retrieval.py --full`` (see docs/fusion.md and bench/RESULTS.md).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

T = TypeVar("T")

# Scores within this share of the best one are a near-tie, which the newer article wins for a question about
# the present ("sekarang", "latest": rag.text.recency). Two reports of the same figure a year apart match
# such a question about equally well; what separates them is wording, not which answers better. Over the
# sample corpus plus an older report of each (the articles of tests/test_recency.py), the ferry-fare pair's
# fused scores were 0.869 / 0.862 and 0.817 / 0.811 (two wordings of the question): within a tenth. The
# rice pair's were 0.865 / 0.762 (a short article against a long one), outside it; their best sentences'
# scores before the article rank were equal, so the evidence ranking (the same rule on those scores) still
# picks the newer. A passage more than a tenth behind is a worse match, and its date must not lift it; one
# shared word can be that much ("citing higher fuel costs" put the older report 14% ahead for "how much does
# a ticket cost now").
NEAR_TIE = 0.1


def normalise(scores: Mapping[int, float]) -> dict[int, float]:
    """Scale scores to [0, 1] over the candidates (all equal -> all 1)."""
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    if high - low < 1e-9:
        return dict.fromkeys(scores, 1.0)
    return {key: (value - low) / (high - low) for key, value in scores.items()}


def weighted_fusion(dense: Mapping[int, float], lexical: Mapping[int, float], dense_weight: float) -> dict[int, float]:
    """``dense_weight * dense + (1 - dense_weight) * lexical`` on normalised scores; absent = 0."""
    dn, ln = normalise(dense), normalise(lexical)
    return {key: dense_weight * dn.get(key, 0.0) + (1.0 - dense_weight) * ln.get(key, 0.0)
            for key in dn.keys() | ln.keys()}


def adaptive_fusion(dense: Mapping[int, float], lexical: Mapping[int, float], coverage: Mapping[int, float],
                    dense_weight: float) -> dict[int, float]:
    """``dense_weight * dense + (1 - dense_weight) * lexical * coverage`` on normalised scores.

    ``coverage`` maps a lexical candidate to the idf-weighted share of the query's stems it contains
    (``rag.indexing.lexical.LexicalIndex.coverage``); absent = 0. The product is not re-normalised on purpose: when even
    BM25's best hit covers little of the question, the whole lexical leg counts less.
    """
    dn, ln = normalise(dense), normalise(lexical)
    lexical_weight = 1.0 - dense_weight
    return {key: dense_weight * dn.get(key, 0.0) + lexical_weight * ln.get(key, 0.0) * coverage.get(key, 0.0)
            for key in dn.keys() | ln.keys()}


def best_first(scores: Mapping[int, float]) -> list[int]:
    """Chunk ids by descending score (ties by id, so rankings are reproducible)."""
    return sorted(scores, key=lambda cid: (-scores[cid], cid))


def tie_floor(best: float, near_tie: float = NEAR_TIE) -> float:
    """The lowest score still near-tied with ``best``."""
    return best - near_tie * abs(best)


def newer_first(items: Sequence[T], score: Callable[[T], float], published: Callable[[T], str | None],
                near_tie: float = NEAR_TIE) -> list[T]:
    """``items`` (best first) with those scoring within ``near_tie`` of the best score (a share of its size)
    moved to the front, newest ``published`` ISO date first (undated ones count as oldest; equal dates keep
    their order); the rest follow in their order."""
    if not items:
        return []
    floor = tie_floor(max(score(item) for item in items), near_tie)
    close = sorted((item for item in items if score(item) >= floor), key=lambda item: published(item) or "",
                   reverse=True)  # a stable sort: reverse keeps equal dates in their order
    return close + [item for item in items if score(item) < floor]
