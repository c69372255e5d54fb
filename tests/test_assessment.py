"""The check that a shown answer states what the question asks, with the real bundled model: a name in the wrong
role, a near-miss (the subject covered, the asked detail not given) and a quote that does not answer fail; the
right answers pass. (Texts written for these tests.)"""
from __future__ import annotations

import pytest

from rag.answer.assessment import OPEN_MIN_CONFIDENCE, assess, assess_points, cited_text
from rag.answer.records import Answer, Citation
from rag.llm.generator import Generator
from rag.settings import Settings
from rag.text.question import make_question

pytestmark = pytest.mark.model

AWARDS = ("Sastra Award 2026", ["Maria Santoso won the non-fiction award for her history of the Java railway.",
                                "The fiction award went to Budi Hartono for his novel Laut Pasang."])
MUSEUM = ("Perhiasan Museum Kota Dicuri", ["Pencuri membobol dua etalase museum dan membawa kabur delapan perhiasan.",
                                           "Polisi mengerahkan 60 penyelidik untuk mengusut pencurian itu."])
FLOOD = ("Banjir di Jalur Pantura", ["Ia mengatakan, kemacetan akibat banjir pagi ini cukup parah.",
                                     "Antrean kendaraan mengular hingga 6 kilometer dari Genuk."])


@pytest.fixture(scope="module")
def generator() -> Generator:
    return Generator(Settings())


def confidence(generator: Generator, question: str, shown: str, article: tuple[str, list[str]], cited: int) -> float:
    title, sentences = article
    citation = Citation(1, "a", title, None, 0, 0, len(sentences[cited]), sentences[cited])
    answer = Answer(question, question, "id", shown, evidence=[citation])
    return assess(generator, make_question(question), answer, 0.5).confidence


def test_a_name_in_the_wrong_role_fails_and_the_right_one_passes(generator):
    question = "Who wrote the novel that won the fiction award?"
    wrong = confidence(generator, question, "Maria Santoso wrote the novel.", AWARDS, 0)
    right = confidence(generator, question, "Budi Hartono wrote the novel.", AWARDS, 1)
    assert wrong < Settings().min_confidence <= right, (wrong, right)


def test_a_near_miss_fails(generator):
    question = "Siapa nama pencuri perhiasan di museum itu?"
    sentence = MUSEUM[1][0]
    assert confidence(generator, question, sentence, MUSEUM, 0) < Settings().min_confidence
    assert confidence(generator, "Berapa penyelidik yang dikerahkan polisi?", "60 penyelidik", MUSEUM, 1) \
        >= Settings().min_confidence


def test_a_quote_that_does_not_answer_fails(generator):
    question = "Seberapa panjang antrean kendaraan akibat banjir?"
    assert confidence(generator, question, FLOOD[1][0], FLOOD, 0) < Settings().min_confidence
    assert confidence(generator, question, FLOOD[1][1], FLOOD, 1) >= Settings().min_confidence


DERBY = ("Man City 0-2 Man Utd", ["Manchester United beat Manchester City 2-0 in the derby on Sunday.",
                                   "Wayne Rooney scored the first goal after 72 minutes.",
                                   "City's keeper then turned Ruud van Nistelrooy's shot into his own net."])


def points(article: tuple[str, list[str]]) -> list[Citation]:
    title, sentences = article
    return [Citation(1, "a", title, None, 0, 0, len(s), s) for s in sentences]


def test_points_about_something_else_than_was_asked_fail_and_the_right_ones_pass(generator):
    asked = assess_points(generator, make_question("How did Manchester United beat Manchester City?"), points(DERBY))
    other = assess_points(generator, make_question("How did Chelsea beat Liverpool?"), points(DERBY))
    assert other.confidence < OPEN_MIN_CONFIDENCE <= asked.confidence, (other, asked)
    assert asked.passed and not other.passed


def test_the_check_reads_each_title_once_before_its_sentences():
    first = Citation(1, "a", "Judul", None, 0, 0, 5, "Satu.")
    second = Citation(1, "a", "Judul", None, 0, 6, 10, "Dua.")
    assert cited_text([first, second, first]) == "Judul. Satu. Dua."
