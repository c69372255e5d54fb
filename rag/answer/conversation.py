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
from typing import Iterator, Protocol

from rag.text.query import make_query
from rag.types import Query

ANAPHORA = {
    "id": {"itu", "tersebut", "ini", "dia", "ia", "mereka", "beliau", "sana", "situ", "nya"},
    "en": {"it", "that", "this", "they", "them", "he", "she", "his", "her", "their", "there", "those", "these"},
}
MIN_STANDALONE_STEMS = 3  # a question with fewer content stems than this cannot stand alone


def is_follow_up(question: Query) -> bool:
    """Whether ``question`` probably depends on the conversation before it."""
    language = question.language
    words = re.findall(r"\w+", question.text.lower())
    pointers = ANAPHORA.get(language, ANAPHORA["id"] | ANAPHORA["en"])
    refers_back = any(w in pointers or (language == "id" and w.endswith("nya") and len(w) > 5) for w in words)
    return refers_back or len(question.stems) < MIN_STANDALONE_STEMS


def standalone_query(question: Query, history: list[tuple[str, str]]) -> Query:
    """The retrieval query for ``question`` given earlier (question, answer) turns."""
    text: str | None = None
    for asked in [make_query(q) for q, _ in history] + [question]:
        text = asked.text if text is None or not is_follow_up(asked) else f"{text} {asked.text}"
    return question if text == question.text else make_query(text)


REWRITE_PROMPT = (
    "Rewrite the last question so that it can be understood without the conversation. Keep its language.\n\n"
    "Conversation:\nQ: Berapa korban banjir di Bekasi?\nQ: kapan itu terjadi?\n"
    "Standalone question: Kapan banjir di Bekasi terjadi?\n\n"
    "Conversation:\n{turns}\nStandalone question:"
)


class Completer(Protocol):
    def stream(self, prompt: str, *, max_tokens: int | None = None, stop: list[str] | None = None,
               temperature: float | None = None) -> Iterator[str]: ...


def rewrite_with_llm(generator: Completer, question: Query, history: list[tuple[str, str]]) -> Query:
    """The model's standalone version of a follow-up (the question itself when it needs none)."""
    if not history or not is_follow_up(question):
        return question
    turns = "\n".join(f"Q: {q}" for q, _ in history[-2:]) + f"\nQ: {question.text}"
    text = "".join(generator.stream(REWRITE_PROMPT.format(turns=turns), max_tokens=48, stop=["\n"],
                                    temperature=0.0)).strip()
    return make_query(text) if text else question
