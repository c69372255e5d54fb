"""Which backend writes the answers (the GGUF in this process, or OpenAI-compatible model servers), how many at
once, and with which sampling."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rag.llm.base import Completion, TextGenerator
from rag.settings import Settings

# Settings that choose or load the model: a change makes a new generator.
MODEL_KEYS = ("llm_backend", "llm_model", "llm_context", "llm_threads", "llm_extra_bufts", "llm_base_url",
              "llm_server_model", "llm_api_key_env", "llm_timeout")


def create_generator(settings: Settings) -> TextGenerator:
    """The generator ``settings.llm_backend`` names (nothing is loaded or contacted until the first use)."""
    if settings.llm_backend == "openai":
        from rag.llm.openai_api import ServerGenerator

        return ServerGenerator(settings)
    from rag.llm.generator import Generator

    return Generator(settings)


def parallel_answers(settings: Settings) -> int:
    """How many answers may be written at once: one in-process; with servers ``llm_parallel`` (0: one each)."""
    if settings.llm_backend != "openai":
        return 1  # one llama.cpp context in this process
    return settings.llm_parallel or len(settings.llm_servers)


class Sampled:
    """``generator``'s model writing with the temperature and answer length of other ``settings`` (one request's
    own); everything else is the shared generator's."""

    def __init__(self, generator: TextGenerator, settings: Settings) -> None:
        self.generator, self.settings = generator, settings

    @property
    def n_ctx(self) -> int:
        return self.generator.n_ctx

    @property
    def is_chat_model(self) -> bool:
        return self.generator.is_chat_model

    def render_chat(self, messages: list[dict[str, str]]) -> tuple[str, list[str]]:
        return self.generator.render_chat(messages)

    def count_tokens(self, text: str) -> int:
        return self.generator.count_tokens(text)

    def word_probabilities(self, prompt: str, words: Sequence[str], **options: Any) -> dict[str, float]:
        return self.generator.word_probabilities(prompt, words, **options)

    def stream(self, prompt: str, *, max_tokens: int | None = None, temperature: float | None = None,
               **options: Any) -> Completion:
        return self.generator.stream(prompt, max_tokens=max_tokens or self.settings.max_answer_tokens,
                                     temperature=self.settings.temperature if temperature is None else temperature,
                                     **options)
