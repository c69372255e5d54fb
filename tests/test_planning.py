"""Open questions: their shape, the points planned from whole articles, the answer composed from them, and how
`rag eval` scores them."""
from __future__ import annotations

import json

import pytest

from rag.answer.composing import compose_points
from rag.answer.pipeline import Pipeline
from rag.answer.planning import missing_names, plan
from rag.answer.records import Answer, EvidenceFound
from rag.errors import QuestionsFileError
from rag.eval.open_questions import covered_points, is_open_questions, load_open_questions, summarise
from rag.text.question import make_question, question_shape
from rag.types import Hit


@pytest.mark.parametrize(("question", "shape"), [
    ("Berapa warga yang mengungsi?", "fact"),
    ("Siapa yang mencetak gol pertama?", "fact"),
    ("Berapa total kerugian akibat banjir di Sukabumi?", "fact"),  # "akibat" inside a fact question
    ("Apa yang terjadi di Museum Louvre?", "summary"),
    ("Ringkas berita tentang banjir di Demak.", "summary"),
    ("Bagaimana kelanjutan kasus itu?", "summary"),
    ("Siapa Henry Edlin dan apa posisinya?", "summary"),  # two questions in one
    ("Apa isi berita “Banjir Rendam 12 Desa”?", "summary"),  # the chat's example question
    ("What happened at the museum?", "summary"),
    ("Summarise the story about the rate rise.", "summary"),
    ("Kenapa banyak motor mogok?", "explain"),
    ("Alasan mengapa Demak terendam banjir?", "explain"),
    ("Penyebab banjir di Demak?", "explain"),
    ("Bagaimana cara kerja sistem itu?", "explain"),
    ("Why did the bank raise rates?", "explain"),
    ("How does the project work?", "explain"),
    ("How many people were evacuated?", "fact"),
    ("Apa saja yang hilang?", "list"),
    ("Siapa saja yang meraih emas?", "list"),
    ("Bandingkan dua putusan pengadilan itu.", "compare"),
    ("Compare the two stories about oil.", "compare"),
    ("Bagaimana perkembangan banjir di Demak?", "timeline"),
    ("Give me a timeline of the strike.", "timeline"),
])
def test_question_shape(question, shape):
    assert question_shape(question) == shape
    assert make_question(question).shape == shape


FLOOD = ("Banjir merendam 12 desa di Demak pada Sabtu. Sebanyak 4.000 warga mengungsi ke 18 titik pengungsian. "
         "Cuaca hari itu cerah di kota lain. Tanggul Sungai Tuntang jebol sepanjang 45 meter. "
         "Pemerintah menyalurkan 8 ton beras. Warga berharap tanggul segera diperbaiki.")
RECEDING = ("Banjir di Demak mulai surut pada Kamis. Sebanyak 3.100 warga sudah pulang ke rumah. "
            "Tanggul Sungai Tuntang ditambal dengan 2.000 karung pasir.")
FESTIVAL = "Festival kuliner digelar di Semarang. Ada 120 stan makanan dari 35 kota."


def article(article_id: str, text: str, published: str | None, score: float = 1.0) -> Hit:
    return Hit(0, article_id, article_id.title(), published, text, 0, len(text), score, None, None)


def test_a_summary_takes_the_lead_and_the_facts_in_article_order_without_repeats():
    question = make_question("Ringkas berita tentang banjir di Demak.")
    groups = plan(question, [article("flood", FLOOD + " " + FLOOD.split(". ")[1] + ".", "2026-01-20")])
    assert len(groups) == 1
    texts = [p.text for p in groups[0]]
    assert texts[0].startswith("Banjir merendam 12 desa")
    assert [p.position for p in groups[0]] == sorted(p.position for p in groups[0])
    assert sum("4.000 warga" in t for t in texts) == 1  # the repeated sentence is one point
    assert len(texts) <= 6


def test_a_development_puts_each_article_in_date_order():
    question = make_question("Bagaimana perkembangan banjir di Demak?")
    groups = plan(question, [article("receding", RECEDING, "2026-01-23"), article("flood", FLOOD, "2026-01-20", 0.9),
                             article("festival", FESTIVAL, "2026-01-21", 0.8)])
    assert [g[0].hit.article_id for g in groups] == ["flood", "receding"]  # oldest first; the festival is unrelated
    assert all(len(g) <= 3 for g in groups)


def test_a_comparison_takes_a_second_article_even_when_it_scores_low():
    question = make_question("Bandingkan berita banjir dan festival kuliner.")
    groups = plan(question, [article("flood", FLOOD, None), article("festival", FESTIVAL, None, 0.2)])
    assert [g[0].hit.article_id for g in groups] == ["flood", "festival"]


def test_a_summary_reads_one_article():
    groups = plan(make_question("Apa yang terjadi di Demak?"), [article("flood", FLOOD, None),
                                                                  article("receding", RECEDING, None, 0.99)])
    assert [g[0].hit.article_id for g in groups] == ["flood"]


def test_composed_points_cite_their_article_and_sentence():
    question = make_question("Bagaimana perkembangan banjir di Demak?")
    groups = plan(question, [article("flood", FLOOD, "2026-01-20"), article("receding", RECEDING, "2026-01-23")])
    answer = compose_points(Answer(question.text, question.text, "id", ""), question, groups, [])
    assert answer.shape == "timeline" and not answer.refusal
    assert answer.text.splitlines()[0] == "Flood (20 Januari 2026):"
    for sentence in answer.sentences:
        citation = sentence.citations[0]
        source = answer.passages[citation.number - 1]
        assert source.article_id == citation.article_id
        assert source.text[citation.start:citation.end].strip() == citation.quote
        assert sentence.verified and answer.text[sentence.start:sentence.end] == sentence.text


def test_a_named_subject_no_article_mentions_is_missing_and_question_words_are_no_names():
    flood = [article("flood", FLOOD, None)]
    assert missing_names(make_question("Apa yang terjadi pada gempa di Cianjur?"), flood) == ["Cianjur"]
    assert missing_names(make_question("Apa yang terjadi di Demak?"), flood) == []
    assert missing_names(make_question("Siapa Saja yang mengungsi di Demak?"), flood) == []
    # one name of several the articles do not use is a short form of what they say; as many missing as held is not
    assert missing_names(make_question("Ringkas berita banjir BPBD di Demak dari Sungai Tuntang"), flood) == []
    assert missing_names(make_question("Bandingkan banjir Demak dan Kudus"), flood) == ["Kudus"]


KEY_POINTS = (("delapan perhiasan", "delapan benda"), ("tujuh menit",), ("60 penyelidik",))


def test_key_points_are_covered_by_any_of_their_spans_ignoring_case_and_spacing():
    answer = "Pencuri mengambil Delapan  benda dalam tujuh menit."
    assert covered_points(answer, KEY_POINTS) == 2


def test_open_questions_are_told_from_short_answer_ones_and_malformed_lines_named(tmp_path):
    good = {"id": "q1", "question": "Apa yang terjadi?", "kind": "what-happened", "language": "id",
            "article_ids": ["a"], "key_points": [["x"], ["y"]], "min_points": 1}
    path = tmp_path / "questions.jsonl"
    path.write_text(json.dumps(good) + "\n", encoding="utf-8")
    assert is_open_questions(path) and load_open_questions(path)[0].key_points == (("x",), ("y",))
    short = tmp_path / "short.jsonl"
    short.write_text(json.dumps({"question": "Berapa?", "answers": ["3"], "article_id": "a"}) + "\n")
    assert not is_open_questions(short)
    path.write_text(json.dumps({**good, "key_points": [[]]}) + "\n", encoding="utf-8")
    with pytest.raises(QuestionsFileError, match=r"questions.jsonl:1: 'key_points'"):
        load_open_questions(path)


def test_open_measures_are_given_overall_per_kind_and_per_language():
    details = [{"kind": "summary", "language": "id", "covered": 5, "points": 6, "passed": True,
                "citation_precision": 1.0, "unsupported": False, "refusal": None, "words": 90, "first_point": 0.4,
                "seconds": 0.5},
               {"kind": "list", "language": "en", "covered": 1, "points": 5, "passed": False,
                "citation_precision": 0.5, "unsupported": False, "refusal": None, "words": 40, "first_point": 0.2,
                "seconds": 0.3}]
    groups = summarise(details)
    assert set(groups) == {"all", "kind=summary", "kind=list", "language=id", "language=en"}
    assert groups["all"]["pass_rate"] == 0.5 and groups["kind=list"]["key_point_coverage"] == 0.2
    assert groups["all"]["citation_precision"] == 0.75


def test_an_open_question_is_answered_at_once_with_points_from_the_article_each_citing_its_sentence(sample_settings):
    pipeline = Pipeline(sample_settings)
    events = list(pipeline.answer("Apa yang terjadi di Demak?"))
    found, answer = events[-2], events[-1]
    assert isinstance(found, EvidenceFound) and isinstance(answer, Answer) and found.evidence == answer.evidence
    assert answer.shape == "summary" and not answer.refusal and answer.timings.first_token is None  # no model
    assert 3 <= len(answer.sentences) <= 6 and "4.000 warga" in answer.text
    for sentence in answer.sentences:
        citation = sentence.citations[0]
        assert answer.passages[citation.number - 1].article_id == citation.article_id
        stored = pipeline.retriever.index.store.article(citation.article_id)
        assert stored is not None and stored.text[citation.start:citation.end].strip() == citation.quote


def test_an_open_question_about_what_no_article_covers_is_refused(sample_settings):
    answer = Pipeline(sample_settings).ask("Apa yang terjadi pada gempa di Cianjur?")
    assert answer.refusal and not answer.sentences
