"""A question in another language than the articles that answer it is asked again in theirs
(rag.answer.translation): which language that is, what the model's translation must be to count, and, with the
real bundled model, the translation itself. End to end over the sample corpus: tests/test_pipeline.py."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from rag.answer.translation import articles_language, translate
from rag.llm.generator import Generator
from rag.settings import Settings
from rag.text.language import detect_language
from rag.text.question import make_question
from rag.types import Hit

ENGLISH = "The runners raised money for the hospital, and the race will be held again next year."
INDONESIAN = "Banjir merendam 12 desa di Demak dan ribuan warga mengungsi ke balai desa."


def hit(text: str) -> Hit:
    return Hit(chunk_id=0, article_id="a", title="", published=None, text=text, start=0, end=len(text), score=1.0,
               dense_score=None, lexical_score=None, language=detect_language(text))


def test_the_articles_language_is_that_of_the_best_passage_in_another_language():
    english, indonesian = make_question("How many villages were flooded in Demak?"), make_question(
        "Berapa desa yang terendam banjir di Demak?")
    assert articles_language(english, [hit(ENGLISH), hit(INDONESIAN)]) == "id"
    assert articles_language(indonesian, [hit(INDONESIAN), hit(ENGLISH)]) == "en"
    assert articles_language(english, [hit(ENGLISH)]) is None  # all in the question's language
    assert articles_language(make_question("Demak 2026?"), [hit(INDONESIAN)]) is None  # the question's unknown


class Writes:
    """A stand-in model that writes one fixed text (what is made of it is tested, not the model)."""

    is_chat_model = True

    def __init__(self, text: str) -> None:
        self.text = text

    def render_chat(self, messages: list[dict[str, str]]) -> tuple[str, list[str]]:
        return "\n".join(m["content"] for m in messages), []

    def stream(self, prompt: str, **_: object) -> Iterator[str]:
        yield self.text


@pytest.mark.parametrize("written", [
    "",
    "How many villages were flooded in Demak?",  # not translated
    "Berapa jumlah keluarga keluarga keluarga keluarga keluarga yang mengungsi?",  # the model looping
])
def test_what_is_not_a_question_in_the_articles_language_is_no_translation(written):
    question = make_question("How many villages were flooded in Demak?")
    assert translate(Writes(written), question, "id") is None  # type: ignore[arg-type]


def test_a_translation_is_read_as_a_question_in_the_articles_language():
    question = make_question("How many villages were flooded in Demak?")
    translated = translate(Writes("Berapa desa yang terendam banjir di Demak?"), question, "id")  # type: ignore[arg-type]
    assert translated is not None and translated.language == "id" and translated.kind == "number"
    assert translated.counted == "desa"


def test_a_translation_asks_for_the_same_shape_of_answer_however_it_is_worded():
    question = make_question("Why did the Demak flood happen?")
    translated = translate(Writes("Demak terendam banjir karena apa?"), question, "id")  # type: ignore[arg-type]
    assert translated is not None and question.shape == translated.shape == "explain"
    asked = make_question("Apa yang membuat harga beras naik?")  # no shape of its own in either wording
    assert translate(Writes("What made rice prices rise?"), asked, "en").shape == "fact"  # type: ignore[arg-type,union-attr]


@pytest.fixture(scope="module")
def generator() -> Generator:
    return Generator(Settings())


@pytest.mark.model
@pytest.mark.parametrize("question, target, kept", [
    ("How many villages were flooded in Demak?", "id", "Demak"),
    ("Berapa biaya pembangunan Dunmore Valley solar farm?", "en", "Dunmore Valley"),
])
def test_the_bundled_model_translates_a_question_keeping_its_names(generator, question, target, kept):
    translated = translate(generator, make_question(question), target)
    assert translated is not None, question
    assert detect_language(translated.text) == target and kept in translated.text, translated.text
