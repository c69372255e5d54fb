"""Follow-up questions become standalone retrieval queries.

A follow-up such as "dan kapan itu terjadi?" names nothing to search for. When a question is short
or points back ("itu", "tersebut", "it", "they"), the previous question is prepended so retrieval
finds the same story; the question itself is still what the model answers. (The bundled models are
too small to rewrite questions reliably, so this heuristic is the path they take.)
"""
from __future__ import annotations

import re

from rag.language import detect_language
from rag.lexical import tokenize

ANAPHORA = {
    "id": {"itu", "tersebut", "ini", "dia", "ia", "mereka", "beliau", "sana", "situ", "nya"},
    "en": {"it", "that", "this", "they", "them", "he", "she", "his", "her", "their", "there", "those", "these"},
}
MIN_CONTENT_TOKENS = 3  # a question with fewer content words than this cannot stand alone


def is_follow_up(question: str) -> bool:
    """Whether ``question`` probably depends on the conversation before it."""
    language = detect_language(question)
    words = re.findall(r"\w+", question.lower())
    pointers = ANAPHORA.get(language, ANAPHORA["id"] | ANAPHORA["en"])
    refers_back = any(w in pointers or (language == "id" and w.endswith("nya") and len(w) > 5) for w in words)
    return refers_back or len(tokenize(question, language)) < MIN_CONTENT_TOKENS


def standalone_query(question: str, history: list[tuple[str, str]]) -> str:
    """The retrieval query for ``question`` given earlier (question, answer) turns."""
    query: str | None = None
    for asked in [q for q, _ in history] + [question]:
        query = asked if query is None or not is_follow_up(asked) else f"{query} {asked}"
    return query or question
