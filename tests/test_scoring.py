"""The answer scorer's features (what the question asks that the cited passage does not give) and its fitted
weights (bench/experiments/scoring.py, a lab the product does not use). (Texts written for these tests.)"""
from __future__ import annotations

from dataclasses import replace

from bench.experiments.scoring import Shown, features, load_scorer
from rag.text.question import make_question

PASSAGE = ("Pencuri membobol dua etalase Museum Louvre dan membawa kabur delapan perhiasan pada 19 Oktober 2025. "
           "Polisi mengerahkan 60 penyelidik untuk mengusut pencurian itu.")
CITED = "Polisi mengerahkan 60 penyelidik untuk mengusut pencurian itu."


def shown(question: str, text: str = "60 penyelidik", cited: str = CITED, confidence: float = 0.9) -> Shown:
    return Shown(make_question(question), text, (cited,), (PASSAGE,), 0, False, confidence, 0.05, 0.6)


def test_a_name_or_number_the_passage_does_not_give_is_counted():
    assert features(shown("Berapa penyelidik yang dikerahkan polisi di Museum Louvre?"))["names_missing_passage"] == 0
    assert features(shown("Berapa penyelidik yang dikerahkan polisi di Museum Prado?"))["names_missing_passage"] == 1
    assert features(shown("Berapa penyelidik dikerahkan pada 2025?"))["numbers_missing_passage"] == 0
    assert features(shown("Berapa penyelidik dikerahkan pada 2024?"))["numbers_missing_passage"] == 1


def test_asked_words_missing_from_the_cited_sentence_and_from_its_passage():
    near_miss = features(shown("Siapa nama pelaku pencurian perhiasan di museum?"))
    asked = features(shown("Berapa penyelidik polisi yang mengusut pencurian?"))
    assert asked["asked_missing_cited"] == 0
    assert 0 < near_miss["asked_missing_passage"] < near_miss["asked_missing_cited"] < 1


def test_a_rare_asked_word_missing_weighs_more_than_a_common_one():
    question = "Berapa penyelidik polisi yang mengusut pencurian di Prado?"  # "prado": not in the passage
    plain = features(shown(question))
    weighed = features(replace(shown(question), rarity={"prado": 9.0, "selidik": 1.0, "polisi": 1.0, "usut": 1.0,
                                                        "curi": 1.0}))
    assert plain["rare_missing_passage"] == plain["asked_missing_passage"] == 0.2
    assert weighed["rare_missing_passage"] == 9 / 13 and weighed["rarest_missing_passage"] == 1


def test_a_negation_on_one_side_only():
    assert features(shown("Berapa penyelidik polisi yang mengusut pencurian?"))["negation_differs"] == 0
    assert features(shown("Berapa penyelidik yang tidak dikerahkan polisi?"))["negation_differs"] == 1


def test_the_answer_repeating_the_question():
    question = "Berapa penyelidik polisi yang mengusut pencurian?"
    assert features(shown(question, "Polisi mengusut pencurian."))["answer_in_question"] == 1
    assert features(shown(question, "60 penyelidik"))["answer_in_question"] == 0.5


def test_the_shipped_weights_load_and_read_every_feature():
    scorer = load_scorer()
    answer = shown("Berapa penyelidik polisi yang mengusut pencurian?")
    assert set(scorer.names) <= set(features(answer))
    assert scorer.weights[scorer.names.index("check_logit")] > 0
    assert 0 < scorer.probability(replace(answer, confidence=0.2)) < scorer.probability(answer) < 1
