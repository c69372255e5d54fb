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


def test_a_question_is_answered_from_one_index_version(retriever, monkeypatch):
    """The passages and the rarity of the question's stems come from the same version (one reading)."""
    from rag.text.question import make_question

    live, readings = retriever.live, []
    original = live.reading

    def counted():
        readings.append(1)
        return original()

    monkeypatch.setattr(live, "reading", counted)
    question = make_question("Berapa warga Demak yang mengungsi karena banjir?")
    found = retriever.retrieve(question)
    assert len(readings) == 1 and found.hits and set(found.idf) == set(question.stems)
    assert found.idf["demak"] > found.idf["warga"] > 0  # rarer in the sample articles, weighs more
    assert found.embedder is retriever.embedder  # e5 knows Indonesian: meanings may be compared
