"""Making a :class:`rag.types.Question`: language, kind of answer asked for, what it counts, its numbers, words
and stems, whether it asks about the present — worked out once per question."""
from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

from rag.text.language import detect_language
from rag.text.languages import LANGUAGES, language
from rag.text.numbers import find_numbers
from rag.text.query import make_query
from rag.text.recency import asks_for_latest
from rag.text.tokens import content_stems
from rag.types import Question

# (kind, pattern over the lower-cased question): kinds in order, first match wins, so "tahun berapa" is a date.
_KINDS = [(kind, re.compile("|".join(f"(?:{lang_kinds[kind]})" for lang_kinds in
                                     (dict(lang.question_kinds) for lang in LANGUAGES.values())
                                     if kind in lang_kinds)))
          for kind in dict.fromkeys(k for lang in LANGUAGES.values() for k, _ in lang.question_kinds)]
# (shape, pattern): as _KINDS; a question no pattern matches asks for one fact.
_SHAPES = [(shape, re.compile("|".join(f"(?:{dict(lang.question_shapes)[shape]})" for lang in LANGUAGES.values()
                                       if shape in dict(lang.question_shapes))))
           for shape in dict.fromkeys(s for lang in LANGUAGES.values() for s, _ in lang.question_shapes)]
FACT = "fact"
MULTI_ARTICLE = frozenset({"list", "compare", "timeline"})  # shapes whose answer may draw on several articles
_COUNT_QUESTIONS = [re.compile(lang.count_question) for lang in LANGUAGES.values()]
WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")  # a word or number, hyphenated parts together


def question_kind(text: str) -> str | None:
    """"number", "date", "name", "definition" or None: what kind of answer ``text`` asks for."""
    lowered = text.lower()
    return next((kind for kind, pattern in _KINDS if pattern.search(lowered)), None)


def question_shape(text: str) -> str:
    """What an answer to ``text`` should look like: "fact" (one short answer), or the shape of an open question
    ("summary", "explain", "list", "compare", "timeline")."""
    lowered = text.lower().strip()
    return next((shape for shape, pattern in _SHAPES if pattern.search(lowered)), FACT)


def counted_noun(text: str, code: str) -> str | None:
    """The stem of what a "how many" question counts: "Berapa warga mengungsi?" -> "warga"."""
    lowered = text.lower()
    matches = [m for pattern in _COUNT_QUESTIONS if (m := pattern.search(lowered))]
    if not matches:
        return None
    first = min(matches, key=lambda m: m.start())
    return next(iter(sorted(content_stems(first.group(1), code))), None)


@lru_cache(maxsize=512)
def make_question(text: str, code: str | None = None) -> Question:
    """``text`` analysed once: its language (detected unless ``code`` is given) and everything the answering
    steps read of it. Its search query is itself; a follow-up gets its standalone one with :func:`searching`."""
    code = code or detect_language(text)
    kind = question_kind(text)
    return Question(
        text=text, language=code, reply_language=language(code).code, kind=kind, shape=question_shape(text),
        counted=counted_noun(text, code) if kind == "number" else None,
        numbers=frozenset(v for _, vs in find_numbers(text) for v in vs),
        words=frozenset(w.lower() for w in WORD.findall(text)),
        content=frozenset(content_stems(text, code)),
        latest=asks_for_latest(text), search=make_query(text, code))


def searching(question: Question, text: str) -> Question:
    """``question`` with ``text`` as what is searched (a follow-up's standalone query), in its language."""
    return question if text == question.search.text else replace(question, search=make_query(text, question.language))
