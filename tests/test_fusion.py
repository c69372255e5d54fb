"""The adaptive fusion: the lexical leg counts as far as its passages contain the question."""
from __future__ import annotations

import time

import pytest

from rag.indexing.lexical import LexicalIndex
from rag.retrieve.fusion import adaptive_fusion, normalise, weighted_fusion
from rag.retrieve.retriever import Retriever
from rag.settings import Settings, SettingsError
from rag.text.query import make_query


def top(scores: dict[int, float]) -> int:
    return max(scores, key=lambda key: (scores[key], -key))


# Chunk ids: 1-3 passages the dense leg likes, 10-13 passages BM25 likes.
DENSE = {1: 0.88, 2: 0.86, 3: 0.85, 10: 0.84, 11: 0.80}
LEXICAL = {10: 12.0, 11: 9.0, 12: 8.5, 13: 8.0, 1: 2.0}


def test_full_coverage_is_the_weighted_fusion():
    coverage = dict.fromkeys(LEXICAL, 1.0)
    assert adaptive_fusion(DENSE, LEXICAL, coverage, 0.5) == pytest.approx(weighted_fusion(DENSE, LEXICAL, 0.5))


def test_dense_leg_decides_when_bm25_matched_nothing_distinctive():
    # BM25's hits share only common words with the question: the old fusion lets BM25's top win,
    # the adaptive one ranks like the dense leg.
    assert top(weighted_fusion(DENSE, LEXICAL, 0.5)) == 10
    coverage = dict.fromkeys(LEXICAL, 0.1)
    fused = adaptive_fusion(DENSE, LEXICAL, coverage, 0.5)
    assert top(fused) == 1
    assert sorted(fused, key=fused.__getitem__, reverse=True)[:3] == [1, 2, 3]
    assert adaptive_fusion(DENSE, LEXICAL, {}, 0.5) == pytest.approx({k: 0.5 * v for k, v in normalise(DENSE).items()}
                                                                     | {k: 0.0 for k in LEXICAL if k not in DENSE})


def test_rare_name_only_bm25_finds_rises():
    # Passage 12 contains the question's rare name (full coverage); BM25's top (10) and the other
    # lexical hits matched only the question's common words. The old fusion puts 10 first.
    dense = {1: 0.88, 2: 0.86, 12: 0.85, 10: 0.84, 11: 0.80}
    old = weighted_fusion(dense, LEXICAL, 0.5)
    assert top(old) == 10
    coverage = {10: 0.3, 11: 0.3, 12: 1.0, 13: 0.3, 1: 0.3}
    fused = adaptive_fusion(dense, LEXICAL, coverage, 0.5)
    assert top(fused) == 12
    assert fused[12] == pytest.approx(old[12])  # full coverage: the score the old fusion gave it


def test_dense_weight_still_applies():
    coverage = dict.fromkeys(LEXICAL, 1.0)
    assert adaptive_fusion(DENSE, LEXICAL, coverage, 0.0) == pytest.approx(
        {**dict.fromkeys(DENSE, 0.0), **normalise(LEXICAL)})  # BM25 alone (a language the embedder lacks)
    assert top(adaptive_fusion(DENSE, LEXICAL, coverage, 1.0)) == 1
    assert adaptive_fusion({}, {}, {}, 0.5) == {}


def test_fusion_is_fast():
    dense = {i: 0.9 - i / 1000 for i in range(50)}
    lexical = {i + 25: 20.0 - i / 5 for i in range(50)}
    coverage = dict.fromkeys(lexical, 0.5)
    start = time.perf_counter()
    for _ in range(200):
        adaptive_fusion(dense, lexical, coverage, 0.5)
    assert (time.perf_counter() - start) / 200 < 1e-3


TEXTS = [
    "Harga beras medium naik di pasar tradisional.",      # 100: common words only
    "Harga beras di Sukamaju naik tajam.",                  # 101: has the rare place name
    "Pasar tradisional ramai menjelang lebaran.",           # 102
    "Harga cabai dan harga bawang turun di pasar.",         # 103
    "Beras impor tiba di pelabuhan.",                       # 104
]


@pytest.fixture(scope="module")
def lexical_index() -> LexicalIndex:
    return LexicalIndex.build(TEXTS, ["id"] * len(TEXTS), [100 + i for i in range(len(TEXTS))])


def test_coverage_weighs_rare_words_more(lexical_index):
    cov = lexical_index.coverage(make_query("Berapa harga beras di Sukamaju?", "id"), [100, 101, 102, 999])
    assert cov[101] == pytest.approx(1.0)            # harga, beras, sukamaju: everything
    assert 0 < cov[100] < 0.6                        # only the common "harga" and "beras"
    assert cov[102] == 0.0 and cov[999] == 0.0       # nothing / an unknown chunk id
    # Two common words out of three stems cover less than half when the third is the rare one.
    assert cov[100] < 2 / 3


def test_coverage_counts_words_the_corpus_never_mentions(lexical_index):
    # "Zanzibar" is in no passage: it gets the highest idf, so BM25's partial matches count less.
    known = lexical_index.coverage(make_query("harga beras Sukamaju", "id"), [101])[101]
    unknown = lexical_index.coverage(make_query("harga beras Sukamaju Zanzibar", "id"), [101])[101]
    assert known == pytest.approx(1.0) and unknown < 0.75


def test_coverage_of_empty_query_or_index(lexical_index):
    assert lexical_index.coverage(make_query("yang dan di", "id"), [100]) == {100: 0.0}  # stopwords only
    empty = LexicalIndex.build([], [], [])
    assert empty.coverage(make_query("harga beras", "id"), [1]) == {1: 0.0}


def test_coverage_is_the_idf_weighted_share_of_query_stems(lexical_index):
    # Binary search over bm25s' postings agrees with a direct computation from the passages' stems.
    import math

    from rag.text.tokens import tokenize

    stems = [set(tokenize(text, "id")) for text in TEXTS]
    query = "harga pasar tradisional bawang di Zanzibar"
    wanted = set(tokenize(query, "id"))
    idf = {t: math.log(1 + (len(stems) - sum(t in s for s in stems) + 0.5) / (sum(t in s for s in stems) + 0.5))
           for t in wanted}
    expected = {100 + i: sum(idf[t] for t in wanted & s) / sum(idf.values()) for i, s in enumerate(stems)}
    assert lexical_index.coverage(make_query(query, "id"), expected) == pytest.approx(expected)
    assert expected[103] > expected[100] > 0  # "bawang" (one passage) outweighs "tradisional" (two)


def test_coverage_survives_unsorted_postings(lexical_index):
    # bm25s builds each stem's rows in ascending order; should a version not, coverage sorts a copy.
    import numpy as np

    shuffled = LexicalIndex.build(TEXTS, ["id"] * len(TEXTS), [100 + i for i in range(len(TEXTS))])
    scores = shuffled._retriever.scores
    indptr = scores["indptr"]
    scores["indices"] = np.concatenate([scores["indices"][a:b][::-1] for a, b in zip(indptr[:-1], indptr[1:])])
    query, ids = "harga beras Sukamaju pasar bawang", [100, 101, 102, 103, 104]
    want = lexical_index.coverage(make_query(query, "id"), ids)
    assert shuffled.coverage(make_query(query, "id"), ids) == pytest.approx(want)


def test_fusion_setting_is_validated():
    assert Settings.load(env={}).fusion == "adaptive"
    assert Settings.load({"fusion": "weighted"}, env={}).fusion == "weighted"
    with pytest.raises(SettingsError, match="'fusion' must be one of adaptive, weighted; got 'rrf'"):
        Settings.load({"fusion": "rrf"}, env={})


@pytest.mark.parametrize("fusion", ["adaptive", "weighted"])
def test_retriever_fuses_as_configured(sample_settings, embedder, fusion):
    retriever = Retriever(sample_settings.with_values({"fusion": fusion}), embedder)
    query = "Berapa harga beras medium per kilogram?"
    dense, lexical, fused = retriever.leg_scores(query, 20)
    weight = retriever.dense_weight("id")
    if fusion == "weighted":
        assert fused == pytest.approx(weighted_fusion(dense, lexical, weight))
    else:
        coverage = retriever.index.lexical.coverage(make_query(query, "id"), lexical)
        assert fused == pytest.approx(adaptive_fusion(dense, lexical, coverage, weight))
        assert all(0 < c <= 1 for c in coverage.values())
    assert retriever.search(query, 3)
