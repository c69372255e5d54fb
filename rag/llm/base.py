"""What the answering pipeline needs from a text generator, whichever backend serves it."""
from __future__ import annotations

import threading
from collections.abc import Generator, Sequence
from typing import Protocol

from rag.errors import ModelServerError as ModelServerError  # raised by the backends, importable from here
from rag.settings import Settings

# A streamed completion: yields its pieces, returns {probe word: probability the completion starts with it}.
Completion = Generator[str, None, dict[str, float]]


class TextGenerator(Protocol):
    """A model that completes prompts: in this process (llama.cpp) or on model servers (OpenAI API)."""

    settings: Settings

    @property
    def n_ctx(self) -> int: ...

    @property
    def is_chat_model(self) -> bool: ...

    def render_chat(self, messages: list[dict[str, str]]) -> tuple[str, list[str]]:
        """The prompt text for chat ``messages`` and its stop strings (for budgeting and completion)."""
        ...

    def count_tokens(self, text: str) -> int: ...

    def word_probabilities(self, prompt: str, words: Sequence[str], *, messages: list[dict[str, str]] | None = None,
                           prefix: str = "") -> dict[str, float]:
        """The probability that the completion of ``prompt`` (or ``messages``) starts with each of ``words``."""
        ...

    def stream(self, prompt: str, *, messages: list[dict[str, str]] | None = None, max_tokens: int | None = None,
               stop: list[str] | None = None, temperature: float | None = None,
               cancel: threading.Event | None = None, probe: Sequence[str] = (),
               prefix: str = "") -> Completion:
        """Yield the completion of ``prompt`` (or of the chat ``messages`` it was rendered from) piece by piece,
        until done or ``cancel`` is set; return the probability that it starts with each of the ``probe`` words.
        ``prefix`` is the start ``prompt`` shares with others of its kind (a model may keep its state)."""
        ...


def finished(completion: Completion) -> dict[str, float]:
    """Run ``completion`` to its end (its pieces unread) and return what it returns."""
    while True:
        try:
            next(completion)
        except StopIteration as done:
            return done.value
