"""Sample questions in Indonesian and English retrieve their sample article."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.indexing.reader import Index
from rag.retrieve.retriever import Retriever
from rag.text.query import make_query

QUESTIONS = json.loads((Path(__file__).parent / "sample_questions.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def retriever(sample_settings, embedder):
    return Retriever(sample_settings, embedder)


@pytest.mark.parametrize("case", QUESTIONS, ids=[q["question"][:40] for q in QUESTIONS])
def test_sample_question_finds_its_article(retriever, case):
    hits = retriever.search(case["question"], 3)
    sources = retriever.index.store.article(hits[0].article_id).sources
    assert case["file"] in [s.split("#")[0] for s in sources]
    assert any(case["answer"] in hit.text for hit in hits)


def test_hits_carry_offsets_metadata_and_leg_scores(retriever):
    hit = retriever.search("Berapa harga beras medium per kilogram?", 1)[0]
    article = retriever.index.store.article(hit.article_id)
    assert article.text[hit.start:hit.end] == hit.text
    assert hit.title == article.title and hit.published == "2026-02-12"
    assert hit.dense_score is not None and hit.lexical_score is not None
    assert 0 <= hit.score <= 1


def test_both_languages_are_detected_and_stemmed(sample_settings):
    index = Index.open(sample_settings.index_path)
    try:
        languages = {a.language for a in index.store.articles()}
        assert languages == {"id", "en"}
        # "pengungsian" and "mengungsi" share the Indonesian stem "ungsi"
        assert index.lexical.search(make_query("pengungsian", "id"), 3)
    finally:
        index.close()
