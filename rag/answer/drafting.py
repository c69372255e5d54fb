"""The model's draft: the best evidence excerpts put in a prompt (rag.answer.prompting), the answer streamed."""
from __future__ import annotations

import threading
import time
from collections.abc import Generator
from dataclasses import dataclass

from rag.answer.evidence import Ranking
from rag.answer.prompting import build_prompt
from rag.answer.records import Source, Token
from rag.llm.base import TextGenerator
from rag.text.languages import language
from rag.types import Question


@dataclass(frozen=True)
class Draft:
    """What the model wrote (not yet checked), from which numbered sources."""

    text: str
    sources: list[Source]
    decline_probability: float   # how likely it was to start with "Tidak disebutkan" / "Not mentioned"
    first_token_at: float | None  # time.perf_counter() when its first piece came; None when it wrote nothing


def write_draft(generator: TextGenerator, question: Question, ranking: Ranking, max_tokens: int,
                cancel: threading.Event | None = None) -> Generator[Token, None, Draft]:
    """Yield the model's answer piece by piece as :class:`Token` events; return the :class:`Draft`."""
    lang = language(question.reply_language)
    prompt = build_prompt(generator, question.text, [excerpt for excerpt, _ in ranking.excerpts()], lang,
                          max_tokens)
    decline = lang.decline.split()[0]
    stream = generator.stream(prompt.text, messages=prompt.messages, stop=prompt.stop, cancel=cancel,
                              probe=[decline], prefix=prompt.prefix)
    pieces: list[str] = []
    first: float | None = None
    while True:
        try:
            piece = next(stream)
        except StopIteration as done:
            probabilities = done.value or {}
            break
        first = first or time.perf_counter()
        pieces.append(piece)
        yield Token(piece)
    return Draft("".join(pieces).strip(), prompt.sources, probabilities.get(decline, 0.0), first)
