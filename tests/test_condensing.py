"""An open answer's points in the model's shorter words: accepted only when every fact stands in the sentence,
placed in the answer point by point, streamed while the rest stay quoted."""
from __future__ import annotations

import threading

import pytest

from rag.answer.composing import compose_points
from rag.answer.condensing import _problem, _sentence, condense
from rag.answer.pipeline import Pipeline
from rag.answer.planning import plan
from rag.answer.records import Answer, EvidenceFound
from rag.text.question import make_question
from rag.types import Hit
from rag.web.render import render_points

FLOOD = "Banjir merendam 12 desa di Demak pada Sabtu. Sebanyak 4.000 warga mengungsi ke 18 titik pengungsian."
RECEDING = "Banjir di Demak mulai surut pada Kamis. Sebanyak 3.100 warga sudah pulang ke rumah."
SENTENCE = ("Banjir yang merendam 12 desa di Kabupaten Demak sejak Senin membuat 4.000 warga mengungsi ke "
            "balai desa dan sekolah terdekat, kata Kepala BPBD Demak Agus Nugroho.")


@pytest.mark.unit
@pytest.mark.parametrize(("wording", "problem"), [
    ("Banjir merendam 12 desa di Demak dan membuat 4.000 warga mengungsi.", None),
    ("Banjir merendam 12 desa di Demak dan membuat 5.000 warga mengungsi.", ": 5"),  # a number changed
    ("Banjir merendam 12 desa di Demak dan membuat 4.000 desa mengungsi.", "counts"),  # what it counts changed
    ("Banjir merendam 12 desa di Kudus dan membuat 4.000 warga mengungsi.", "kudus"),  # a name made up
    ("Banjir besar karena hujan deras merusak jembatan desa di Demak.", "besar, deras, hujan"),  # other facts
    ("Banjir merendam 12 desa di Demak, 4.000 warga di evakuasi ke sekolah.", "evakuasi"),  # a misspelling
    ("Banjir merendam 12 desa di Demak, membuat 4.000 warga mengungsi ke kota.", "kota"),  # one new fact
    ("Warga mengungsi ke balai desa.", "too short"),
    (SENTENCE, "not shorter"),
])
def test_a_shorter_wording_stands_only_on_the_sentence_it_replaces(wording, problem):
    found = _problem(wording, SENTENCE)
    assert (found is None) if problem is None else (found is not None and problem in found), found


@pytest.mark.unit
@pytest.mark.parametrize(("reply", "sentence"), [
    ("Ringkasan: Banjir merendam 12 desa", "Banjir merendam 12 desa."),
    ('- "Banjir merendam 12 desa."', "Banjir merendam 12 desa."),
    ("Floods hit 12 villages!", "Floods hit 12 villages!"),
])
def test_the_models_reply_is_read_as_one_sentence(reply, sentence):
    assert _sentence(reply) == sentence


@pytest.mark.unit
def test_shorter_points_replace_their_quotes_in_the_answer_and_the_chat_and_keep_their_citations():
    question = make_question("Bagaimana perkembangan banjir di Demak?")
    groups = plan(question, [Hit(0, "flood", "Flood", "2026-01-20", FLOOD, 0, len(FLOOD), 1.0, None, None),
                             Hit(1, "receding", "Receding", "2026-01-23", RECEDING, 0, len(RECEDING), 1.0, None, None)])
    quoted = compose_points(Answer(question.text, question.text, "id", ""), question, groups, [])
    texts = ["Pendek sekali."] + [""] * (len(quoted.evidence) - 1)
    answer = compose_points(Answer(question.text, question.text, "id", ""), question, groups, [], texts)
    assert answer.evidence == quoted.evidence  # the sources do not change: [1] still opens the sentence
    assert answer.sentences[0].text == "Pendek sekali. [1]" and answer.sentences[1:] == [
        s for s in answer.sentences[1:] if s.text == f"{s.citations[0].quote} [{s.citations[0].number}]"]
    for sentence in answer.sentences:
        assert answer.text[sentence.start:sentence.end] == sentence.text
    shown = render_points("ans-1", answer.evidence, "id", texts)
    assert "- Pendek sekali. [\\[1\\]](#ans-1-s1)" in shown
    assert quoted.evidence[0].quote not in shown and quoted.evidence[1].quote in shown


@pytest.mark.model
def test_a_summarys_points_are_shortened_one_by_one_and_each_stands_on_its_sentence(sample_settings):
    pipeline = Pipeline(sample_settings)
    events = list(pipeline.answer("Ringkas berita tentang banjir di Demak."))
    found = [e for e in events if isinstance(e, EvidenceFound)]
    answer = events[-1]
    assert isinstance(answer, Answer) and not answer.refusal and answer.shape == "summary"
    assert not found[0].texts  # the quoted points come first
    shortened = [i for i, text in enumerate(answer.sentences) if not text.text.startswith(text.citations[0].quote)]
    assert shortened, answer.text  # the model said some point in fewer words
    assert len(found) == 1 + len(shortened)  # one update per shortened point, in order
    for index in shortened:
        sentence = answer.sentences[index]
        assert found[-1].texts[index] + f" [{sentence.citations[0].number}]" == sentence.text
        assert _problem(found[-1].texts[index], sentence.citations[0].quote) is None
        assert len(sentence.text.split()) < len(sentence.citations[0].quote.split())


@pytest.mark.model
def test_stop_ends_the_shortening_and_keeps_the_quotes(sample_settings):
    pipeline = Pipeline(sample_settings)
    question = make_question("Ringkas berita tentang banjir di Demak.")
    found = pipeline.retriever.retrieve(question)
    groups = plan(question, found.articles, found.idf)
    points = compose_points(Answer(question.text, question.text, "id", ""), question, groups, []).evidence
    cancel = threading.Event()
    cancel.set()
    assert list(condense(pipeline.generator, question, points, 200, cancel)) == []
    assert list(condense(pipeline.generator, question, points, 0)) == []  # no tokens to write: quotes
