"""Follow-up questions become standalone retrieval queries.

A follow-up such as "dan kapan itu terjadi?" names nothing to search for. Two ways to fix that
(setting ``query_rewriter``): ``heuristic`` (default) — when a question is short or points back
("itu", "tersebut", "it", "they"), the previous question's words are carried into the query; ``llm`` —
the model rewrites the question. ``bench/followups.py`` measures both on two-turn cases: the bundled
270M/135M models rewrite worse than the heuristic, so the heuristic is the default. The question
itself, not the rewritten query, is what the model answers.
"""
from __future__ import annotations

import re

from rag.llm.base import TextGenerator
from rag.text.languages import LANGUAGES, union
from rag.text.question import make_question, searching
from rag.types import Question

MIN_STANDALONE_STEMS = 3  # a question with fewer content stems than this cannot stand alone
_ANY_ANAPHORA = union("anaphora")


def is_follow_up(question: Question) -> bool:
    """Whether ``question`` (as asked, not yet made standalone) probably depends on the conversation before it."""
    language = question.language
    pointers = LANGUAGES[language].anaphora if language in LANGUAGES else _ANY_ANAPHORA
    words = re.findall(r"\w+", question.text.lower())
    refers_back = any(w in pointers or (language == "id" and w.endswith("nya") and len(w) > 5) for w in words)
    return refers_back or len(question.stems) < MIN_STANDALONE_STEMS


def standalone_query(question: Question, history: list[tuple[str, str]]) -> Question:
    """``question`` searching for what it means given earlier (question, answer) turns."""
    text: str | None = None
    for asked in [make_question(q) for q, _ in history] + [question]:
        text = asked.text if text is None or not is_follow_up(asked) else f"{text} {asked.text}"
    return searching(question, text or question.text)


REWRITE_PROMPT = (
    "Rewrite the last question so that it can be understood without the conversation. Keep its language.\n\n"
    "Conversation:\nQ: Berapa korban banjir di Bekasi?\nQ: kapan itu terjadi?\n"
    "Standalone question: Kapan banjir di Bekasi terjadi?\n\n"
    "Conversation:\n{turns}\nStandalone question:"
)


def rewrite_with_llm(generator: TextGenerator, question: Question, history: list[tuple[str, str]]) -> Question:
    """``question`` searching for the model's standalone version of it (itself when it needs none)."""
    if not history or not is_follow_up(question):
        return question
    turns = "\n".join(f"Q: {q}" for q, _ in history[-2:]) + f"\nQ: {question.text}"
    text = "".join(generator.stream(REWRITE_PROMPT.format(turns=turns), max_tokens=48, stop=["\n"],
                                    temperature=0.0)).strip()
    return searching(question, text) if text else question
