"""Answering with the real bundled GGUF model over the real index of the sample corpus: in this process, and
(where marked) through two real model servers (llama-cpp-python's OpenAI-compatible server)."""
from __future__ import annotations

import pytest

from rag.answer.assessment import REREAD_SYSTEM
from rag.answer.evidence import Passage
from rag.answer.pipeline import Pipeline
from rag.answer.prompting import build_prompt
from rag.answer.records import REFUSALS, Answer, EvidenceFound, Retrieved, Token
from rag.llm.generator import Generator
from rag.retrieve.retriever import Retriever
from rag.settings import Settings
from rag.text.language import detect_language
from rag.text.languages import language
from rag.types import Hit
from tests.helpers.processes import served_settings


@pytest.fixture(scope="module")
def pipeline(sample_settings, embedder):
    return Pipeline(sample_settings, Retriever(sample_settings, embedder), Generator(sample_settings))


@pytest.fixture(scope="module", params=["in-process", "model-servers"])
def any_pipeline(request, pipeline, sample_settings, embedder):
    """The same checks whichever backend writes the answer."""
    if request.param == "in-process":
        return pipeline
    settings = served_settings(sample_settings, request.getfixturevalue("model_servers"))
    return Pipeline(settings, Retriever(settings, embedder))


def cited_files(pipeline, answer: Answer) -> set[str]:
    store = pipeline.retriever.index.store
    return {source.split("#")[0] for s in answer.sentences if s.verified for c in s.citations
            for source in store.article(c.article_id).sources}


@pytest.mark.parametrize("question, file", [
    ("Berapa harga beras medium sekarang?", "harga-beras-2026-02-12.txt"),
    ("How many newspaper pages did the Greyhaven library put online?",
     "greyhaven-library-digitisation-2026-05-02.html"),
])
def test_answer_has_verified_citation_to_the_right_article(any_pipeline, question, file):
    answer = any_pipeline.ask(question)
    assert answer.refusal is None, (answer.draft, answer.refusal)
    assert file in cited_files(any_pipeline, answer)
    citation = next(c for s in answer.sentences if s.verified for c in s.citations)
    article = any_pipeline.retriever.index.store.article(citation.article_id)
    assert article.text[citation.start:citation.end] == citation.quote


@pytest.mark.parametrize("question, language, phrase", [
    ("Siapa presiden Amerika Serikat pada tahun 1990?", "id", "tidak menyebutkan"),
    ("What is the boiling point of mercury?", "en", "do not say"),
])
def test_off_topic_question_is_refused_in_its_language(any_pipeline, question, language, phrase):
    answer = any_pipeline.ask(question)
    assert answer.refusal and answer.language == language
    assert phrase in answer.text and answer.passages  # the closest passages are still shown


@pytest.mark.parametrize("question, article, value", [
    ("How many villages were flooded in Demak?", "banjir-demak", "12"),
    ("Berapa biaya pembangunan Dunmore Valley solar farm?", "dunmore-valley", "210"),
])
def test_a_question_in_another_language_than_its_article_is_asked_in_the_articles(any_pipeline, question, article,
                                                                                  value):
    answer = any_pipeline.ask(question)
    assert answer.refusal is None, (answer.read_as, answer.refusal)
    assert value in answer.text and answer.evidence[0].article_id.startswith(article)
    # asked of the article in its language; the labels stay in the question's
    assert answer.read_as and detect_language(answer.read_as) != answer.language == detect_language(question)
    assert answer.read_as_label and answer.read_as in answer.read_as_label


def test_a_why_question_in_another_language_is_answered_with_the_cause(pipeline):
    answer = pipeline.ask("Why did the Demak flood happen?")
    # the model's translation "Alasan mengapa Demak terendam banjir?" was read as a fact question and refused
    assert answer.refusal is None and answer.shape == "explain", (answer.read_as, answer.refusal)
    assert "tanggul" in answer.sentences[0].text and answer.evidence[0].article_id.startswith("banjir-demak")


def test_a_follow_up_in_another_language_than_its_article_keeps_its_conversation(pipeline):
    first = "How many villages were flooded in Demak?"
    answer = pipeline.ask("And who heads the disaster agency there?", history=[(first, pipeline.ask(first).text)])
    # translated alone, "… kepala agensi disaster di sana?" was answered from another article's "Kepala …"
    assert answer.refusal or "Sutrisno" in answer.text, answer.text
    assert all(c.article_id.startswith("banjir-demak") for c in answer.evidence + answer.closest)


def test_evidence_comes_first_then_the_draft_then_the_answer(any_pipeline):
    events = list(any_pipeline.answer("How much money did the Calder Bay marathon raise for charity?"))
    assert isinstance(events[0], Retrieved) and isinstance(events[1], EvidenceFound) and isinstance(events[-1], Answer)
    assert events[1].evidence[0].article_id.startswith("calder-bay") and events[1].evidence[0].number == 1
    assert events[1].passages[0].article_id == events[1].evidence[0].article_id
    tokens = [e for e in events if isinstance(e, Token)]
    assert len(tokens) >= 3 and all(isinstance(e, Token) for e in events[2:-1])
    timings = events[-1].timings
    assert timings.evidence is not None and timings.first_token is not None
    assert timings.evidence < timings.first_token <= timings.total


def test_the_same_question_gets_the_same_answer(pipeline):
    """llama.cpp's reuse of the previous prompt's state once made a repeated question answer differently."""
    question = "Berapa ton beras cadangan yang akan disalurkan pemerintah lewat operasi pasar?"
    first = pipeline.ask(question)
    again = [pipeline.ask(question) for _ in range(2)]
    pipeline.ask("How many newspaper pages did the Greyhaven library put online?")  # another prompt in between
    after_other = pipeline.ask(question)  # as after "New chat": no history
    assert {a.draft for a in [*again, after_other]} == {first.draft} and first.draft
    assert {a.text for a in [*again, after_other]} == {first.text}


class WrongNumbers:
    """A stand-in model that always answers with a number no source holds (narrow test of the fallback)."""

    n_ctx = 2048
    is_chat_model = True

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def render_chat(self, messages):
        return "\n".join(m["content"] for m in messages), []

    def stream(self, prompt, **kwargs):
        if prompt.startswith(REREAD_SYSTEM):  # the check's second reading: what the sentence says
            yield "4.000 warga"
            return {}
        yield from ["Sebanyak 9.999 warga ", "mengungsi [1]."]
        return {}

    def word_probabilities(self, prompt, words, **kwargs):  # the check: "Yes", the quote states it
        return {word: float(word == "Yes") for word in words}


def test_an_answer_that_fails_the_check_is_replaced_by_the_quoted_evidence(sample_settings, embedder):
    pipeline = Pipeline(sample_settings, Retriever(sample_settings, embedder), WrongNumbers(sample_settings))
    answer = pipeline.ask("Berapa warga yang mengungsi karena banjir di Demak?")
    assert answer.refusal is None and answer.extractive
    assert "9.999" not in answer.text and "4.000 warga" in answer.text
    assert answer.text == answer.evidence[0].quote and all(s.verified for s in answer.sentences)
    assert [s.text for s in answer.dropped] == ["Sebanyak 9.999 warga mengungsi [1]."]
    article = pipeline.retriever.index.store.article(answer.evidence[0].article_id)
    assert article and article.text[answer.evidence[0].start:answer.evidence[0].end] == answer.text


def test_a_refusal_in_indonesian_has_no_english_in_it(pipeline):
    answer = pipeline.ask("Siapa presiden Amerika Serikat pada tahun 1990?")
    assert answer.refusal and answer.text == REFUSALS["id"]  # the technical reason stays in answer.refusal


def test_follow_up_retrieves_the_first_turns_article(pipeline):
    first = pipeline.ask("Berapa warga yang mengungsi karena banjir di Demak?")
    follow_up = pipeline.ask("dan kapan itu terjadi?", [(first.question, first.text)])
    assert "Demak" in follow_up.query
    store = pipeline.retriever.index.store
    assert any("banjir-demak" in src for src in store.article(follow_up.passages[0].article_id).sources)


def test_context_fitting_never_exceeds_n_ctx(sample_settings):
    generator = Generator(sample_settings.with_values({"llm_context": 512}))
    long_text = " ".join(f"Kalimat nomor {i} membahas harga beras di pasar induk." for i in range(120))
    hits = [Hit(chunk_id=i, article_id=f"a{i}", title=f"Artikel {i}", published="2026-01-01", text=long_text,
                start=0, end=len(long_text), score=1.0, dense_score=None, lexical_score=None) for i in range(5)]
    for max_answer in (64, 256):
        prompt = build_prompt(generator, "Berapa harga beras?", [Passage.of(hit) for hit in hits], language("id"),
                              max_answer)
        assert generator.count_tokens(prompt.text) + max_answer <= generator.n_ctx
        assert len(prompt.sources) == 1  # only the strongest passage, shortened to whole sentences
        assert prompt.sources[0].hit.text.endswith(".")
        assert long_text.startswith(prompt.sources[0].hit.text)


def test_a_bare_number_is_shown_with_what_it_counts():
    from rag.answer.composing import _with_unit
    from rag.answer.records import AnswerSentence, Citation
    quote = "Sedikitnya 4.000 warga mengungsi ke posko darurat."
    cited = Citation(1, "a", "Banjir Demak", None, 0, 0, len(quote), quote)
    bare = AnswerSentence("4.000 [1]", 0, 9, [1], [cited], verified=True)
    assert _with_unit(bare).text == "4.000 warga mengungsi [1]"
    worded = AnswerSentence("Sebanyak 4.000 warga [1]", 0, 24, [1], [cited], verified=True)
    assert _with_unit(worded) is worded  # the model already said what it counts


def test_the_question_is_analysed_once(pipeline, monkeypatch):
    """Its language is detected and its kind worked out once per question, by every step together."""
    import sys

    from rag.text import language, question

    calls = {"detect_language": 0, "question_kind": 0}

    def counting(name, original):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return original(*args, **kwargs)
        return wrapper

    for name, module in (("detect_language", language), ("question_kind", question)):
        original = getattr(module, name)
        for loaded in [m for key, m in sys.modules.items() if key.startswith("rag.")]:
            if getattr(loaded, name, None) is original:
                monkeypatch.setattr(loaded, name, counting(name, original))
    first = pipeline.ask("Berapa ton beras cadangan akan disalurkan pemerintah melalui operasi pasar?")
    assert calls == {"detect_language": 1, "question_kind": 1}
    pipeline.ask("dan kapan itu dimulai?", [(first.question, first.text)])  # the earlier turn is not redone
    assert calls == {"detect_language": 2, "question_kind": 2}
