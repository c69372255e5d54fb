"""Which backend writes the answers: the GGUF in this process, or OpenAI-compatible model servers."""
from __future__ import annotations

from rag.llm.base import TextGenerator
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
