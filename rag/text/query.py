"""Making a :class:`rag.types.Query`: the language detected and the text tokenised once per question."""
from __future__ import annotations

from rag.text.language import detect_language
from rag.text.tokens import tokenize
from rag.types import Query


def make_query(text: str, language: str | None = None) -> Query:
    """``text`` as a query: its language (detected when not given) and its stems in that language."""
    language = language or detect_language(text)
    return Query(text, language, tuple(tokenize(text, language)))
