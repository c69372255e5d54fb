"""What the answering pipeline needs from a text generator, whichever backend serves it."""
from __future__ import annotations

import threading
from typing import Iterator, Protocol

from rag.errors import ModelServerError as ModelServerError  # raised by the backends, importable from here
from rag.settings import Settings


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

    def stream(self, prompt: str, *, messages: list[dict[str, str]] | None = None, max_tokens: int | None = None,
               stop: list[str] | None = None, temperature: float | None = None,
               cancel: threading.Event | None = None, probe: dict[str, float] | None = None,
               prefix: str = "") -> Iterator[str]:
        """Yield the completion of ``prompt`` (or of the chat ``messages`` it was rendered from)."""
        ...
